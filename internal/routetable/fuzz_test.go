package routetable_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/weather-apis/weather_apis/internal/routetable"
)

// FuzzCanonicalID: an accepted id is canonical (canonicalising it again
// changes nothing), a positive integer within MaxID, and every spelling of
// one number maps to one id.
func FuzzCanonicalID(f *testing.F) {
	for _, s := range []string{"7", "007", "0", "-1", "9007199254740991", "9007199254740992", "1e3", " 7", ""} {
		f.Add(s)
	}
	r, _ := routetable.Lookup("farm_state")
	f.Fuzz(func(t *testing.T, id string) {
		c, err := r.CanonicalID(id)
		if err != nil {
			return
		}
		n, perr := strconv.ParseUint(c, 10, 64)
		if perr != nil || n == 0 || n > routetable.MaxID || strconv.FormatUint(n, 10) != c {
			t.Fatalf("CanonicalID(%q) = %q: not a canonical positive integer", id, c)
		}
		if again, err := r.CanonicalID(c); err != nil || again != c {
			t.Fatalf("not idempotent: %q → %q → %q, %v", id, c, again, err)
		}
		q, _ := url.ParseQuery("page=" + url.QueryEscape(id))
		obs, _ := routetable.Lookup("observation_list")
		if cq, err := obs.CanonicalQuery(q); err == nil && cq.Get("page") != "" && cq.Get("page") != c {
			t.Fatalf("page %q canonicalised as %q, id as %q", id, cq.Get("page"), c)
		}
	})
}
