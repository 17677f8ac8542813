#!/usr/bin/env bash
# Server CPU time per request (utime+stime of the server from /proc, divided by the requests
# wrk completed) for the two HTTP benchmarks of bench/http.sh. On a machine shared with other
# work, requests per second swing with the load; CPU per request moves much less, so it is
# the better figure for comparing two builds back to back (docs/PERFORMANCE.md, "Web").
# Usage: HUIQI_BIN=path/to/huiqi bench/http_cpu.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
bin=${HUIQI_BIN:-target/release/huiqi}
dir=$(mktemp -d); db="$dir/bench.db"; port=18091
"$bin" --database "$db" demo --no-serve > "$dir/demo.log"
HUIQI_RATE_LIMITS__ENABLED=false "$bin" --database "$db" serve --listen 127.0.0.1:$port > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
sleep 1
tok=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"qiye","password":"qiye-demo-2022"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
uscc=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/me" | sed -E 's/.*"enterprise":"([^"]+)".*/\1/')
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
tck=$(getconf CLK_TCK)
run() {
  local name=$1; shift
  local c0=$(cpu)
  local out=$("$@")
  local c1=$(cpu)
  local n=$(echo "$out" | awk '/requests in/ {print $1}')
  local rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local p=$(echo "$out" | grep -E '^p50')
  local non=$(echo "$out" | grep -E 'Non-2xx' || true)
  echo "$name: $n requests, $rps/s, server CPU $(( (c1-c0)*1000000/tck/n )) us/request; $p $non"
}
run submissions env HUIQI_TOKEN=$tok wrk -t2 -c64 -d"${secs}s" --latency -s bench/post_problem.lua "http://127.0.0.1:$port/api/v1/problems"
run decisions env HUIQI_TOKEN=$tok HUIQI_USCC=$uscc wrk -t2 -c64 -d"${secs}s" --latency -s bench/get_decisions.lua "http://127.0.0.1:$port"
