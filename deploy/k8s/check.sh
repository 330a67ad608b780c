#!/bin/sh
# check.sh checks every Kubernetes manifest here for well-formedness without
# kubectl or a cluster (check.py: parse, apiVersion/kind, names, namespace,
# required fields, cross-references). Prints "N passed, M failed"; exits 1 on
# any failure. Needs Debian's /usr/bin/python3 and python3-yaml
# (apt-get install -y python3-yaml).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	echo "FAIL  python3-yaml is not installed for /usr/bin/python3 (apt-get install -y python3-yaml)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 "$here/check.py"
