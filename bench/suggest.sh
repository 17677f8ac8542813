#!/usr/bin/env bash
# Suggestions while a problem is typed, end to end through the API (issue 13: p99 ≤ 20 ms):
# one enterprise user asks GET /api/v1/search/suggest 400 times, one request at a time, as a
# debounced page does, and the client's own clock times each round trip. Numbers go into
# docs/PERFORMANCE.md, "Search". Needs python3 (standard library only).
# Usage: bench/suggest.sh [CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-400}
bin=${HUIQI_BIN:-target/release/huiqi}
[ -x "$bin" ] || cargo build --release -p huiqi
dir=$(mktemp -d)
db="$dir/bench.db"
port=18082
"$bin" --database "$db" demo --no-serve > "$dir/demo.log"
# Without rate limits: the client asks back to back (a person types far slower).
HUIQI_RATE_LIMITS__ENABLED=false "$bin" --database "$db" serve --listen 127.0.0.1:$port > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
python3 - "$port" "$calls" <<'PY'
import json, sys, time, urllib.parse, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
calls = int(sys.argv[2])
req = urllib.request.Request(base + "/api/v1/auth/token",
    data=json.dumps({"username": "qiye", "password": "qiye-demo-2022"}).encode(),
    headers={"content-type": "application/json"})
tok = json.load(urllib.request.urlopen(req))["token"]
texts = ["我们想申请增值税留抵退税需要什么材料", "厂房租金能否减免", "稳岗返还怎么申请", "专精特新企业奖励",
         "研发费用加计扣除", "小微企业所得税优惠", "社保费缓缴", "电费补贴", "招工难", "融资贷款贴息"]
times, hits = [], 0
for i in range(calls):
    q = texts[i % len(texts)] + ("" if i < len(texts) else f"，{i}")
    r = urllib.request.Request(base + "/api/v1/search/suggest?q=" + urllib.parse.quote(q),
                               headers={"authorization": "Bearer " + tok})
    t = time.perf_counter()
    body = urllib.request.urlopen(r).read()
    times.append((time.perf_counter() - t) * 1000)
    hits += len(json.loads(body))
times.sort()
p = lambda q: times[min(len(times) - 1, int(len(times) * q))]
print(f"suggest over HTTP: {calls} calls, p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, "
      f"max {times[-1]:.2f} ms, {hits / calls:.1f} suggestions each")
PY
