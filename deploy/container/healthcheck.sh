#!/bin/sh
# healthcheck.sh is the image's HEALTHCHECK. HaRP and AppAPI wait for the
# container to become "healthy" before they call /heartbeat themselves.
#   - FRP mode (HP_SHARED_KEY set): frpc must be running (as in HaRP's
#     app-skeleton-python healthcheck.sh) and the app must answer
#     GET /heartbeat on HP_EXAPP_SOCK;
#   - otherwise: the app must answer GET /heartbeat on APP_HOST:APP_PORT.
# The heartbeat request is made by the binary itself (`weather_apis
# healthcheck`), so the image needs neither curl nor procps.
# HEALTHCHECK_BIN (default /app/weather_apis) exists for tests only; it is not
# WEATHER_APIS_*, since the app rejects unknown WEATHER_APIS_* variables.
set -u

if [ -n "${HP_SHARED_KEY:-}" ]; then
	found=no
	for comm in /proc/[0-9]*/comm; do
		if [ "$(cat "$comm" 2>/dev/null)" = frpc ]; then
			found=yes
			break
		fi
	done
	if [ "$found" != yes ]; then
		echo "healthcheck: frpc is not running" >&2
		exit 1
	fi
fi
exec "${HEALTHCHECK_BIN:-/app/weather_apis}" healthcheck
