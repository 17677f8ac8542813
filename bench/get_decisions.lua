-- wrk script: an enterprise user reads its own decisions (every policy item in force).
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HUIQI_TOKEN")
wrk.path = "/api/v1/enterprises/" .. os.getenv("HUIQI_USCC") .. "/decisions"
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
