package resources

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/routetable"
)

func TestRewriteLinks(t *testing.T) {
	l := newLinkRewriter("http://127.0.0.1:8000")
	obs, _ := routetable.Lookup("observation_list")
	farms, _ := routetable.Lookup("farm_list")
	cases := []struct {
		name string
		self routetable.Route
		in   string
		want string
	}{
		{"untouched without the address", obs, `{"count":1, "next":null}`, `{"count":1, "next":null}`},
		{"page links", obs, `{"count":9,"next":"http://127.0.0.1:8000/api/v1/observations/?farm=3&page=2","previous":"http://127.0.0.1:8000/api/v1/observations/?farm=3","results":[]}`,
			`{"count":9,"next":"?farm=3&page=2","previous":"?farm=3","results":[]}`},
		{"unknown parameters dropped", obs, `{"next":"http://127.0.0.1:8000/api/v1/observations/?page=2&format=json"}`, `{"next":"?page=2"}`},
		{"nested next is not a page link", farms, `{"results":[{"next":"http://127.0.0.1:8000/api/v1/farms/7/"}]}`, `{"results":[{"next":"/api/v1/admin/farms/7"}]}`},
		{"hyperlinks to our routes", farms, `{"results":[{"url":"http://127.0.0.1:8000/api/v1/farms/007/state","other":"http://127.0.0.1:8000/internal/x?a=1"}]}`,
			`{"results":[{"url":"/api/v1/farms/7/state","other":"/internal/x?a=1"}]}`},
		{"escaped slashes", obs, `{"next":"http:\/\/127.0.0.1:8000\/api\/v1\/observations\/?page=3"}`, `{"next":"?page=3"}`},
		{"another port is not ours", obs, `{"next":"http://127.0.0.1:80001/x"}`, `{"next":"http://127.0.0.1:80001/x"}`},
		{"order, numbers and escapes kept", obs, `{"z":1.50,"a":"<&>","next":"http://127.0.0.1:8000/api/v1/observations/?page=2","u":"é"}`,
			`{"z":1.50,"a":"<&>","next":"?page=2","u":"é"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(l.rewrite([]byte(tc.in), tc.self)); got != tc.want {
				t.Errorf("rewrite =\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

// FuzzMapStrings: re-encoding keeps the JSON value (with the identity
// function) for every valid input, and never panics.
func FuzzMapStrings(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c"}],"d":null}`, `[]`, `"x"`, `{"n":1e400}`, `{"k":"\u2028<>"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := mapStrings(body, func(_ int, _, s string) string { return s })
		if !json.Valid(body) {
			return
		}
		if err != nil {
			t.Fatalf("valid JSON refused: %v", err)
		}
		var a, b any
		da, db := json.NewDecoder(bytes.NewReader(body)), json.NewDecoder(bytes.NewReader(out))
		da.UseNumber()
		db.UseNumber()
		if da.Decode(&a) != nil || db.Decode(&b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("value changed:\n%s\n%s", body, out)
		}
		if strings.Contains(string(out), "\n") && !strings.Contains(string(body), "\n") {
			t.Fatalf("re-encoding added a newline: %q", out)
		}
	})
}
