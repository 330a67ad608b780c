-- signed.lua: the one wrk script every target of deploy/bench/run.sh uses, so
-- every target gets byte-identical requests apart from the optional bearer.
--
-- Environment (read once per wrk thread):
--   BENCH_APPAPI_AUTH  base64("admin:<APP_SECRET>"), sent as AUTHORIZATION-APP-API
--                      with EX-APP-ID / EX-APP-VERSION (AppAPI's signed request)
--   BENCH_BEARER       optional DRF access token, sent as "Authorization: Bearer ..."
--                      (nginx, Varnish and the DRF demo need it; the ExApp ignores it)
--
-- done() prints one machine-readable line that run.sh parses:
--   BENCH_RESULT requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N
--                non2xx=N connect=N read=N write=N timeout=N
-- wrk counts a status >= 400 in errors.status (its "Non-2xx or 3xx" line); no
-- response() callback is defined because that would make wrk parse every
-- body in Lua and slow the client down for all targets.

local auth = os.getenv("BENCH_APPAPI_AUTH")
if auth == nil or auth == "" then
  error("signed.lua: BENCH_APPAPI_AUTH is not set")
end
wrk.headers["EX-APP-ID"] = "weather_apis"
wrk.headers["EX-APP-VERSION"] = "1.0.0"
wrk.headers["AUTHORIZATION-APP-API"] = auth

local bearer = os.getenv("BENCH_BEARER")
if bearer ~= nil and bearer ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. bearer
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
