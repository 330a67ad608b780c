#!/bin/sh
# Starts the DRF demo backend: migrate, seed, then gunicorn in the foreground
# (exec, so a signal to this process reaches gunicorn's master directly).
#
# Environment (see README.md for all DRF_DEMO_* variables):
#   DRF_DEMO_DB       SQLite file path (required)
#   DRF_DEMO_PORT     port on 127.0.0.1 (default 8000)
#   DRF_DEMO_WORKERS  gunicorn sync workers (default 2)
#   DRF_DEMO_ACCESS_LOG=1 turns gunicorn's access log on (stderr)
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
python=/usr/bin/python3

if [ -z "${DRF_DEMO_DB:-}" ]; then
	echo "run.sh: DRF_DEMO_DB must name the SQLite database file" >&2
	exit 2
fi
case "$DRF_DEMO_DB" in
/*) ;;
*) DRF_DEMO_DB="$(pwd)/$DRF_DEMO_DB" ;; # gunicorn --chdir must not move a relative path
esac
export DRF_DEMO_DB
export DJANGO_SETTINGS_MODULE=demo.settings

gunicorn=/usr/bin/gunicorn # Debian's: its shebang is /usr/bin/python3
if [ ! -x "$gunicorn" ] || ! "$python" -c 'import django, rest_framework, rest_framework_simplejwt' 2>/dev/null; then
	echo "run.sh: needs Debian's gunicorn python3-django python3-djangorestframework python3-djangorestframework-simplejwt" >&2
	exit 3
fi
if ! "$python" -c 'import uritemplate' 2>/dev/null; then
	echo "run.sh: python3-uritemplate missing: GET /api/v1/schema/ (OpenAPI) will answer 503" >&2
fi

mkdir -p "$(dirname -- "$DRF_DEMO_DB")"
"$python" "$here/manage.py" migrate --noinput -v 0
"$python" "$here/manage.py" seed --clear-faults

set -- --chdir "$here" --bind "127.0.0.1:${DRF_DEMO_PORT:-8000}" --workers "${DRF_DEMO_WORKERS:-2}" \
	--worker-class sync --timeout 60 --log-level "${DRF_DEMO_GUNICORN_LOG_LEVEL:-warning}"
if [ "${DRF_DEMO_ACCESS_LOG:-0}" = 1 ]; then
	set -- "$@" --access-logfile -
fi
exec "$gunicorn" "$@" demo.wsgi:application
