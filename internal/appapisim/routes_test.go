package appapisim

import "testing"

func TestRouteMatching(t *testing.T) {
	t.Parallel()
	routes := []Route{
		{URL: `^/api/admin/.*`, Verb: "GET,POST", AccessLevel: AccessAdmin},
		{URL: `^/api/.*`, Verb: "GET,POST", AccessLevel: AccessUser},
		{URL: `img\/.*`, Verb: "GET", AccessLevel: AccessPublic},
		{URL: `^\/?public\/.*`, Verb: "GET", AccessLevel: AccessPublic},
		{URL: `^/Health$`, Verb: "GET", AccessLevel: AccessPublic},
	}
	m := newRouteMatcher()
	// want: matched route url, or "" for 404 (PHP) / the HaRP status.
	tests := []struct {
		name, path, method string
		level              int
		gen3, gen1         string
		harp               int
	}{
		{"admin as admin", "api/admin/x", "GET", AccessAdmin, `^/api/admin/.*`, "", 0},
		// gen3: first path+verb match decides, no fall-through to ^/api/.*
		// gen1: "/" in the pattern breaks it, so ^/api/... never match.
		{"admin route as user", "api/admin/x", "GET", AccessUser, "", "", 403},
		{"user route as user", "api/farms", "GET", AccessUser, `^/api/.*`, "", 0},
		{"user route anonymous", "api/farms", "GET", AccessPublic, "", "", 403},
		{"verb not listed", "api/farms", "DELETE", AccessAdmin, "", "", 0},
		{"bare pattern", "img/a.png", "GET", AccessPublic, `img\/.*`, `img\/.*`, 404},
		{"bare pattern unanchored gen1", "x/img/a.png", "GET", AccessPublic, "", `img\/.*`, 404},
		{"portable pattern", "public/a", "GET", AccessPublic, `^\/?public\/.*`, `^\/?public\/.*`, 0},
		{"case-insensitive php", "health", "GET", AccessPublic, `^/Health$`, "", 404},
		{"no route", "other", "GET", AccessAdmin, "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for mode, want := range map[RouteMode]string{RouteGen3: tt.gen3, RouteGen1: tt.gen1} {
				rt, ok := m.phpRoute(mode, routes, tt.path, tt.method, tt.level)
				got := ""
				if ok {
					got = rt.URL
				}
				if got != want {
					t.Errorf("%s: got route %q, want %q", mode, got, want)
				}
			}
			if _, code := m.harpRoute(routes, "/"+tt.path, tt.level); code != tt.harp {
				t.Errorf("harp: got %d, want %d", code, tt.harp)
			}
		})
	}
}

func TestRouteGen1FallThrough(t *testing.T) {
	t.Parallel()
	routes := []Route{
		{URL: `api\/.*`, Verb: "GET", AccessLevel: AccessAdmin},
		{URL: `api\/.*`, Verb: "GET", AccessLevel: AccessUser},
	}
	m := newRouteMatcher()
	if _, ok := m.phpRoute(RouteGen1, routes, "api/x", "GET", AccessUser); !ok {
		t.Error("gen1 should fall through to the USER route")
	}
	if _, ok := m.phpRoute(RouteGen3, routes, "api/x", "GET", AccessUser); ok {
		t.Error("gen3 must stop at the first path+verb match")
	}
}

func TestPHPRebuildQuery(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"a=1&a=2", "a=2"},
		{"a.b=1&c d=2", "a_b=1&c_d=2"},
		{"a[]=1&a[]=2", "a%5B0%5D=1&a%5B1%5D=2"},
		{"f[x]=1&f[y]=2", "f%5Bx%5D=1&f%5By%5D=2"},
		{"q=hello+world&e=%7E", "q=hello+world&e=%7E"},
		{"a[b=1", "a_b=1"},
		{"route=schema&format=json", "route=schema&format=json"},
	}
	for _, tt := range tests {
		if got := phpRebuildQuery(tt.in); got != tt.want {
			t.Errorf("phpRebuildQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAppInfoRejectsBadRoutes(t *testing.T) {
	t.Parallel()
	bad := `<info><id>x</id><name>X</name><version>1</version><external-app><routes>
<route><url>^/a</url><verb>GET</verb><access_level>ROOT</access_level><headers_to_exclude>cookie</headers_to_exclude></route>
</routes></external-app></info>`
	if _, err := ParseAppInfo([]byte(bad)); err == nil {
		t.Fatal("want an error for a bad access level and headers_to_exclude")
	}
	info, err := ParseAppInfo([]byte(testInfoXML))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(info.Routes), 5; got != want {
		t.Fatalf("routes = %d, want %d", got, want)
	}
	if r := info.Routes[0]; r.AccessLevel != AccessAdmin || len(r.BruteforceProtection) != 1 || r.BruteforceProtection[0] != 401 {
		t.Errorf("route 0 = %+v", r)
	}
}
