// Package appinfo embeds and parses info.xml, the ExApp manifest AppAPI
// reads at registration. handlers' tests use it to check the router against
// the routes AppAPI registers from it; the binary does not read it (AppAPI
// does), and the simulator parses the file itself (internal/appapisim).
package appinfo

import (
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
)

//go:embed info.xml
var raw []byte

// Info is the part of info.xml AppAPI uses.
type Info struct {
	ID      string  `xml:"id"`
	Name    string  `xml:"name"`
	Version string  `xml:"version"`
	Routes  []Route `xml:"external-app>routes>route"`
	EnvVars []struct {
		Name        string `xml:"name"`
		DisplayName string `xml:"display-name"`
		Description string `xml:"description"`
		Default     string `xml:"default"`
	} `xml:"external-app>environment-variables>variable"`
	Dependencies struct {
		Nextcloud struct {
			Min string `xml:"min-version,attr"`
			Max string `xml:"max-version,attr"`
		} `xml:"nextcloud"`
	} `xml:"dependencies"`
}

// MinNextcloud is <nextcloud min-version>.
func (in Info) MinNextcloud() string { return in.Dependencies.Nextcloud.Min }

// Route is one <route>.
type Route struct {
	URL               string `xml:"url"`
	Verb              string `xml:"verb"`
	AccessLevel       string `xml:"access_level"`
	HeadersToExclude  string `xml:"headers_to_exclude"`
	BruteforceProtect string `xml:"bruteforce_protection"`
}

// Verbs returns the route's verbs, upper-cased.
func (r Route) Verbs() []string {
	var out []string
	for _, v := range strings.Split(r.Verb, ",") {
		if v = strings.ToUpper(strings.TrimSpace(v)); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Parse decodes the embedded manifest and checks what AppAPI validates at
// registration: id, name and version present, every route with a url, verbs,
// a known access level, and JSON arrays in headers_to_exclude and
// bruteforce_protection.
func Parse() (Info, error) { return ParseBytes(raw) }

// ParseBytes is Parse for any manifest.
func ParseBytes(b []byte) (Info, error) {
	var in Info
	if err := xml.Unmarshal(b, &in); err != nil {
		return Info{}, fmt.Errorf("cannot parse info.xml: %w", err)
	}
	if in.ID == "" || in.Name == "" || in.Version == "" {
		return Info{}, fmt.Errorf("info.xml needs id, name and version")
	}
	for i, r := range in.Routes {
		if r.URL == "" || len(r.Verbs()) == 0 {
			return Info{}, fmt.Errorf("route %d needs url and verb", i)
		}
		switch r.AccessLevel {
		case "PUBLIC", "USER", "ADMIN":
		default:
			return Info{}, fmt.Errorf("route %d: access_level %q is not PUBLIC, USER or ADMIN", i, r.AccessLevel)
		}
		if r.HeadersToExclude != "" {
			var hs []string
			if err := json.Unmarshal([]byte(r.HeadersToExclude), &hs); err != nil {
				return Info{}, fmt.Errorf("route %d: headers_to_exclude is not a JSON array of strings", i)
			}
		}
		if r.BruteforceProtect != "" {
			var cs []int
			if err := json.Unmarshal([]byte(r.BruteforceProtect), &cs); err != nil {
				return Info{}, fmt.Errorf("route %d: bruteforce_protection is not a JSON array of codes", i)
			}
		}
	}
	return in, nil
}
