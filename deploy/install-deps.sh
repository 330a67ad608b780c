#!/usr/bin/env bash
# install-deps.sh GROUP... installs the Debian packages a make target needs,
# only those missing. Groups: test (gcc and libc6-dev for go test -race, redis-server, redis-tools, Django/DRF/
# SimpleJWT, uritemplate for DRF's OpenAPI generator, gunicorn), bench (nginx,
# varnish, wrk), browser (chromium), container (buildah, podman, runc, skopeo,
# docker-compose, python3-yaml). Needs root (CI and the dev machines run as
# root).
set -euo pipefail
declare -A PKGGROUPS=(
  [test]="gcc libc6-dev redis-server redis-tools python3-django python3-djangorestframework python3-djangorestframework-simplejwt python3-uritemplate gunicorn"
  [bench]="nginx varnish wrk"
  [browser]="chromium"
  [container]="buildah podman runc skopeo docker-compose python3-yaml"
)
want=()
for g in "$@"; do
  [[ -n "${PKGGROUPS[$g]:-}" ]] || { echo "install-deps: unknown group $g" >&2; exit 2; }
  for p in ${PKGGROUPS[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
  done
done
[[ ${#want[@]} -eq 0 ]] && exit 0
echo "install-deps: installing ${want[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${want[@]}"
