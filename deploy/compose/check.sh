#!/usr/bin/env bash
# check.sh validates docker-compose.yml without a Docker engine: Debian's
# docker-compose (v1) `config` with .env.example, the same with no secrets
# (must fail), and the normalized file's structure (services, network name,
# image tag = appinfo/info.xml, build files present, README occ commands
# consistent). Prints "N passed, M failed"; exits 1 on any failure.
# Needs: docker-compose (apt-get install --no-install-recommends docker-compose),
# /usr/bin/python3 with python3-yaml.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3
passed=0 failed=0
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
check() {
	local name=$1
	shift
	if "$@" >"$W/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name"
		sed 's/^/      | /' "$W/out" | tail -n 20
	fi
}
dc() { docker-compose --project-directory "$here" "$@"; }

if ! command -v docker-compose >/dev/null; then
	echo "FAIL  docker-compose is not installed (apt-get install -y --no-install-recommends docker-compose)"
	echo "0 passed, 1 failed"
	exit 1
fi
config_ok() { dc --env-file "$here/.env.example" -f "$here/docker-compose.yml" config >"$W/normalized.yml"; }
check "docker-compose config with .env.example" config_ok
no_secrets() {
	: >"$W/empty.env"
	! env -i PATH="$PATH" docker-compose --project-directory "$here" --env-file "$W/empty.env" -f "$here/docker-compose.yml" config -q 2>"$W/err" &&
		grep -q 'Missing mandatory value.*set [A-Z_]* in .env' "$W/err"
}
check "docker-compose config without secrets fails (required variables)" no_secrets
structure() {
	$PY - "$W/normalized.yml" "$root" <<-'PYEOF'
		import os, re, sys, yaml
		c = yaml.safe_load(open(sys.argv[1]))
		root = sys.argv[2]
		s = c["services"]
		want = {"proxy", "nextcloud", "db", "appapi-harp", "redis", "drf", "weather_apis"}
		assert set(s) == want, sorted(s)
		assert c["networks"]["default"]["name"] == "weather_apis_stack", c["networks"]
		xml = open(os.path.join(root, "appinfo/info.xml")).read()
		reg, img, tag = (re.search(r"<%s>(.*?)</%s>" % (t, t), xml).group(1) for t in ("registry", "image", "image-tag"))
		assert s["weather_apis"]["image"] == "%s/%s:%s" % (reg, img, tag), (s["weather_apis"]["image"], reg, img, tag)
		assert s["weather_apis"].get("profiles") == ["build"], "weather_apis must only be built (AppAPI runs it)"
		for name in ("weather_apis", "drf"):
		    b = s[name]["build"]
		    assert os.path.isfile(os.path.join(b["context"], b["dockerfile"])), b
		assert s["weather_apis"]["build"]["args"]["VERSION"] == tag, s["weather_apis"]["build"]["args"]
		env = s["appapi-harp"]["environment"]
		assert env["HP_SHARED_KEY"] and env["NC_INSTANCE_URL"] == "http://nextcloud.local:8080", env
		vols = [v if isinstance(v, str) else "%s:%s" % (v.get("source"), v.get("target")) for v in s["appapi-harp"]["volumes"]]
		assert any(v.startswith("/var/run/docker.sock:/var/run/docker.sock") for v in vols), vols
		assert "nextcloud.local" in s["proxy"]["networks"]["default"]["aliases"]
		p = s["proxy"]["ports"][0]
		assert (p if isinstance(p, str) else "%s:%s" % (p.get("host_ip"), p.get("published"))).startswith("127.0.0.1:8080"), p
		for name in ("db", "redis", "drf"):
		    assert "healthcheck" in s[name], name
		print("services:", " ".join(sorted(s)))
	PYEOF
}
check "structure: services, network, image tag = info.xml, build files" structure
nginx_ok() { grep -q 'location /exapps/' "$here/nginx.conf" && grep -q 'proxy_pass http://appapi-harp:8780/exapps/;' "$here/nginx.conf"; }
check "nginx.conf forwards /exapps/ to HaRP" nginx_ok
readme_ok() {
	local r=$here/README.md
	grep -q -- '--net weather_apis_stack' "$r" && grep -q -- '--harp_frp_address appapi-harp:8782' "$r" &&
		grep -q 'app_api:daemon:registry:add harp_proxy_docker --registry-from ghcr.io --registry-to local' "$r" &&
		grep -q 'app_api:app:register weather_apis harp_proxy_docker' "$r" && grep -q -- '--info-xml /opt/weather_apis/info.xml' "$r"
}
check "README occ commands match the compose file" readme_ok

redis_memory() {
	# Credentials have no TTL: only a volatile-* policy keeps them from eviction.
	grep -Eq '"--maxmemory", "[0-9]+[kmg]b", "--maxmemory-policy", "volatile-[a-z]+"' "$here/docker-compose.yml"
}
check "Redis has maxmemory with a volatile-* policy" redis_memory
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
