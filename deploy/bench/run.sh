#!/usr/bin/env bash
# run.sh: the benchmark harness behind `make bench` (see README.md).
# Starts Redis, the DRF demo, weather_apis, bench-bare, nginx and Varnish on
# free 127.0.0.1 ports, measures them side by side with wrk on this machine,
# writes $BENCH_OUT/report.md (default artifacts/bench/) and prints it. It
# stops everything it started on exit. A missed target prints MISS but does
# not fail; a harness error (a target that did not start, non-2xx answers or
# socket errors under wrk, a failed Go benchmark) exits 1.
#
# Environment: BENCH_DURATION (5s per run), BENCH_ROUNDS (3), BENCH_DRF_DURATION (5s), BENCH_WARMUP (2s),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_TIMEOUT (10s), BENCH_OUT, BENCH_SKIP_BUILD=1,
# BENCH_SKIP_DEPS=1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. "$here/lib.sh"
. "$here/report.sh"

DURATION=${BENCH_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
DRF_DURATION=${BENCH_DRF_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
TIMEOUT=${BENCH_TIMEOUT:-10s} # wrk's 2 s default times out the DRF demo's queue of 64 under load
OUT=${BENCH_OUT:-$root/artifacts/bench}
SCHEMA=/api/v1/admin/farms/schema
PING=/api/v1/admin/ping
started=$(date +%s)

[[ ${BENCH_SKIP_DEPS:-0} == 1 ]] || ./deploy/install-deps.sh bench test
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	make -s build
	CGO_ENABLED=0 go build -trimpath -o bin/bench-bare ./cmd/bench-bare
fi
[[ -x bin/weather_apis && -x bin/bench-bare ]] || die "bin/weather_apis or bin/bench-bare missing (make build)"

mkdir -p "$OUT"
rm -rf "$OUT"/wrk-*.txt "$OUT"/rss-*.txt "$OUT"/go-bench-*.txt "$OUT/logs"
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
tmp=$(mktemp -d /tmp/weather-apis-bench.XXXXXX)
chmod 755 "$tmp" # nginx workers and Varnish's jailed child run as other users when we are root
cleanup() {
	stop_all
	mkdir -p "$OUT/logs" && cp "$tmp"/*.log "$OUT/logs/" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r P_REDIS P_DRF P_APP P_START P_NC P_BARE_PING P_BARE_SCHEMA P_NGINX P_VARNISH <<<"$(free_ports 9)"
secret=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
export BENCH_APPAPI_AUTH BENCH_BEARER=""
BENCH_APPAPI_AUTH=$(printf 'admin:%s' "$secret" | base64 -w0)
signed=(-H "EX-APP-ID: weather_apis" -H "EX-APP-VERSION: 1.0.0" -H "AUTHORIZATION-APP-API: $BENCH_APPAPI_AUTH")

# --- Redis and the DRF demo -------------------------------------------------
log "starting redis-server :$P_REDIS and the DRF demo :$P_DRF"
start_bg redis redis-server --bind 127.0.0.1 --port "$P_REDIS" --save '' --appendonly no --daemonize no
redis_pid=$LAST_PID
record "redis-server --bind 127.0.0.1 --port $P_REDIS --save '' --appendonly no --daemonize no"
start_bg drf env DRF_DEMO_DB="$tmp/drf.sqlite3" DRF_DEMO_PORT="$P_DRF" DRF_DEMO_WORKERS=2 \
	DRF_DEMO_ACCESS_TTL=3600 deploy/drf/run.sh
drf_pid=$LAST_PID
record "DRF_DEMO_DB=\$tmp/drf.sqlite3 DRF_DEMO_PORT=$P_DRF DRF_DEMO_WORKERS=2 DRF_DEMO_ACCESS_TTL=3600 deploy/drf/run.sh"
for ((n = 0; n < 100; n++)); do
	redis-cli -p "$P_REDIS" ping >/dev/null 2>&1 && break
	kill -0 "$redis_pid" 2>/dev/null || die "redis-server exited (see $OUT/logs/redis.log)"
	sleep 0.1
done
wait_http drf "$drf_pid" "http://127.0.0.1:$P_DRF/__demo/health"
# Nextcloud's side is the AppAPI simulator with the app seeded registered and
# enabled: admin routes check the user's admin group through its OCS API
# (cached per user for WEATHER_APIS_ADMIN_CHECK_TTL, so once per run here).
start_bg appapi-sim bin/appapi-sim -listen "127.0.0.1:$P_NC" -info-xml appinfo/info.xml -app-secret "$secret" \
	-exapp-url "http://127.0.0.1:$P_APP" -log-level warn
record "bin/appapi-sim -listen 127.0.0.1:$P_NC -info-xml appinfo/info.xml -app-secret <random> -exapp-url http://127.0.0.1:$P_APP; POST /sim/seed"
wait_http appapi-sim "$LAST_PID" "http://127.0.0.1:$P_NC/sim/state"
curl -fsS --max-time 10 -X POST "http://127.0.0.1:$P_NC/sim/seed" >/dev/null || die "cannot seed the AppAPI simulator"
BENCH_BEARER=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
	-d '{"username":"weather_svc","password":"weather_svc_pw"}' "http://127.0.0.1:$P_DRF/api/v1/auth/token/" |
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)["access"])') || die "no DRF token"
bearer=(-H "Authorization: Bearer $BENCH_BEARER")

# --- weather_apis: start-up time and idle RSS (3, 4) -------------------------
app_env=(APP_SECRET="$secret" APP_ID=weather_apis APP_VERSION=1.0.0 APP_HOST=127.0.0.1
	NEXTCLOUD_URL="http://127.0.0.1:$P_NC" WEATHER_APIS_REDIS_URL="redis://127.0.0.1:$P_REDIS/0"
	WEATHER_APIS_UPSTREAM_URL="http://127.0.0.1:$P_DRF" WEATHER_APIS_UPSTREAM_PASSWORD=weather_svc_pw
	WEATHER_APIS_LOG_LEVEL=warn)
app_env_shown="APP_SECRET=<random> APP_ID=weather_apis APP_VERSION=1.0.0 APP_HOST=127.0.0.1 NEXTCLOUD_URL=http://127.0.0.1:$P_NC WEATHER_APIS_REDIS_URL=redis://127.0.0.1:$P_REDIS/0 WEATHER_APIS_UPSTREAM_URL=http://127.0.0.1:$P_DRF WEATHER_APIS_UPSTREAM_PASSWORD=weather_svc_pw WEATHER_APIS_LOG_LEVEL=warn"
log "measuring start-up time (5 starts) and idle RSS"
record "$app_env_shown APP_PORT=$P_START /usr/bin/python3 deploy/bench/startup.py --bin bin/weather_apis --port $P_START --runs 5"
env "${app_env[@]}" APP_PORT="$P_START" "$PY" "$here/startup.py" --bin bin/weather_apis --port "$P_START" \
	--runs 5 --log "$tmp/startup.log" >"$OUT/startup.txt" || die "start-up measurement failed: $(cat "$OUT/startup.txt")"
STARTUP_MS=$(awk -F= '$1 == "startup_median_ms" { print $2 }' "$OUT/startup.txt")
IDLE_RSS_KB=$(awk -F= '$1 == "idle_rss_kb" { print $2 }' "$OUT/startup.txt")

# --- weather_apis under load, and the bytes bench-bare serves -----------------
log "starting weather_apis :$P_APP"
start_bg weather_apis env "${app_env[@]}" APP_PORT="$P_APP" bin/weather_apis
app_pid=$LAST_PID
record "$app_env_shown APP_PORT=$P_APP bin/weather_apis"
wait_http weather_apis "$app_pid" "http://127.0.0.1:$P_APP/heartbeat"
fetch_capture "http://127.0.0.1:$P_APP$PING" "$tmp/ping.body" "$tmp/ping.hdr" "${signed[@]}"
fetch_capture "http://127.0.0.1:$P_APP$SCHEMA" "$tmp/schema.body" "$tmp/schema.hdr" "${signed[@]}" # fills the cache
fetch_capture "http://127.0.0.1:$P_APP$SCHEMA" "$tmp/schema.body" "$tmp/schema.hdr" "${signed[@]}"
xc=$(header_value "$tmp/schema.hdr" X-Cache)
[[ $xc == HIT ]] || die "weather_apis: second schema request was not a cache hit (X-Cache: ${xc:-none})"
BYTES[ping]=$(stat -c %s "$tmp/ping.body") BYTES[a]=$(stat -c %s "$tmp/schema.body")

start_bare() { # start_bare NAME PORT BODY HDRFILE
	local -a args=(-listen "127.0.0.1:$2" -body-file "$3") line
	while IFS= read -r line; do args+=(-header "$line"); done < <(bare_header_args "$4")
	start_bg "$1" bin/bench-bare "${args[@]}"
	record "bin/bench-bare -listen 127.0.0.1:$2 -body-file <$(basename "$3") from weather_apis> $(bare_header_args "$4" | awk '{ printf "%s-header %c%s%c", sep, 39, $0, 39; sep = " " }')"
	wait_http "$1" "$LAST_PID" "http://127.0.0.1:$2/"
}
start_bare bare_ping "$P_BARE_PING" "$tmp/ping.body" "$tmp/ping.hdr"
start_bare bare_schema "$P_BARE_SCHEMA" "$tmp/schema.body" "$tmp/schema.hdr"
BYTES[bare]=${BYTES[ping]} BYTES[d]=${BYTES[a]}

# --- nginx proxy_cache and Varnish in front of the DRF demo -------------------
mkdir -p "$tmp/nginx/tmp" "$tmp/nginx/cache"
if [[ $(id -u) == 0 ]]; then
	ng_user=nobody ng_group=$(id -gn nobody)
	chown -R nobody "$tmp/nginx/tmp" "$tmp/nginx/cache"
else
	ng_user=$(id -un) ng_group=$(id -gn)
fi
sed -e "s|@PREFIX@|$tmp/nginx|g" -e "s|@PORT@|$P_NGINX|g" -e "s|@DRF_PORT@|$P_DRF|g" \
	-e "s|@USER@|$ng_user|g" -e "s|@GROUP@|$ng_group|g" "$here/nginx.conf.tmpl" >"$tmp/nginx/nginx.conf"
nginx -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' || die "nginx config test failed"
start_bg nginx nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;'
record "nginx -p \$tmp/nginx -c \$tmp/nginx/nginx.conf -g 'daemon off;'   # nginx.conf.tmpl rendered"
wait_http nginx "$LAST_PID" "http://127.0.0.1:$P_NGINX$SCHEMA" "${bearer[@]}"
check_hit nginx "http://127.0.0.1:$P_NGINX$SCHEMA" "${signed[@]}" "${bearer[@]}"
BYTES[b]=$(stat -c %s "$tmp/nginx.body")

sed -e "s|@DRF_PORT@|$P_DRF|g" "$here/varnish.vcl" >"$tmp/varnish.vcl"
chmod 644 "$tmp/varnish.vcl"
start_bg varnish varnishd -F -a "127.0.0.1:$P_VARNISH" -f "$tmp/varnish.vcl" -n "$tmp/varnish" -s malloc,64m
record "varnishd -F -a 127.0.0.1:$P_VARNISH -f \$tmp/varnish.vcl -n \$tmp/varnish -s malloc,64m   # varnish.vcl rendered, backend 127.0.0.1:$P_DRF"
wait_http varnish "$LAST_PID" "http://127.0.0.1:$P_VARNISH$SCHEMA" "${bearer[@]}"
check_hit varnish "http://127.0.0.1:$P_VARNISH$SCHEMA" "${signed[@]}" "${bearer[@]}"
BYTES[c]=$(stat -c %s "$tmp/varnish.body")
fetch_capture "http://127.0.0.1:$P_DRF$SCHEMA" "$tmp/drf.body" "$tmp/drf.hdr" "${bearer[@]}"
BYTES[e]=$(stat -c %s "$tmp/drf.body")

# redis_commands prints Redis's total_commands_processed (to count the Redis
# round trips weather_apis makes per cache hit in (a)).
redis_commands() { redis-cli -p "$P_REDIS" info stats | awk -F: '/^total_commands_processed:/ { print $2 + 0 }'; }

# --- wrk: warm up each target, then ROUNDS interleaved rounds ----------------
# The machine's speed drifts by 10-20 % within minutes (a shared VM), so one
# run per target would compare the drift as much as the targets. Each round
# measures every target once, in the same order; the report gives the median
# of the rounds (and every round). The DRF demo (e) runs once.
declare -A URL=(
	[ping]="http://127.0.0.1:$P_APP$PING" [bare]="http://127.0.0.1:$P_BARE_PING$PING"
	[a]="http://127.0.0.1:$P_APP$SCHEMA" [b]="http://127.0.0.1:$P_NGINX$SCHEMA"
	[c]="http://127.0.0.1:$P_VARNISH$SCHEMA" [d]="http://127.0.0.1:$P_BARE_SCHEMA$SCHEMA"
	[e]="http://127.0.0.1:$P_DRF$SCHEMA")
# with_bearer ID: the ExApp side sends AppAPI headers only; nginx, Varnish and DRF need the bearer.
with_bearer() { [[ $1 == b || $1 == c || $1 == e ]] && BENCH_BEARER=$BENCH_BEARER_SAVED || BENCH_BEARER=""; }
BENCH_BEARER_SAVED=$BENCH_BEARER
redis_total=0 a_reqs=0
for id in ping bare a d b c e; do
	with_bearer "$id"
	log "wrk $id: warm-up $WARMUP"
	run_wrk "$id-warmup" "$WARMUP" "${URL[$id]}"
done
for ((round = 1; round <= ROUNDS; round++)); do
	for id in ping bare a d b c; do
		with_bearer "$id"
		log "wrk $id: round $round of $ROUNDS, $DURATION"
		sample=""
		[[ $id == a ]] && sample=$app_pid && redis_before=$(redis_commands)
		run_wrk "$id.$round" "$DURATION" "${URL[$id]}" "$sample"
		if [[ $id == a ]]; then
			redis_total=$((redis_total + $(redis_commands) - redis_before)) a_reqs=$((a_reqs + ${REQS[a.$round]:-0}))
			cat "$OUT/rss-a.$round.txt" >>"$OUT/rss-a.txt" 2>/dev/null || true
		fi
	done
done
with_bearer e
log "wrk e: $DRF_DURATION"
run_wrk "e.1" "$DRF_DURATION" "${URL[e]}"
BENCH_BEARER=$BENCH_BEARER_SAVED
for id in ping bare a d b c; do aggregate "$id" "$ROUNDS"; done
aggregate e 1
REDIS_PER_REQ=$(calc "$redis_total" "$a_reqs")
[[ -s $OUT/rss-a.txt ]] && LOAD_RSS_KB=$(sort -n "$OUT/rss-a.txt" | tail -1) || LOAD_RSS_KB=""
LOAD_RSS_N=$(wc -l <"$OUT/rss-a.txt" 2>/dev/null || echo 0)

# --- Go micro-benchmarks of the cache ----------------------------------------
log "go test -bench ./internal/cache/ ./handlers/"
record "go test -run '^\$' -bench . -benchmem ./internal/cache/"
go test -run '^$' -bench . -benchmem ./internal/cache/ >"$OUT/go-bench-cache.txt" 2>&1 ||
	errors+=("go test -bench ./internal/cache/ failed (see $OUT/go-bench-cache.txt)")
record "go test -run '^\$' -bench 'SchemaCacheHit|Ping' -benchmem ./handlers/"
go test -run '^$' -bench 'SchemaCacheHit|Ping' -benchmem ./handlers/ >"$OUT/go-bench-handlers.txt" 2>&1 ||
	errors+=("go test -bench ./handlers/ failed (see $OUT/go-bench-handlers.txt)")

stop_all
write_report >"$OUT/report.md"
cat "$OUT/report.md"
log "report: ${OUT#$root/}/report.md ($(($(date +%s) - started)) s)"
if ((${#errors[@]} > 0)); then
	printf 'bench: HARNESS ERROR: %s\n' "${errors[@]}" >&2
	exit 1
fi
