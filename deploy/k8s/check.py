"""Well-formedness checks for the Kubernetes manifests in this folder (no kubectl here).

Run through check.sh with Debian's /usr/bin/python3 and python3-yaml. Every YAML
document is parsed and checked for a known apiVersion/kind pair, a DNS-1123 name,
the namespace, the fields each kind requires, and the references between
documents (selectors, ports, ConfigMaps, Secrets, service accounts, roles, the
Deployment HaRP creates for the app). One line per check, then "N passed, M failed".
"""
import glob
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NAMESPACE = "nextcloud-exapps"

KINDS = {  # kind -> (apiVersion, namespaced)
    "Namespace": ("v1", False),
    "ServiceAccount": ("v1", True),
    "Secret": ("v1", True),
    "ConfigMap": ("v1", True),
    "Service": ("v1", True),
    "Deployment": ("apps/v1", True),
    "StatefulSet": ("apps/v1", True),
    "Role": ("rbac.authorization.k8s.io/v1", True),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", True),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", False),
    "HorizontalPodAutoscaler": ("autoscaling/v2", True),
    "PodDisruptionBudget": ("policy/v1", True),
    "NetworkPolicy": ("networking.k8s.io/v1", True),
    "Kustomization": ("kustomize.config.k8s.io/v1beta1", None),
}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, fn):
        try:
            problems = fn() or []
        except Exception as e:  # a missing field is a failed check, not a crash
            problems = ["%s: %s" % (type(e).__name__, e)]
        if problems:
            self.failed += 1
            print("FAIL  " + name)
            for p in problems:
                print("      | " + p)
        else:
            self.passed += 1
            print("ok    " + name)


def harp_deployment_name(app_id):
    """The Deployment/Service name HaRP derives from the app id (_sanitize_k8s_name of nc_app_<id>)."""
    name = re.sub(r"[^a-z0-9-]", "-", ("nc_app_" + app_id).lower().replace("_", "-"))
    return re.sub(r"-+", "-", name).strip("-")


def pod_template(doc):
    return doc["spec"]["template"]


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def main():
    c = Checker()
    files = sorted(glob.glob(os.path.join(HERE, "*.yaml")))
    docs = []  # (file, doc)

    def parse():
        problems = []
        for f in files:
            try:
                for d in yaml.safe_load_all(open(f)):
                    if d is None:
                        continue
                    if not isinstance(d, dict):
                        problems.append("%s: a document is not a mapping" % os.path.basename(f))
                        continue
                    docs.append((os.path.basename(f), d))
            except yaml.YAMLError as e:
                problems.append("%s: %s" % (os.path.basename(f), e))
        if not docs:
            problems.append("no documents")
        return problems

    c.check("parse %d YAML files" % len(files), parse)
    if c.failed:
        return c

    by_kind = {}
    for f, d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)

    def named(kind, name):
        return [d for d in by_kind.get(kind, []) if d["metadata"]["name"] == name]

    def common(d):
        kind, api = d.get("kind"), d.get("apiVersion")
        if kind not in KINDS:
            return ["unknown kind %r" % kind]
        want_api, namespaced = KINDS[kind]
        p = []
        if api != want_api:
            p.append("apiVersion %r, want %r" % (api, want_api))
        if kind == "Kustomization":
            return p
        md = d.get("metadata") or {}
        name = md.get("name", "")
        rx = DNS_LABEL if kind in ("Service", "Namespace") else DNS_SUBDOMAIN
        if not rx.match(name):
            p.append("metadata.name %r is not a DNS-1123 name" % name)
        if namespaced and md.get("namespace") != NAMESPACE:
            p.append("metadata.namespace %r, want %r" % (md.get("namespace"), NAMESPACE))
        if not namespaced and "namespace" in md:
            p.append("cluster-scoped %s has a namespace" % kind)
        return p + KIND_CHECKS.get(kind, lambda d: [])(d)

    def workload(d):
        p = []
        spec = d["spec"]
        tpl = pod_template(d)
        labels = tpl["metadata"]["labels"]
        if not matches(spec["selector"]["matchLabels"], labels):
            p.append("selector.matchLabels %r not in template labels %r" % (spec["selector"]["matchLabels"], labels))
        pod = tpl["spec"]
        vols = {v["name"] for v in pod.get("volumes", [])}
        vols |= {v["metadata"]["name"] for v in spec.get("volumeClaimTemplates", [])}
        for v in pod.get("volumes", []):
            if "configMap" in v and not named("ConfigMap", v["configMap"]["name"]):
                p.append("volume %s: no ConfigMap %s" % (v["name"], v["configMap"]["name"]))
            if "secret" in v and not named("Secret", v["secret"]["secretName"]):
                p.append("volume %s: no Secret %s" % (v["name"], v["secret"]["secretName"]))
        sa = pod.get("serviceAccountName")
        if sa and not named("ServiceAccount", sa):
            p.append("no ServiceAccount %s" % sa)
        for ct in pod.get("initContainers", []) + pod["containers"]:
            if not ct.get("name") or not ct.get("image"):
                p.append("container without name or image")
            ports = {pt.get("name") for pt in ct.get("ports", [])}
            for pt in ct.get("ports", []):
                if not isinstance(pt["containerPort"], int) or len(pt.get("name", "")) > 15:
                    p.append("%s: bad port %r" % (ct["name"], pt))
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                for how in ("tcpSocket", "httpGet"):
                    port = (ct.get(probe) or {}).get(how, {}).get("port")
                    if isinstance(port, str) and port not in ports:
                        p.append("%s.%s: unknown port name %s" % (ct["name"], probe, port))
            for m in ct.get("volumeMounts", []):
                if m["name"] not in vols:
                    p.append("%s: mount of undeclared volume %s" % (ct["name"], m["name"]))
            for e in ct.get("envFrom", []):
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if key in e and not named(kind, e[key]["name"]):
                        p.append("%s: envFrom %s %s missing" % (ct["name"], kind, e[key]["name"]))
            for e in ct.get("env", []):
                vf = e.get("valueFrom") or {}
                for kind, key, field in (("ConfigMap", "configMapKeyRef", "data"), ("Secret", "secretKeyRef", None)):
                    if key in vf:
                        ref = named(kind, vf[key]["name"])
                        if not ref:
                            p.append("%s: env %s: no %s %s" % (ct["name"], e["name"], kind, vf[key]["name"]))
                        elif vf[key]["key"] not in (ref[0].get("data") or {}) | (ref[0].get("stringData") or {}):
                            p.append("%s: env %s: key %s missing in %s" % (ct["name"], e["name"], vf[key]["key"], kind))
        if d["kind"] == "StatefulSet":
            svc = named("Service", spec["serviceName"])
            if not svc or svc[0]["spec"].get("clusterIP") != "None":
                p.append("serviceName %s is not a headless Service here" % spec["serviceName"])
        return p

    def service(d):
        spec = d["spec"]
        sel = spec.get("selector")
        targets = [w for k in ("Deployment", "StatefulSet") for w in by_kind.get(k, [])
                   if matches(sel, pod_template(w)["metadata"]["labels"])]
        if not targets:
            return ["selector %r matches no workload here" % sel]
        names = {pt.get("name") for w in targets for ct in pod_template(w)["spec"]["containers"] for pt in ct.get("ports", [])}
        return ["port %s: unknown targetPort %s" % (pt["name"], pt["targetPort"]) for pt in spec["ports"]
                if isinstance(pt.get("targetPort"), str) and pt["targetPort"] not in names]

    def binding(d):
        p = []
        ref = d["roleRef"]
        if not named(ref["kind"], ref["name"]):
            p.append("roleRef %s %s missing" % (ref["kind"], ref["name"]))
        for s in d["subjects"]:
            if s["kind"] == "ServiceAccount" and not named("ServiceAccount", s["name"]):
                p.append("subject ServiceAccount %s missing" % s["name"])
        return p

    def rules(d):
        return ["rule without apiGroups/resources/verbs"
                for r in d["rules"] if not (isinstance(r.get("apiGroups"), list) and r.get("resources") and r.get("verbs"))]

    def strings(d):
        return ["%s: value is not a string" % k for k, v in {**(d.get("data") or {}), **(d.get("stringData") or {})}.items()
                if not isinstance(v, str)]

    def selects_pods(d):
        sel = d["spec"]["podSelector" if d["kind"] == "NetworkPolicy" else "selector"]["matchLabels"]
        if sel.get("app") == app_deployment:
            return []  # HaRP's Deployment (label app=<name>), created at deploy time
        ws = [w for k in ("Deployment", "StatefulSet") for w in by_kind.get(k, [])
              if matches(sel, pod_template(w)["metadata"]["labels"])]
        return [] if ws else ["selector %r matches no workload here" % sel]

    def hpa(d):
        s = d["spec"]
        p = []
        if s["scaleTargetRef"] != {"apiVersion": "apps/v1", "kind": "Deployment", "name": app_deployment}:
            p.append("scaleTargetRef %r, want HaRP's Deployment %s" % (s["scaleTargetRef"], app_deployment))
        if not 2 <= s["minReplicas"] <= s["maxReplicas"]:
            p.append("want 2 <= minReplicas <= maxReplicas, got %s..%s" % (s["minReplicas"], s["maxReplicas"]))
        return p

    def kustomization(d):
        listed = set(d["resources"])
        have = {os.path.basename(f) for f in files} - {"kustomization.yaml"}
        p = ["resource %s does not exist" % r for r in sorted(listed - have)]
        p += ["%s is not listed in kustomization.yaml" % r for r in sorted(have - listed)]
        return p

    KIND_CHECKS = {
        "Deployment": workload, "StatefulSet": workload, "Service": service,
        "RoleBinding": binding, "ClusterRoleBinding": binding, "Role": rules, "ClusterRole": rules,
        "ConfigMap": strings, "Secret": strings, "HorizontalPodAutoscaler": hpa,
        "PodDisruptionBudget": selects_pods, "NetworkPolicy": selects_pods, "Kustomization": kustomization,
    }
    xml = open(os.path.join(ROOT, "appinfo", "info.xml")).read()
    app_id = re.search(r"<id>(.*?)</id>", xml).group(1)
    app_deployment = harp_deployment_name(app_id)

    for f, d in docs:
        md = d.get("metadata") or {}
        c.check("%s: %s/%s" % (f, d.get("kind"), md.get("name", "-")), lambda d=d: common(d))

    def unique():
        seen, p = set(), []
        for _, d in docs:
            if d.get("kind") == "Kustomization":
                continue
            key = (d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"])
            if key in seen:
                p.append("duplicate %s %s" % (key[0], key[2]))
            seen.add(key)
        return p

    c.check("no duplicate kind/namespace/name", unique)

    def sentinel_addrs():
        sts = named("StatefulSet", "redis")[0]
        n, svc = sts["spec"]["replicas"], sts["spec"]["serviceName"]
        addrs = ",".join("redis-%d.%s.%s.svc.cluster.local:26379" % (i, svc, NAMESPACE) for i in range(n))
        readme = open(os.path.join(HERE, "README.md")).read()
        p = [] if n >= 3 else ["Sentinel needs at least 3 pods for a quorum of 2, have %d" % n]
        if "WEATHER_APIS_REDIS_ADDRS=" + addrs not in readme:
            p.append("README.md lacks WEATHER_APIS_REDIS_ADDRS=" + addrs)
        if "WEATHER_APIS_REDIS_MASTER_NAME=weather" not in readme:
            p.append("README.md lacks WEATHER_APIS_REDIS_MASTER_NAME=weather")
        return p

    c.check("README's Sentinel addresses match the StatefulSet", sentinel_addrs)

    def declared_env():
        want = ["WEATHER_APIS_REDIS_ADDRS", "WEATHER_APIS_REDIS_MASTER_NAME", "WEATHER_APIS_UPSTREAM_URL"]
        return ["%s is not declared in appinfo/info.xml (AppAPI --env would drop it)" % v
                for v in want if "<name>%s</name>" % v not in xml]

    c.check("the --env variables in README.md are declared in info.xml", declared_env)

    def init_script():
        import subprocess
        script = named("ConfigMap", "redis-sentinel")[0]["data"]["init.sh"]
        r = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True)
        p = [r.stderr.strip()] if r.returncode else []
        if "sentinel monitor ${MASTER_NAME} ${master} 6379 2" not in script:
            p.append("init.sh does not configure the sentinel monitor with quorum 2")
        return p

    c.check("redis-sentinel init.sh is valid sh", init_script)

    def redis_memory():
        conf = named("ConfigMap", "redis-sentinel")[0]["data"]["redis.conf"]
        lines = [l.split() for l in conf.splitlines() if l.strip() and not l.startswith("#")]
        opts = {l[0]: l[1] for l in lines if len(l) == 2}
        p = []
        if "maxmemory" not in opts:
            p.append("redis.conf sets no maxmemory: Redis would grow until the node kills it")
        if not opts.get("maxmemory-policy", "").startswith("volatile-"):
            p.append("redis.conf's maxmemory-policy is %r; want volatile-* (credentials have no TTL and must never be evicted)"
                     % opts.get("maxmemory-policy"))
        return p

    c.check("Redis has maxmemory with a volatile-* policy", redis_memory)
    return c


if __name__ == "__main__":
    result = main()
    print("%d passed, %d failed" % (result.passed, result.failed))
    sys.exit(1 if result.failed else 0)
