#!/usr/bin/env bash
# smoke.sh builds the weather_apis CI image (Containerfile.smoke, FROM
# scratch) without a Docker engine or registry, runs it with podman/runc on
# the host network against a real redis-server, the DRF demo and the AppAPI
# simulator (all on free loopback ports), and walks the path AppAPI takes:
# heartbeat → init → enable (the simulator's `register`) → proxied requests.
# It also checks start.sh and healthcheck.sh (the Debian image's entrypoint
# and HEALTHCHECK) on the host with a stub frpc.
#
# Needs root and: buildah podman runc skopeo (./deploy/install-deps.sh
# container), redis-server, Debian's Django/DRF/SimpleJWT and gunicorn
# (./deploy/install-deps.sh test), go, curl, /usr/bin/python3.
# Prints one line per check and "N passed, M failed"; exits 1 on any failure.
# SMOKE_KEEP=1 keeps the work directory (image store, logs, OCI archive).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/deploy/container
cd "$root"
export GOTOOLCHAIN=local
PY=/usr/bin/python3
IMAGE=localhost/weather_apis
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' appinfo/info.xml | head -1)
W=$(mktemp -d /tmp/weather_apis-smoke.XXXXXX)
t0=$(date +%s%N)

passed=0 failed=0 cid="" pids=()
now() { date +%s%N; }
elapsed() { local ms=$((($(now) - $1) / 1000000)); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }
ok() { passed=$((passed + 1)); printf 'ok    %-58s %s\n' "$1" "${2:-}"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %-58s %s\n' "$1" "${2:-}"; }
# check NAME CMD...: runs CMD, records and prints the result with its duration.
check() {
	local name=$1 s r
	shift
	s=$(now)
	"$@" >"$W/last.out" 2>&1
	r=$?
	if [[ $r -eq 0 ]]; then ok "$name" "($(elapsed "$s"))"; else
		bad "$name" "(rc $r)"
		sed 's/^/      | /' "$W/last.out" | tail -n 15
	fi
	return $r
}
summary() {
	echo "container smoke: $(elapsed "$t0") in all; work dir $W$([[ ${SMOKE_KEEP:-0} == 1 || $failed -gt 0 ]] && echo " (kept)" || echo " (removed)")"
	echo "$passed passed, $failed failed"
}
cleanup() {
	if [[ -n "$cid" ]]; then
		if [[ $failed -gt 0 ]]; then podman logs "$cid" >"$W/container.log" 2>&1 || true; fi
		podman rm -f -t 2 "$cid" >/dev/null 2>&1 || true
	fi
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ ${SMOKE_KEEP:-0} != 1 && $failed -eq 0 ]]; then rm -rf "$W" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# abort ends the run after a failed step that later steps need.
abort() { echo "smoke: aborting: $1 failed${2:+ ($2)}; logs in $W" >&2; summary; exit 1; }

# ---------------------------------------------------------- prerequisites --
missing=()
for c in buildah podman runc skopeo redis-server redis-cli gunicorn go curl ldd; do command -v "$c" >/dev/null || missing+=("$c"); done
[[ -x $PY ]] || missing+=("$PY")
if [[ ${#missing[@]} -gt 0 ]]; then
	bad "prerequisites" "missing: ${missing[*]}"
	abort "prerequisites" "./deploy/install-deps.sh test container"
fi
if [[ $(id -u) -ne 0 ]]; then bad "prerequisites" "not root" && abort "prerequisites" "podman with runc needs root here"; fi

# Image store and engine settings for this machine (shared/docs/container.md):
# vfs storage through CONTAINERS_STORAGE_CONF (the STORAGE_DRIVER variable is
# ignored), runc (crun rejects hybrid cgroups), ulimits at or below the hard
# limits (podman's default 1048576 fails; nproc above 32768 fails in runc).
nofile=$(ulimit -Hn)
[[ $nofile == unlimited || $nofile -gt 1048576 ]] && nofile=1048576
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$W" "$W" >"$W/storage.conf"
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s/events.log"\n' \
	"$nofile" "$nofile" "$W" >"$W/containers.conf"
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf

# Redis and the DRF demo start first: the DRF demo's migrate + seed overlaps the build.
read -r P_REDIS P_DRF P_SIM P_APP < <($PY -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
secret=$(head -c 96 /dev/urandom | base64 -w0 | tr -d '=' | head -c 128)
sim=http://127.0.0.1:$P_SIM
setsid redis-server --port "$P_REDIS" --bind 127.0.0.1 --save "" --appendonly no >"$W/redis.log" 2>&1 &
pids+=($!)
DRF_DEMO_DB=$W/drf.sqlite3 DRF_DEMO_PORT=$P_DRF setsid ./deploy/drf/run.sh >"$W/drf.log" 2>&1 &
pids+=($!)

# ------------------------------------------------------------------ build --
ctx=$W/ctx
rootfs=$ctx/rootfs
mkdir -p "$rootfs/app/js" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$W/bin"
build_bins() {
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$rootfs/app/weather_apis" ./cmd/weather_apis &&
		CGO_ENABLED=0 go build -trimpath -o "$W/bin/appapi-sim" ./cmd/appapi-sim
}
check "go build (static weather_apis, appapi-sim)" build_bins || abort "go build"
stage() {
	chmod 1777 "$rootfs/tmp"
	cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
	printf 'root:x:0:0:root:/:/sbin/nologin\nweather:x:10001:10001:weather_apis:/app:/sbin/nologin\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nweather:x:10001:\n' >"$rootfs/etc/group"
	mkdir -p "$rootfs/app/appinfo" && cp appinfo/info.xml "$rootfs/app/appinfo/"
	if [[ -d js/dist ]]; then cp -r js/dist "$rootfs/app/js/dist"; else cp -r js/public "$rootfs/app/js/public"; fi
	cp "$here/Containerfile.smoke" "$ctx/Containerfile"
	{ LC_ALL=C ldd "$rootfs/app/weather_apis" 2>&1 || true; } | grep -q 'not a dynamic executable'
}
check "stage build context (binary is static)" stage || abort "stage"
bud() {
	buildah bud -q --format docker --isolation chroot \
		--build-arg VERSION="$VERSION" --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
		--build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		-t "$IMAGE:$VERSION-cpu" -t "$IMAGE:$VERSION" -f "$ctx/Containerfile" "$ctx"
}
check "buildah bud $IMAGE:$VERSION{,-cpu} (scratch, vfs)" bud || abort "buildah bud"
inspect_cfg() {
	podman image inspect "$IMAGE:$VERSION" >"$W/image.json" &&
		$PY - "$W/image.json" "$VERSION" <<-'EOF'
			import json, sys
			i = json.load(open(sys.argv[1]))[0]
			want = sys.argv[2]
			assert i["User"] == "10001:10001", i["User"]
			assert i["Labels"]["org.opencontainers.image.version"] == want, i["Labels"]
			assert i["Healthcheck"]["Test"] == ["CMD", "/app/weather_apis", "healthcheck"], i.get("Healthcheck")
			assert i["Config"]["WorkingDir"] == "/app", i["Config"]
		EOF
}
check "image config: user 10001, version label, HEALTHCHECK" inspect_cfg
archive() {
	buildah push -q "$IMAGE:$VERSION" "oci-archive:$W/weather_apis-oci.tar:$IMAGE:$VERSION" &&
		skopeo inspect "oci-archive:$W/weather_apis-oci.tar" | grep -q "\"org.opencontainers.image.version\": \"$VERSION\""
}
check "export OCI archive, skopeo inspect" archive

# --------------------------------------------------------------- services --
setsid "$W/bin/appapi-sim" -listen "127.0.0.1:$P_SIM" -info-xml appinfo/info.xml -app-secret "$secret" \
	-exapp-url "http://127.0.0.1:$P_APP" -heartbeat-interval 200ms -heartbeat-attempts 100 -log-level warn >"$W/appapi-sim.log" 2>&1 &
pids+=($!)
wait_http() { # url seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "no answer from $1 within $2 s"
	return 1
}
services() {
	wait_http "http://127.0.0.1:$P_DRF/__demo/health" 60 && wait_http "$sim/sim/state" 20 &&
		redis-cli -p "$P_REDIS" ping | grep -q PONG
}
check "redis-server, DRF demo, AppAPI simulator up" services || abort "services" "logs in $W"

# -------------------------------------------------------------------- run --
# AppAPI's image lookup: <tag>-cpu first (compute device cpu), then <tag>.
ref=""
for t in "$VERSION-cpu" "$VERSION"; do
	if podman image exists "$IMAGE:$t"; then ref=$IMAGE:$t && break; fi
done
if [[ -z $ref ]]; then bad "image lookup $VERSION-cpu, $VERSION" && abort "image lookup"; fi
ok "image lookup as AppAPI does: $ref"
run() {
	APP_SECRET=$secret WEATHER_APIS_UPSTREAM_PASSWORD=weather_svc_pw \
		podman run --rm -d --name "weather_apis-smoke-$$" --runtime runc --network host --health-interval disable \
		--ulimit "nofile=$nofile:$nofile" --ulimit nproc=32768:32768 \
		-e APP_ID=weather_apis -e APP_SECRET -e APP_VERSION="$VERSION" -e APP_DISPLAY_NAME="Weather APIs" \
		-e APP_HOST=127.0.0.1 -e APP_PORT="$P_APP" -e NEXTCLOUD_URL="$sim" -e AA_VERSION=32.0.0 -e COMPUTE_DEVICE=CPU \
		-e WEATHER_APIS_REDIS_URL="redis://127.0.0.1:$P_REDIS/0" -e WEATHER_APIS_UPSTREAM_URL="http://127.0.0.1:$P_DRF" \
		-e WEATHER_APIS_UPSTREAM_PASSWORD -e WEATHER_APIS_LOG_FORMAT=text "$ref" >"$W/cid" && cid=$(cat "$W/cid")
}
check "podman run $ref (runc, host network, ulimits)" run || abort "podman run"
nonroot() {
	local pid
	pid=$(podman inspect -f '{{.State.Pid}}' "$cid") && grep -E '^Uid:\s+10001\s' "/proc/$pid/status"
}
check "container process runs as uid 10001" nonroot
heartbeat() { wait_http "http://127.0.0.1:$P_APP/heartbeat" 20 && curl -fsS "http://127.0.0.1:$P_APP/heartbeat" | grep -q '"status":"ok"'; }
check "GET /heartbeat from the container" heartbeat || abort "heartbeat" "container log: $(podman logs "$cid" 2>&1 | tail -n 5)"
check "image HEALTHCHECK (podman healthcheck run)" podman healthcheck run "$cid"
register() {
	"$W/bin/appapi-sim" register -sim "$sim" && "$W/bin/appapi-sim" state -sim "$sim" >"$W/state.json" &&
		$PY -c 'import json,sys; a=json.load(open(sys.argv[1]))["app"]; assert a["enabled"] and a["status"]["init"]==100, a["status"]' "$W/state.json"
}
check "register: heartbeat → init 100 → enabled" register
proxied() { # path python-assertion-on-envelope
	curl -sS -u admin:admin -o "$W/body.json" -w '%{http_code}' "$sim/index.php/apps/app_api/proxy/weather_apis$1" >"$W/code" &&
		echo "HTTP $(cat "$W/code"): $(head -c 300 "$W/body.json")" && [[ $(cat "$W/code") == 200 ]] &&
		$PY -c "import json,sys; e=json.load(open(sys.argv[1])); assert $2, e" "$W/body.json"
}
check "proxied GET /api/v1/admin/ping (admin)" proxied /api/v1/admin/ping "e['data']['pong'] is True and e['version']['app']=='$VERSION'"
check "proxied GET /api/v1/admin/farms/schema (Redis + DRF)" proxied /api/v1/admin/farms/schema "e['error'] is None and e['source'] in ('upstream','cache')"
ui() {
	if [[ ! -f $rootfs/app/js/dist/js/weather_apis-main.js && ! -f $rootfs/app/js/public/js/weather_apis-main.js ]]; then
		echo "no UI bundle to put in the image: build js/dist first (cd js && npm ci && npm run build)"
		return 1
	fi
	curl -fsS -u admin:admin -o /dev/null "$sim/index.php/apps/app_api/proxy/weather_apis/js/weather_apis-main.js"
}
check "proxied UI bundle /js/weather_apis-main.js" ui
hc_tcp_ok() { env -i APP_ID=weather_apis APP_SECRET=x NEXTCLOUD_URL=http://127.0.0.1:1 APP_PORT="$P_APP" \
	HEALTHCHECK_BIN="$rootfs/app/weather_apis" sh "$here/healthcheck.sh"; }
check "healthcheck.sh (TCP mode) passes against the container" hc_tcp_ok
stop() {
	local s i
	s=$(date +%s)
	podman stop -t 10 "$cid" && (($(date +%s) - s < 8)) || return 1
	for ((i = 0; i < 50; i++)); do podman container exists "$cid" || return 0; sleep 0.1; done
	echo "container still exists 5 s after it stopped"
	return 1
}
check "podman stop: exits on SIGTERM, --rm removes it" stop && cid=""

# HaRP's FRP mode without frpc: with HP_SHARED_KEY the app (uid 10001) must
# serve the unix socket; /tmp is a host directory here so curl can reach it.
mkdir -p "$W/sock" && chmod 1777 "$W/sock"
run_sock() {
	APP_SECRET=$secret HP_SHARED_KEY=smoke-harp-key podman run --rm -d --name "weather_apis-smoke-sock-$$" --runtime runc --health-interval disable \
		--network host --ulimit "nofile=$nofile:$nofile" --ulimit nproc=32768:32768 -v "$W/sock:/tmp" \
		-e APP_ID=weather_apis -e APP_SECRET -e APP_VERSION="$VERSION" -e APP_PORT="$P_APP" -e NEXTCLOUD_URL="$sim" \
		-e HP_SHARED_KEY -e WEATHER_APIS_REDIS_URL="redis://127.0.0.1:$P_REDIS/1" -e WEATHER_APIS_LOG_FORMAT=text "$ref" >"$W/cid" &&
		cid=$(cat "$W/cid")
}
sock_heartbeat() {
	local i
	for ((i = 0; i < 200; i++)); do [[ -S $W/sock/exapp.sock ]] && break; sleep 0.1; done
	curl -fsS --unix-socket "$W/sock/exapp.sock" http://exapp/heartbeat | grep -q '"status":"ok"' &&
		[[ $(stat -c %u "$W/sock/exapp.sock") == 10001 ]] && ! curl -fsS -o /dev/null "http://127.0.0.1:$P_APP/heartbeat" 2>/dev/null
}
if check "podman run with HP_SHARED_KEY (HaRP FRP mode, no frpc)" run_sock; then
	check "FRP mode: /heartbeat on /tmp/exapp.sock (uid 10001), no TCP" sock_heartbeat
	check "FRP mode: image HEALTHCHECK over the socket" podman healthcheck run "$cid"
	podman rm -f -t 5 "$cid" >/dev/null 2>&1 && cid=""
fi

# ------------------------------------------- start.sh / healthcheck.sh --
# The Debian image's entrypoint and HEALTHCHECK, run on the host: this
# scratch image has no shell, and frpc cannot be downloaded here.
mkdir -p "$W/fake/bin" "$W/certs" "$W/empty-certs"
touch "$W/certs/client.crt" "$W/certs/client.key" "$W/certs/ca.crt"
# The stub records its pid (to be stopped by pid below) and its arguments.
printf '#!/bin/sh\necho $$ >>"%s/fake/frpc.pids"\necho "$@" >"%s/fake/frpc.args"\nexec sleep 30\n' "$W" "$W" >"$W/fake/bin/frpc"
chmod +x "$W/fake/bin/frpc"
frp_env=(env -i PATH="$W/fake/bin:/usr/bin:/bin" HP_SHARED_KEY='k"ey\x' HP_FRP_ADDRESS=harp.example HP_FRP_PORT=8782
	APP_ID=weather_apis APP_PORT=23001 FRPC_CONFIG="$W/frpc.toml")
start_plain() { [[ $(env -i PATH=/usr/bin:/bin FRPC_CONFIG="$W/none.toml" sh "$here/start.sh" echo served 2>/dev/null) == served ]] && [[ ! -e $W/none.toml ]]; }
check "start.sh without HP_SHARED_KEY: no frpc, execs the command" start_plain
start_frp() { # certs-dir expected-tls
	local i
	rm -f "$W/fake/frpc.args"
	"${frp_env[@]}" FRP_CERTS_DIR="$1" sh "$here/start.sh" true || return 1
	for ((i = 0; i < 50; i++)); do [[ -s $W/fake/frpc.args ]] && break; sleep 0.05; done
	grep -qx "transport.tls.enable = $2" "$W/frpc.toml" &&
		grep -qx 'metadatas.token = "k\\"ey\\\\x"' "$W/frpc.toml" &&
		grep -qx 'unixPath = "/tmp/exapp.sock"' "$W/frpc.toml" && grep -qx 'remotePort = 23001' "$W/frpc.toml" &&
		grep -qx 'serverPort = 8782' "$W/frpc.toml" && [[ $(stat -c %a "$W/frpc.toml") == 600 ]] &&
		[[ $(cat "$W/fake/frpc.args") == "-c $W/frpc.toml" ]] &&
		{ [[ $2 == false ]] || grep -qx "transport.tls.trustedCaFile = \"$W/certs/ca.crt\"" "$W/frpc.toml"; }
}
check "start.sh FRP mode with certificates: TLS frpc.toml, frpc started" start_frp "$W/certs" true
check "start.sh FRP mode, empty /certs/frp: plain frpc.toml" start_frp "$W/empty-certs" false
while read -r p; do kill "$p" 2>/dev/null; done <"$W/fake/frpc.pids"
start_bad() { ! "${frp_env[@]}" HP_FRP_PORT=notaport sh "$here/start.sh" true 2>/dev/null; }
check "start.sh refuses a bad HP_FRP_PORT" start_bad
hc_nofrpc() { ! env -i HP_SHARED_KEY=x HEALTHCHECK_BIN=/bin/true sh "$here/healthcheck.sh" 2>"$W/hc.err" && grep -q 'frpc is not running' "$W/hc.err"; }
check "healthcheck.sh fails in FRP mode while frpc is not running" hc_nofrpc
hc_tcp() { ! env -i APP_ID=weather_apis APP_SECRET=x NEXTCLOUD_URL=http://127.0.0.1:1 APP_PORT="$P_APP" \
	HEALTHCHECK_BIN="$rootfs/app/weather_apis" sh "$here/healthcheck.sh" 2>"$W/hc.err" && grep -q unhealthy "$W/hc.err"; }
check "healthcheck.sh fails in TCP mode when nothing listens" hc_tcp

summary
[[ $failed -eq 0 ]]
