package upstreamcontract

import (
	"strings"
	"testing"
)

func TestCanonicalJSON(t *testing.T) {
	t.Parallel()
	laughs := "a: &a [1,1,1,1,1,1,1,1,1,1]\n"
	for i, prev := range []string{"a", "b", "c", "d", "e", "f"} {
		next := string(rune('b' + i))
		laughs += next + ": &" + next + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n"
	}
	tests := []struct {
		name    string
		doc     string
		want    string
		wantErr string
	}{
		{"JSON, members sorted", `{ "b": [1.0, 2e0], "a": {"y": null, "x": true} }`, `{"a":{"x":true,"y":null},"b":[1,2]}`, ""},
		{"no HTML escaping", `{"d":"<a & b>"}`, `{"d":"<a & b>"}`, ""},
		{"YAML status codes and numbers", "responses:\n  200: {description: ok}\n  default: {description: x}\nn: 0x1F\nf: 1.50\n",
			`{"f":1.5,"n":31,"responses":{"200":{"description":"ok"},"default":{"description":"x"}}}`, ""},
		{"YAML timestamps and binaries keep their text", "d: 2024-01-01\nt: 2024-01-01T10:00:00Z\nb: !!binary aGk=\n",
			`{"b":"aGk=","d":"2024-01-01","t":"2024-01-01T10:00:00Z"}`, ""},
		{"YAML anchors and merge keys", "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\nboth: [*b]\n",
			`{"base":{"x":1,"y":2},"both":[{"x":1,"y":2}],"derived":{"x":1,"y":3}}`, ""},
		{"YAML billion laughs", laughs, "", "too large"},
		{"YAML infinity", "f: .inf\n", "", "unsupported value"},
		{"neither", "{\"a\":\n\t- ]", "", "neither JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonicalJSON([]byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("canonicalJSON() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("canonicalJSON() = %s, %v, want %s", got, err, tt.want)
			}
		})
	}
}
