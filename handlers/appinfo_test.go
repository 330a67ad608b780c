package handlers_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/appinfo"
	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/config"
)

// samplePath turns a gin path into concrete request paths.
func samplePaths(p string) []string {
	p = strings.ReplaceAll(p, ":id", "42")
	if strings.Contains(p, "*file") {
		return []string{strings.ReplaceAll(p, "/*file", "/weather_apis-main.js"), strings.ReplaceAll(p, "/*file", "/sub/dir/x.css")}
	}
	return []string{p}
}

// firstMatch applies AppAPI's route choice (nextcloud/app_api lib/Controller/ExAppProxyController.php passesExAppProxyRoutesChecks): the
// first route whose pattern matches the path and whose verbs include the
// method decides. gen3 anchors at the start, case-insensitive, and tries
// "/"+path then path; harp uses Python re.match (start-anchored,
// case-sensitive) on "/"+path and ignores verbs.
func firstMatch(t *testing.T, routes []appinfo.Route, method, path string, harp bool) int {
	t.Helper()
	for i, r := range routes {
		flags := "(?i)"
		if harp {
			flags = ""
		}
		re, err := regexp.Compile(flags + "^(?:" + r.URL + ")")
		if err != nil {
			t.Fatalf("route %d url %q does not compile: %v", i, r.URL, err)
		}
		subject := "/" + strings.TrimPrefix(path, "/")
		if !re.MatchString(subject) && (harp || !re.MatchString(strings.TrimPrefix(path, "/"))) {
			continue
		}
		if harp {
			return i
		}
		for _, v := range r.Verbs() {
			if v == method {
				return i
			}
		}
	}
	return -1
}

// gen1Match is AppAPI ≤ v32.0.8 / NC 31: preg_match('/'.url.'/i') on the
// path without leading slash, unanchored, falling through on access failure;
// here: the first route matching path and verb.
func gen1Match(t *testing.T, routes []appinfo.Route, method, path string) int {
	for i, r := range routes {
		re := regexp.MustCompile("(?i)" + r.URL)
		if !re.MatchString(strings.TrimPrefix(path, "/")) {
			continue
		}
		for _, v := range r.Verbs() {
			if v == method {
				return i
			}
		}
	}
	return -1
}

func TestInfoXMLAgreesWithRouter(t *testing.T) {
	info, err := appinfo.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != testAppID || info.MinNextcloud() != "32" {
		t.Errorf("id/min-version = %q/%q", info.ID, info.MinNextcloud())
	}
	used := make([]bool, len(info.Routes))
	for _, r := range handlers.Routes() {
		for _, p := range samplePaths(r.Path) {
			for _, mode := range []string{"gen3", "gen1", "harp"} {
				var i int
				switch mode {
				case "gen3":
					i = firstMatch(t, info.Routes, r.Method, p, false)
				case "gen1":
					i = gen1Match(t, info.Routes, r.Method, p)
				case "harp":
					i = firstMatch(t, info.Routes, r.Method, p, true)
				}
				if i < 0 {
					t.Errorf("%s %s %s: no declared route reaches it", mode, r.Method, p)
					continue
				}
				if got := info.Routes[i].AccessLevel; got != string(r.Access) {
					t.Errorf("%s %s %s: first declared route %d has access %s; want %s", mode, r.Method, p, i, got, r.Access)
				}
				if mode == "gen3" {
					used[i] = true
				}
				if r.Integration() && info.Routes[i].BruteforceProtect == "" {
					t.Errorf("integration route %s reached through route %d without bruteforce_protection", r.Name, i)
				}
			}
		}
	}
	for i, u := range used {
		if !u {
			t.Errorf("declared route %d (%s) is dead: no served route is reached through it first", i, info.Routes[i].URL)
		}
	}
	// Lifecycle endpoints must never be reachable through the proxy: AppAPI
	// signs proxied requests, so a route would let users call them.
	for _, p := range []string{"/heartbeat", "/init", "/enabled", "/occ/doctor"} {
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			if i := firstMatch(t, info.Routes, m, p, false); i >= 0 {
				t.Errorf("%s %s is reachable through declared route %d", m, p, i)
			}
		}
	}
}

func TestInfoXMLDeclaresEnvironment(t *testing.T) {
	info, err := appinfo.Parse()
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, v := range info.EnvVars {
		declared[v.Name] = true
	}
	for _, name := range []string{"WEATHER_APIS_UPSTREAM_URL", "WEATHER_APIS_UPSTREAM_USERNAME", "WEATHER_APIS_UPSTREAM_PASSWORD",
		"WEATHER_APIS_REDIS_URL", "WEATHER_APIS_REDIS_ADDRS", "WEATHER_APIS_REDIS_MASTER_NAME", "WEATHER_APIS_REDIS_PASSWORD",
		"WEATHER_APIS_JWT_SIGNING_KEY",
		"WEATHER_APIS_JWT_PUBLIC_KEY", "WEATHER_APIS_JWT_DEFAULT_SCOPES", "WEATHER_APIS_CACHE_PROBE_INTERVAL",
		"WEATHER_APIS_LOG_LEVEL", "WEATHER_APIS_LOG_FORMAT"} {
		if !declared[name] {
			t.Errorf("info.xml does not declare %s", name)
		}
	}
	known := map[string]bool{}
	for _, st := range config.Settings() {
		known[st.Env] = true
	}
	for name := range declared {
		if !known[name] {
			t.Errorf("info.xml declares %s, which is no setting of weather_apis (typo?)", name)
		}
	}
}
