-- wrk script: each request raises a new problem as an enterprise user (bearer token).
-- The server answers 201 only after the problem, its routing, deadlines and its audit event
-- are committed.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HUIQI_TOKEN")
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"category":"tax","title":"压测诉求 %d","description":"benchmark"}', n)
  return wrk.format(nil, nil, nil, body)
end
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
