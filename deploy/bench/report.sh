# report.sh: write_report prints the Markdown report from what run.sh
# measured (sourced; bash). Ratios use awk; a missing value prints "-" and
# counts as MISS.

# bench_line NAME FILE prints "ns/op B/op allocs/op" of BenchmarkNAME (any -N
# suffix) from $OUT/FILE.
bench_line() {
	awk -v n="Benchmark$1" '$1 == n || index($1, n "-") == 1 {
		for (i = 3; i < NF; i++) { if ($(i+1) == "ns/op") ns = $i; if ($(i+1) == "B/op") b = $i; if ($(i+1) == "allocs/op") a = $i }
		print ns, b, a; exit }' "$OUT/$2" 2>/dev/null
}

# target_row ISSUE WHAT VALUE OP LIMIT UNIT
target_row() {
	local v=${3:--}
	printf '| %s | %s | %s%s | %s %s%s | %s |\n' "$1" "$2" "$v" "$6" "$4" "$5" "$6" "$(verdict "$v" "$4" "$5")"
}

write_report() {
	local id mb
	local -A what=(
		[ping]="(1) weather_apis GET /api/v1/admin/ping, signed + enveloped"
		[bare]="(2) bench-bare, same ping bytes and headers"
		[a]="(a) weather_apis GET /api/v1/admin/farms/schema, cache hit"
		[d]="(d) bench-bare, same schema envelope bytes"
		[b]="(b) nginx proxy_cache -> DRF demo"
		[c]="(c) Varnish -> DRF demo"
		[e]="(e) DRF demo direct (gunicorn, 2 sync workers)")
	cat <<-HEAD
	# weather_apis benchmark report

	- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)
	- Code: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no commit") $( [[ -n $(git -C "$root" status --porcelain 2>/dev/null | head -1) ]] && echo "(dirty work tree)")
	- Versions: $(go version | awk '{ print $3 }'), $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }'), $(nginx -v 2>&1 | sed 's/.*: //'), $(varnishd -V 2>&1 | awk 'NR == 1 { print $1, $2 }' | tr -d '()'), redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), gunicorn $(/usr/bin/python3 -c 'import gunicorn; print(gunicorn.__version__)')
	- Load: \`wrk -t$THREADS -c$CONNS -d$DURATION --timeout $TIMEOUT --latency\` per target and round, $ROUNDS rounds interleaved
	  (ping, bare, a, d, b, c in each round; the DRF demo once, -d$DRF_DURATION), after one $WARMUP warm-up run per
	  target. Values are the median of the rounds. Every target runs on this machine and wrk shares its cores;
	  one target at a time, the others idle. Load average before the run: $LOADAVG_START$(awk -v l="${LOADAVG_START%% *}" 'BEGIN { if (l > 1) printf " -- **WARNING: the machine was busy; numbers are skewed, run again when idle**" }')

	## Throughput and latency

	| target | body B | req/s | p50 ms | p99 ms | max ms | non-2xx | socket errors | rounds: req/s | rounds: p99 ms |
	|---|---:|---:|---:|---:|---:|---:|---:|---|---|
	HEAD
	for id in ping bare a d b c e; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${what[$id]}" "${BYTES[$id]:--}" "${RPS[$id]:--}" \
			"$(ms "${P50[$id]:-}")" "$(ms "${P99[$id]:-}")" "$(ms "${MAXL[$id]:-}")" "${NON2XX[$id]:--}" "${SOCKERR[$id]:--}" \
			"${ROUNDS_RPS[$id]:--}" "${ROUNDS_P99[$id]:--}"
	done
	cat <<-HEAD

	## Targets

	| issue | measure | value | target | result |
	|---|---|---:|---:|---|
	HEAD
	target_row 2 "(1)/(2) req/s: ping vs bare net/http" "$(calc "${RPS[ping]:-0}" "${RPS[bare]:-0}")" ">=" 0.7 ""
	target_row 2 "(3) exec to first 200 on /heartbeat, median of 5" "$STARTUP_MS" "<" 100 " ms"
	target_row 2 "(4) idle VmRSS, 2 s after start" "$(calc "${IDLE_RSS_KB:-0}" 1024)" "<" 30 " MB"
	target_row 3 "a/d req/s: cache hit vs bare" "$(calc "${RPS[a]:-0}" "${RPS[d]:-0}")" ">=" 0.9 ""
	target_row 3 "a/c req/s: cache hit vs Varnish" "$(calc "${RPS[a]:-0}" "${RPS[c]:-0}")" ">=" 0.8 ""
	target_row 3 "p99(a)/p99(d)" "$(calc "${P99[a]:-0}" "${P99[d]:-0}")" "<=" 1.2 ""
	target_row 3 "a/e req/s: cache hit vs DRF direct" "$(calc "${RPS[a]:-0}" "${RPS[e]:-0}")" ">=" 30 ""
	mb=$(calc "${LOAD_RSS_KB:-0}" 1024)
	printf '| 3 | VmRSS of weather_apis during (a), max of %s samples | %s MB | (none) | info |\n' "$LOAD_RSS_N" "$mb"
	printf '\nFor comparison: a/b (nginx) = %s, b/c = %s, (a) p99 = %s ms, (c) p99 = %s ms.\n' \
		"$(calc "${RPS[a]:-0}" "${RPS[b]:-0}")" "$(calc "${RPS[b]:-0}" "${RPS[c]:-0}")" "$(ms "${P99[a]:-}")" "$(ms "${P99[c]:-}")"
	printf 'Redis commands per request during (a): %s (0 = served from the in-process L1).\n' "${REDIS_PER_REQ:--}"
	printf 'Start-ups (ms): %s.\n' "$(awk -F= '/^startup_ms_/ { printf "%s%s", sep, $2; sep = ", " }' "$OUT/startup.txt")"
	cat <<-HEAD

	## Cache micro-benchmarks (\`go test -run '^\$' -bench . -benchmem ./internal/cache/\`)

	| benchmark | ns/op | B/op | allocs/op (per cache hit) |
	|---|---:|---:|---:|
	HEAD
	for id in HitL1 HitRedis; do
		read -r ns b a <<<"$(bench_line "$id" go-bench-cache.txt)" || true
		printf '| Benchmark%s | %s | %s | %s |\n' "$id" "${ns:--}" "${b:--}" "${a:--}"
	done
	cat <<-HEAD

	A whole signed, enveloped cache hit through the handler stack (guard, gin, AppAPI verification,
	resources, cache L1, envelope; \`go test -run '^\$' -bench 'SchemaCacheHit|Ping' -benchmem ./handlers/\`):

	| benchmark | ns/op | B/op | allocs/op |
	|---|---:|---:|---:|
	HEAD
	for id in SchemaCacheHit Ping; do
		read -r ns b a <<<"$(bench_line "$id" go-bench-handlers.txt)" || true
		printf '| Benchmark%s | %s | %s | %s |\n' "$id" "${ns:--}" "${b:--}" "${a:--}"
	done
	printf '\n```\n'
	grep -hE '^(Benchmark|goos|goarch|cpu|pkg|ok|FAIL|---)' "$OUT/go-bench-cache.txt" "$OUT/go-bench-handlers.txt" 2>/dev/null || echo "(no output)"
	printf '```\n\n## Harness\n\n'
	if ((${#errors[@]} == 0)); then
		echo "No harness errors: every target started and every wrk run answered 2xx without socket errors."
	else
		printf -- '- HARNESS ERROR: %s\n' "${errors[@]}"
	fi
	printf '\n## Commands (run from the repository root; $tmp is a temp dir, removed at the end)\n\n```\n'
	printf '%s\n' "./deploy/bench/run.sh   # BENCH_APPAPI_AUTH=base64(admin:<random APP_SECRET>), BENCH_BEARER=<DRF access token> for (b) (c) (e)"
	printf '%s\n' "${cmds[@]}"
	printf '```\n\nRaw wrk output: wrk-<target>.<round>.txt; RSS samples: rss-a.txt; logs: logs/.\n'
}
