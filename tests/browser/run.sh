#!/usr/bin/env bash
# The browser suite: build huiqi, generate the demo zone into a temporary database, serve it,
# run every tests/browser/*.test.mjs with node's test runner (Playwright driving Debian's
# Chromium), stop the server. Exits non-zero when a test fails.
#
#   bash tests/browser/run.sh            # from the repository root (or anywhere)
#   HUIQI_BIN=target/release/huiqi bash tests/browser/run.sh   # use an already built binary
#   HUIQI_TEST_URL=http://127.0.0.1:18300 bash tests/browser/run.sh  # a demo zone already served
#                                         # (tests/scale/run.sh: two servers behind a proxy)
#
# Screenshots of every page visited: tests/browser/artifacts/<test>/NN-<step>.png (gitignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT="${HUIQI_TEST_PORT:-18080}"
ENTERPRISES="${HUIQI_TEST_ENTERPRISES:-400}"

say() { printf '\n== browser: %s\n' "$*"; }

export DEBIAN_FRONTEND=noninteractive
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (apt)"
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# A CJK font, so that screenshots show Chinese rather than boxes (the tests read the DOM and
# pass without it).
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  say "installing a Chinese font (apt, best effort)"
  apt-get install -y -qq fonts-wqy-zenhei >/dev/null 2>&1 || echo "no Chinese font installed; screenshots will show boxes"
fi

say "npm dependencies"
cd "$HERE"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

if [ -n "${HUIQI_TEST_URL:-}" ]; then
  URL="$HUIQI_TEST_URL"
  SERVER_PID=""
  WORK="$(mktemp -d)"
  touch "$WORK/server.log"
  trap 'rm -rf "$WORK"' EXIT
  say "testing the demo zone served at $URL"
else
  if [ -z "${HUIQI_BIN:-}" ]; then
    say "building huiqi"
    (cd "$ROOT" && cargo build -q -p huiqi)
    HUIQI_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/huiqi"
  fi

  WORK="$(mktemp -d)"
  DB="$WORK/demo.db"
  SERVER_PID=""
  cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
      kill "$SERVER_PID" 2>/dev/null || true
      wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
  }
  trap cleanup EXIT

  say "demo zone ($ENTERPRISES enterprises) into $DB"
  "$HUIQI_BIN" --database "$DB" demo --no-serve --enterprises "$ENTERPRISES" > "$WORK/demo.log"

  say "serving on 127.0.0.1:$PORT"
  "$HUIQI_BIN" --database "$DB" serve --listen "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log"; echo "the server did not start"; exit 1; fi
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null
  URL="http://127.0.0.1:$PORT"
fi

say "tests"
rm -rf "$HERE/artifacts"
mkdir -p "$HERE/artifacts"
status=0
HUIQI_URL="$URL" node --test --test-concurrency=1 "$HERE"/*.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail) ---"
  tail -n 50 "$WORK/server.log"
fi
echo "screenshots: $HERE/artifacts"
exit "$status"
