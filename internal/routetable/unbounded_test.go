package routetable

import (
	"net/url"
	"testing"
)

func TestUnbounded(t *testing.T) {
	t.Parallel()
	list, _ := Lookup("farm_list")
	obs, _ := Lookup("observation_list")
	cases := []struct {
		r    Route
		q    string
		want bool
	}{
		{list, "", false},
		{list, "page=2", false},
		{list, "search=north", true},
		{list, "ordering=name", true},
		{obs, "farm=3", false},
		{obs, "farm=3&since=2026-01-01", true},
		{obs, "cursor=abc", true},
	}
	for _, tc := range cases {
		q, _ := url.ParseQuery(tc.q)
		if got := tc.r.Unbounded(q); got != tc.want {
			t.Errorf("%s?%s: Unbounded = %v; want %v", tc.r.Name, tc.q, got, tc.want)
		}
	}
}
