#!/usr/bin/env bash
# Issue 16's benchmark (numbers go into docs/PERFORMANCE.md, "Many servers"): problem
# submissions and decisions per second through HAProxy, with one and with two `huiqi serve`
# processes over one PostgreSQL database. 64 clients (`huiqi bench load`), each signed in as
# a browser does; rate limits off. Needs haproxy and a running PostgreSQL (as tests/scale).
#   bench/scale.sh [SECONDS]          (HUIQI_BIN defaults to target/release/huiqi)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bin=${HUIQI_BIN:-target/release/huiqi}
[ -x "$bin" ] || cargo build --release -p huiqi
db=huiqi_scale_bench
url="postgres://huiqi:huiqi@127.0.0.1:5432/$db"
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
su postgres -c "dropdb --if-exists $db" >/dev/null
su postgres -c "createdb -O huiqi $db"
"$bin" --database "$url" demo --no-serve > "$dir/demo.log"
start() { # port
  HUIQI_RATE_LIMITS__ENABLED=false HUIQI_CLIENT_ADDRESS_HEADER=x-forwarded-for \
    "$bin" --database "$url" serve --listen "127.0.0.1:$1" > "$dir/$1.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.2; done
  echo "server on $1 did not start"; exit 1
}
proxy() { # servers…
  sed -e "s/@PORT@/18400/" -e "s/@A@/18401/" -e "s/@B@/18402/" tests/scale/haproxy.cfg > "$dir/haproxy.cfg"
  [ "$1" = 2 ] || sed -i '/server b /d' "$dir/haproxy.cfg"
  haproxy -f "$dir/haproxy.cfg" -db > "$dir/haproxy.log" 2>&1 &
  pids+=("$!")
  sleep 5
}
run() { # label
  for mode in submit decide; do
    printf '%s %s: ' "$1" "$mode"
    "$bin" bench load --url http://127.0.0.1:18400 --clients 64 --seconds "$secs" --mode "$mode" \
      --tag "bench-$1-$(date +%s)" 2>/dev/null
  done
}
start 18401
proxy 1
run one-server
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
start 18402
proxy 2
run two-servers
