#!/usr/bin/env bash
# Many servers over one PostgreSQL (issue 16), end to end: two `huiqi serve` processes over one
# database behind HAProxy (round robin, tests/scale/haproxy.cfg), then
#   1. a sign-in whose page comes from one server and whose form goes to the other;
#   2. the browser suite through the proxy (when tests/browser exists and node is installed);
#   3. 64 clients (`huiqi bench load`) submitting problems for 30 s while server A is killed
#      with SIGKILL halfway and restarted;
# and asserts: every acknowledged problem stored exactly once (and no title twice), no
# sign-in lost, the audit chain verifies, each scheduled job ran once per due time.
#
#   bash tests/scale/run.sh                       # as root on Debian, PostgreSQL running
#   HUIQI_BIN=target/release/huiqi bash tests/scale/run.sh
#   HUIQI_SCALE_SECONDS=30 HUIQI_SCALE_CLIENTS=64 HUIQI_SCALE_BROWSER=0 …
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SECONDS_LOAD="${HUIQI_SCALE_SECONDS:-30}"
CLIENTS="${HUIQI_SCALE_CLIENTS:-64}"
DBNAME="${HUIQI_SCALE_DB:-huiqi_scale_ci}"
PGURL="postgres://huiqi:huiqi@127.0.0.1:5432/$DBNAME"
PROXY=18300 A=18301 B=18302

say() { printf '\n== scale: %s\n' "$*"; }
fail() { echo "scale test FAILED: $*"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
if ! command -v haproxy >/dev/null 2>&1; then
  say "installing haproxy (apt)"
  apt-get update -qq
  apt-get install -y -qq haproxy >/dev/null
fi
systemctl stop haproxy >/dev/null 2>&1 || true

if [ -z "${HUIQI_BIN:-}" ]; then
  say "building huiqi"
  (cd "$ROOT" && cargo build -q -p huiqi)
  HUIQI_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/huiqi"
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql_q() { su postgres -c "psql -qtAX -d $DBNAME -c \"$1\""; }

say "database $DBNAME (fresh) with a 400-enterprise demo zone"
su postgres -c "dropdb --if-exists $DBNAME" >/dev/null
su postgres -c "createdb -O huiqi $DBNAME"
(cd "$ROOT" && "$HUIQI_BIN" --database "$PGURL" demo --no-serve --enterprises 400 > "$WORK/demo.log")

# Behind the proxy: the client's address from X-Forwarded-For; no rate limits (64 clients
# share one demo user on purpose).
server() { # name port
  (cd "$ROOT" && HUIQI_RATE_LIMITS__ENABLED=false HUIQI_CLIENT_ADDRESS_HEADER=x-forwarded-for \
    exec "$HUIQI_BIN" --database "$PGURL" serve --listen "127.0.0.1:$2") >> "$WORK/$1.log" 2>&1 &
  echo $!
}
ready() { # url
  for _ in $(seq 1 150); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

say "two servers and the proxy"
PID_A=$(server a $A); PIDS+=("$PID_A")
PID_B=$(server b $B); PIDS+=("$PID_B")
ready "http://127.0.0.1:$A" || { cat "$WORK/a.log"; fail "server a did not become ready"; }
ready "http://127.0.0.1:$B" || { cat "$WORK/b.log"; fail "server b did not become ready"; }
sed -e "s/@PORT@/$PROXY/" -e "s/@A@/$A/" -e "s/@B@/$B/" "$HERE/haproxy.cfg" > "$WORK/haproxy.cfg"
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
PIDS+=("$!")
ready "http://127.0.0.1:$PROXY" || { cat "$WORK/haproxy.log"; fail "the proxy did not answer"; }
sleep 4 # both servers marked up by the health checks

say "1. sign-in page from server a, form posted to server b"
page=$(curl -fsS -D "$WORK/h1" "http://127.0.0.1:$A/login")
anon=$(grep -i '^set-cookie: huiqi_session=' "$WORK/h1" | sed -E 's/^[^:]*: (huiqi_session=[^;]*).*/\1/' | tr -d '\r')
csrf=$(printf '%s' "$page" | sed -nE 's/.*name="csrf" value="([0-9a-f]+)".*/\1/p' | head -n 1)
[ -n "$anon" ] && [ -n "$csrf" ] || fail "no anonymous session from server a"
code=$(curl -sS -o /dev/null -w '%{http_code}' -D "$WORK/h2" -H "Cookie: $anon" \
  --data "username=qiye&password=qiye-demo-2022&csrf=$csrf&next=%2F" "http://127.0.0.1:$B/login")
[ "$code" = 303 ] || fail "the sign-in posted to server b answered $code, not 303"
signed=$(grep -i '^set-cookie: huiqi_session=' "$WORK/h2" | sed -E 's/^[^:]*: (huiqi_session=[^;]*).*/\1/' | tr -d '\r')
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $signed" "http://127.0.0.1:$A/api/v1/me")
[ "$code" = 200 ] || fail "the session opened on b was not honoured by a ($code)"
echo "ok: signed in across servers"

if [ "${HUIQI_SCALE_BROWSER:-1}" = 1 ] && [ -f "$ROOT/tests/browser/package.json" ] && command -v node >/dev/null 2>&1; then
  say "2. the browser suite through the proxy"
  HUIQI_TEST_URL="http://127.0.0.1:$PROXY" HUIQI_BIN="$HUIQI_BIN" bash "$ROOT/tests/browser/run.sh"
else
  say "2. browser suite skipped (no node or HUIQI_SCALE_BROWSER=0)"
fi

say "3. $CLIENTS clients submit problems for ${SECONDS_LOAD}s; server a is killed (SIGKILL) and restarted"
TAG="scale-$(date +%s)"
"$HUIQI_BIN" bench load --url "http://127.0.0.1:$PROXY" --clients "$CLIENTS" --seconds "$SECONDS_LOAD" \
  --tag "$TAG" --acked "$WORK/acked.tsv" > "$WORK/load.json" 2> "$WORK/load.log" &
LOAD=$!
sleep $((SECONDS_LOAD / 2))
kill -KILL "$PID_A"
wait "$PID_A" 2>/dev/null || true
echo "killed server a (pid $PID_A) at $(date +%T)"
sleep 3
PID_A=$(server a $A); PIDS+=("$PID_A")
ready "http://127.0.0.1:$A" || { tail -n 30 "$WORK/a.log"; fail "server a did not come back"; }
echo "server a back (pid $PID_A) at $(date +%T)"
wait "$LOAD" || { cat "$WORK/load.log"; fail "the load client failed"; }
cat "$WORK/load.json"
echo "load client warnings (first 10):"; grep -m 10 WARN "$WORK/load.log" || true

say "assertions"
num() { sed -nE "s/.*\"$1\":([0-9.]+).*/\1/p" "$WORK/load.json"; }
acked=$(num acknowledged); lost=$(num lost_sessions); sif=$(num sign_in_failures)
[ "${acked:-0}" -gt 0 ] || fail "nothing was acknowledged"
[ "$lost" = 0 ] || fail "$lost sign-ins lost (401 or a redirect to the sign-in page after signing in)"
[ "$sif" = 0 ] || fail "$sif sign-ins failed"
lines=$(wc -l < "$WORK/acked.tsv")
[ "$lines" = "$acked" ] || fail "acknowledged $acked but $lines titles written"
cp "$WORK/acked.tsv" /tmp/huiqi-scale-acked.tsv && chmod 644 /tmp/huiqi-scale-acked.tsv
psql_q "CREATE TABLE scale_acked (title TEXT PRIMARY KEY, id BIGINT NOT NULL)"
psql_q "\\copy scale_acked FROM '/tmp/huiqi-scale-acked.tsv'"
rm -f /tmp/huiqi-scale-acked.tsv
missing=$(psql_q "SELECT count(*) FROM scale_acked a WHERE NOT EXISTS (SELECT 1 FROM problems p WHERE p.id = a.id AND p.title = a.title)")
[ "$missing" = 0 ] || fail "$missing acknowledged problems are not stored under their id"
twice=$(psql_q "SELECT count(*) FROM (SELECT title FROM problems WHERE title LIKE '$TAG %' GROUP BY title HAVING count(*) > 1) d")
[ "$twice" = 0 ] || fail "$twice titles stored more than once"
stored=$(psql_q "SELECT count(*) FROM problems WHERE title LIKE '$TAG %'")
echo "ok: $acked acknowledged, each stored exactly once ($stored stored in all: the rest were cut off by the kill before their answer)"
psql_q "DROP TABLE scale_acked"
"$HUIQI_BIN" --database "$PGURL" audit verify || fail "the audit chain does not verify"
dups=$(psql_q "SELECT count(*) FROM (SELECT job, due_at FROM job_runs GROUP BY job, due_at HAVING count(*) > 1) d")
runs=$(psql_q "SELECT count(*) FROM job_runs")
[ "$dups" = 0 ] && [ "$runs" -ge 3 ] || fail "scheduled jobs: $runs runs, $dups due times run twice"
"$HUIQI_BIN" --database "$PGURL" worker --list
echo "ok: each scheduled job ran once per due time across both servers ($runs runs)"
say "passed"
