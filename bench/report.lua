-- wrk script shared by every scenario of bench/run.sh: after the run, prints one machine-readable
-- line with the exact figures (latencies in microseconds) for run.sh to parse. It defines no
-- request()/response(), so wrk keeps its static, fastest request path.

local function report(summary, latency, extra)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
         .. " connect=%d read=%d write=%d timeout=%d status=%d%s\n",
      summary.requests, summary.duration, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout, e.status, extra or ""))
end

bench_report = report

function done(summary, latency, requests)
   report(summary, latency)
end
