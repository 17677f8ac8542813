#!/usr/bin/env bash
# HTTP benchmarks of issue 5 (numbers go into docs/PERFORMANCE.md, "Web"):
#  1. problem submissions (POST /api/v1/problems) at 64 concurrent connections, SQLite with
#     synchronous=FULL: each 201 only after its commit (group commit shares the fsyncs);
#  2. an enterprise's decisions (GET /api/v1/enterprises/{uscc}/decisions);
#  3. idle memory (VmRSS) of the server with the demo zone loaded.
# Needs wrk (apt-get install wrk). Usage: bench/http.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bin=${HUIQI_BIN:-target/release/huiqi}
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
db="$dir/bench.db"
port=18081
"$bin" --database "$db" demo --no-serve > "$dir/demo.log"
# One user on purpose: the request rate limits (docs/WEB.md) are off for the benchmark.
HUIQI_RATE_LIMITS__ENABLED=false "$bin" --database "$db" serve --listen 127.0.0.1:$port > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
sleep 2
echo "idle memory: $(grep VmRSS /proc/$pid/status)"
tok=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"qiye","password":"qiye-demo-2022"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
uscc=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/me" | sed -E 's/.*"enterprise":"([^"]+)".*/\1/')
echo "== problem submissions, 64 connections, ${secs}s"
HUIQI_TOKEN=$tok wrk -t2 -c64 -d"${secs}s" --latency -s bench/post_problem.lua "http://127.0.0.1:$port/api/v1/problems"
echo "== decisions of $uscc, 64 connections, ${secs}s"
HUIQI_TOKEN=$tok HUIQI_USCC=$uscc wrk -t2 -c64 -d"${secs}s" --latency -s bench/get_decisions.lua "http://127.0.0.1:$port"
echo "memory after: $(grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr '\n' ' ')"
