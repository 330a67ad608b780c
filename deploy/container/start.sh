#!/bin/sh
# start.sh is the image's ENTRYPOINT, following HaRP's exapps_dev/start.sh
# conventions (nextcloud/HaRP, checked at 185217eb): when HP_SHARED_KEY is set
# (AppAPI deploys through HaRP in FRP mode) it writes the frpc configuration,
# starts frpc in the background and then execs the command it was given
# (CMD: /app/weather_apis), which then serves on the unix socket
# HP_EXAPP_SOCK (/tmp/exapp.sock). Without HP_SHARED_KEY (HaRP direct or
# Kubernetes mode, Docker Socket Proxy, manual) it only execs the command and
# the app listens on TCP APP_HOST:APP_PORT.
#
# Differences from HaRP's script, all compatible with HaRP's side:
#   - POSIX sh (the runtime image has dash, not necessarily bash);
#   - the config goes to $FRPC_CONFIG (default /tmp/frpc.toml, mode 600) and
#     not /frpc.toml, so a non-root user can write it;
#   - values are escaped for TOML, APP_PORT/HP_FRP_PORT must be numbers;
#   - TLS is chosen when the three certificate files exist (HaRP installs all
#     or none), not when /certs/frp exists: the image pre-creates that directory;
#   - FRP_CERTS_DIR (default /certs/frp, where HaRP installs the FRP client
#     certificates) and FRPC_BIN (default frpc) exist for tests only.
# The config is rewritten on every start: HaRP starts the container once
# before it installs the certificates, and again afterwards.
set -eu

conf=${FRPC_CONFIG:-/tmp/frpc.toml}
certs=${FRP_CERTS_DIR:-/certs/frp}
sock=${HP_EXAPP_SOCK:-/tmp/exapp.sock}

# toml_str escapes a value for a TOML basic string.
toml_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

is_port() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

if [ -n "${HP_SHARED_KEY:-}" ]; then
	for v in HP_FRP_ADDRESS HP_FRP_PORT APP_ID APP_PORT; do
		eval "val=\${$v:-}"
		if [ -z "$val" ]; then
			echo "start.sh: HP_SHARED_KEY is set but $v is empty; cannot configure frpc" >&2
			exit 1
		fi
	done
	is_port "$HP_FRP_PORT" || { echo "start.sh: HP_FRP_PORT is not a port: $HP_FRP_PORT" >&2; exit 1; }
	is_port "$APP_PORT" || { echo "start.sh: APP_PORT is not a port: $APP_PORT" >&2; exit 1; }
	umask 077
	{
		printf 'serverAddr = "%s"\n' "$(toml_str "$HP_FRP_ADDRESS")"
		printf 'serverPort = %s\n' "$HP_FRP_PORT"
		printf 'loginFailExit = false\n\n'
		# The files, not the directory: the image pre-creates $certs (owned by
		# the non-root user) so that HaRP's `mkdir -p` succeeds.
		if [ -f "$certs/client.crt" ] && [ -f "$certs/client.key" ] && [ -f "$certs/ca.crt" ]; then
			echo "start.sh: found the FRP certificates in $certs, frpc uses TLS" >&2
			printf 'transport.tls.enable = true\n'
			printf 'transport.tls.certFile = "%s/client.crt"\n' "$(toml_str "$certs")"
			printf 'transport.tls.keyFile = "%s/client.key"\n' "$(toml_str "$certs")"
			printf 'transport.tls.trustedCaFile = "%s/ca.crt"\n' "$(toml_str "$certs")"
			printf 'transport.tls.serverName = "harp.nc"\n\n'
		else
			echo "start.sh: no FRP certificates in $certs, frpc runs without TLS" >&2
			printf 'transport.tls.enable = false\n\n'
		fi
		printf 'metadatas.token = "%s"\n\n' "$(toml_str "$HP_SHARED_KEY")"
		printf '[[proxies]]\n'
		printf 'remotePort = %s\n' "$APP_PORT"
		printf 'type = "tcp"\n'
		printf 'name = "%s"\n' "$(toml_str "$APP_ID")"
		printf '[proxies.plugin]\n'
		printf 'type = "unix_domain_socket"\n'
		printf 'unixPath = "%s"\n' "$(toml_str "$sock")"
	} >"$conf.tmp"
	mv "$conf.tmp" "$conf"
	umask 022
	echo "start.sh: starting frpc (HaRP at $HP_FRP_ADDRESS:$HP_FRP_PORT, proxy $APP_ID -> $sock)" >&2
	"${FRPC_BIN:-frpc}" -c "$conf" &
else
	echo "start.sh: HP_SHARED_KEY is not set, no frpc; the app listens on TCP ${APP_HOST:-127.0.0.1}:${APP_PORT:-23000}" >&2
fi

[ "$#" -gt 0 ] || set -- /app/weather_apis
echo "start.sh: exec $*" >&2
exec "$@"
