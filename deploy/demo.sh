#!/usr/bin/env bash
# demo.sh starts the whole stack on loopback: redis-server, the DRF demo
# (gunicorn), the weather_apis ExApp and the AppAPI simulator (standing in for
# Nextcloud), registers the ExApp the way `occ app_api:app:register` does, and
# prints the URL to open. Ctrl-C stops everything. Ports can be overridden:
# DEMO_NC_PORT (8080), DEMO_EXAPP_PORT (23000), DEMO_DRF_PORT (18000),
# DEMO_REDIS_PORT (16379). With DEMO_EXIT=1 it stops after the smoke check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
NC=${DEMO_NC_PORT:-8080} EXAPP=${DEMO_EXAPP_PORT:-23000} DRF=${DEMO_DRF_PORT:-18000} REDIS=${DEMO_REDIS_PORT:-16379}
dir=$root/.demo
mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_http() { # url what
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "demo: $2 did not come up ($1); logs in $dir" >&2; exit 1
}

redis-server --port "$REDIS" --bind 127.0.0.1 --save "" --appendonly no --maxmemory 128mb --maxmemory-policy volatile-lru >"$dir/redis.log" 2>&1 &
pids+=($!)
DRF_DEMO_DB="$dir/drf.sqlite3" DRF_DEMO_PORT=$DRF ./deploy/drf/run.sh >"$dir/drf.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$DRF/__demo/health" "the DRF demo"

secret=$(head -c 96 /dev/urandom | base64 -w0 | tr -d '=' | head -c 128)
./bin/appapi-sim -listen "127.0.0.1:$NC" -info-xml appinfo/info.xml -app-secret "$secret" \
  -exapp-url "http://127.0.0.1:$EXAPP" -heartbeat-interval 200ms >"$dir/appapi-sim.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$NC/sim/state" "the AppAPI simulator"

APP_ID=weather_apis APP_SECRET="$secret" APP_VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' appinfo/info.xml | head -1) \
APP_HOST=127.0.0.1 APP_PORT=$EXAPP NEXTCLOUD_URL="http://127.0.0.1:$NC" AA_VERSION=32.0.0 \
WEATHER_APIS_REDIS_URL="redis://127.0.0.1:$REDIS/0" WEATHER_APIS_UPSTREAM_URL="http://127.0.0.1:$DRF" \
WEATHER_APIS_UPSTREAM_USERNAME=weather_svc WEATHER_APIS_UPSTREAM_PASSWORD=weather_svc_pw \
WEATHER_APIS_CACHE_PROBE_INTERVAL=10s WEATHER_APIS_UPSTREAM_OPENAPI_PATH=/api/v1/schema/ WEATHER_APIS_LOG_FORMAT=text \
  ./bin/weather_apis >"$dir/weather_apis.log" 2>&1 &
pids+=($!)

./bin/appapi-sim register -sim "http://127.0.0.1:$NC"
echo
echo "Smoke check through AppAPI's proxy (as admin):"
curl -fsS -u admin:admin "http://127.0.0.1:$NC/index.php/apps/app_api/proxy/weather_apis/api/v1/admin/ping"; echo
echo
cat <<MSG
weather_apis demo is running.
  Nextcloud (AppAPI simulator):  http://127.0.0.1:$NC/          (users admin/admin, alice/alice)
  Admin UI (top-menu page):      http://127.0.0.1:$NC/index.php/apps/app_api/embedded/weather_apis/weather_apis
  Proxied API, e.g.:             curl -u admin:admin http://127.0.0.1:$NC/index.php/apps/app_api/proxy/weather_apis/api/v1/admin/farms/schema -i
  occ, e.g.:                     ./bin/appapi-sim occ -sim http://127.0.0.1:$NC weather_apis:doctor
  Switch the DRF schema:         curl -X POST -d '{"version":2}' -H 'Content-Type: application/json' http://127.0.0.1:$DRF/__demo/schema
  Switch to layouts nobody here scripted (schema: v3-jsonschema, renamed-keys, choice-objects, no-version;
  farm_state: ndvi-object; observation: renamed-id), seen within one probe interval (10 s):
                                 curl -X POST -d '{"schema":"v3-jsonschema","farm_state":"ndvi-object"}' -H 'Content-Type: application/json' http://127.0.0.1:$DRF/__demo/layout
  Logs:                          $dir/*.log
Press Ctrl-C to stop.
MSG
[[ "${DEMO_EXIT:-0}" == 1 ]] && exit 0
wait
