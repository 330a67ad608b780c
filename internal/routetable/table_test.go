package routetable_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/routetable"
)

// TestTableIsConsistent: names unique, every read and write has an
// upstream, every invalidation target is a cached read route, and a ByID
// target is only named by a route that has an id.
func TestTableIsConsistent(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range routetable.Routes() {
		if seen[r.Name] {
			t.Errorf("route %s twice", r.Name)
		}
		seen[r.Name] = true
		if (r.Kind == routetable.Read || r.Kind == routetable.Write) && (r.Upstream.Method == "" || !strings.HasPrefix(r.Upstream.Path, "/")) {
			t.Errorf("route %s has no upstream", r.Name)
		}
		if r.Kind == routetable.Read && r.Answer.Kind == 0 {
			t.Errorf("read route %s says nothing about its answer", r.Name)
		}
		if r.HasID() != strings.Contains(r.Upstream.Path, "{id}") && r.Kind != routetable.Local {
			t.Errorf("route %s: id in path and upstream path disagree", r.Name)
		}
		for _, tg := range r.Invalidates {
			target, ok := routetable.Lookup(tg.Route)
			if !ok || target.Kind != routetable.Read || !target.Cached {
				t.Errorf("route %s invalidates %s, which is not a cached read route", r.Name, tg.Route)
			}
			if tg.Scope == routetable.ByID && (!r.HasID() || !target.HasID()) {
				t.Errorf("route %s invalidates %s by id without ids on both", r.Name, tg.Route)
			}
		}
	}
	if got := strings.Join(routetable.CachedReads(), ","); got != "farm_schema,farm_metadata,farm_list,farm_detail,farm_state,observation_list" {
		t.Errorf("CachedReads = %s", got)
	}
}

func TestCanonicalID(t *testing.T) {
	t.Parallel()
	r, _ := routetable.Lookup("farm_detail")
	for in, want := range map[string]string{"7": "7", "007": "7", "9007199254740991": "9007199254740991"} {
		if got, err := r.CanonicalID(in); err != nil || got != want {
			t.Errorf("CanonicalID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "+7", "7.0", "1e3", "abc", " 7", "9007199254740992", "99999999999999999991", strings.Repeat("1", 300)} {
		if _, err := r.CanonicalID(bad); envelope.CodeOf(err) != envelope.CodeBadRequest {
			t.Errorf("CanonicalID(%q) = %v; want BAD_REQUEST", bad, err)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	obs, _ := routetable.Lookup("observation_list")
	schema, _ := routetable.Lookup("farm_schema")
	cases := []struct {
		name  string
		route routetable.Route
		query string
		want  string // encoded canonical query, or "error:<substring>"
	}{
		{"none", obs, "", ""},
		{"canonical farm", obs, "farm=007&page=02", "farm=7&page=2"},
		{"timestamp", obs, "since=2025-06-01T00:00:00Z", "since=2025-06-01T00%3A00%3A00Z"},
		{"empty values are dropped", obs, "farm=&page=", ""},
		{"unknown", obs, "color=red", "error:allowed: cursor, farm, limit, offset, page, page_size, since"},
		{"repeated", obs, "page=1&page=2", "error:more than once"},
		{"page zero", obs, "page=0", "error:page must be a positive integer"},
		{"page abc", obs, "page=abc", "error:page must be a positive integer"},
		{"huge farm", obs, "farm=99999999999999999991", "error:farm must be a positive integer"},
		{"bad since", obs, "since=yesterday", "error:since must be an ISO 8601"},
		{"no params route", schema, "x=1", "error:takes no query parameters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			got, err := tc.route.CanonicalQuery(q)
			if want, isErr := strings.CutPrefix(tc.want, "error:"); isErr {
				e := envelope.From(err)
				if err == nil || e.Code != envelope.CodeBadRequest || !strings.Contains(e.Message, want) {
					t.Fatalf("CanonicalQuery(%s) = %v, %v; want BAD_REQUEST containing %q", tc.query, got, err, want)
				}
				return
			}
			if err != nil || got.Encode() != tc.want {
				t.Fatalf("CanonicalQuery(%s) = %q, %v; want %q", tc.query, got.Encode(), err, tc.want)
			}
		})
	}
}
