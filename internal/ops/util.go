package ops

import (
	"net/url"
	"strings"
)

func cutQuery(s string) (path, query string, ok bool) { return strings.Cut(s, "?") }

func parseQuery(q string) (url.Values, error) {
	if q == "" {
		return nil, nil
	}
	return url.ParseQuery(q)
}
