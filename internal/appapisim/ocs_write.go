package appapisim

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// writeOCS renders the OCS envelope with v1 or v2 semantics and returns the
// HTTP status and meta statuscode sent.
func (s *Server) writeOCS(w http.ResponseWriter, r *http.Request, version int, res ocsRes) (int, int) {
	code := res.status
	httpStatus := code
	if version == 1 {
		if code == ocsOK {
			code = 100
		}
		httpStatus = http.StatusOK
	} else if code == ocsNotFoundV1 {
		code, httpStatus = http.StatusNotFound, http.StatusNotFound
	}
	switch res.status {
	case ocsUnauthorised:
		httpStatus = http.StatusUnauthorized
	case http.StatusInternalServerError:
		httpStatus = http.StatusInternalServerError
	}
	success := code == 100 || code == ocsOK
	meta := map[string]any{"status": "failure", "statuscode": code, "message": res.message, "totalitems": "", "itemsperpage": ""}
	if success {
		meta["status"], meta["message"] = "ok", "OK"
	}
	data := res.data
	if data == nil {
		data = []any{}
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(httpStatus)
		_ = json.NewEncoder(w).Encode(map[string]any{"ocs": map[string]any{"meta": meta, "data": data}})
		return httpStatus, code
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(httpStatus)
	var b strings.Builder
	b.WriteString(xml.Header + "<ocs>\n <meta>\n")
	for _, k := range []string{"status", "statuscode", "message", "totalitems", "itemsperpage"} {
		fmt.Fprintf(&b, "  <%s>%s</%s>\n", k, xmlEscape(fmt.Sprint(meta[k])), k)
	}
	b.WriteString(" </meta>\n <data>")
	writeXMLValue(&b, jsonRoundTrip(data))
	b.WriteString("</data>\n</ocs>\n")
	_, _ = w.Write([]byte(b.String()))
	return httpStatus, code
}

// wantsJSON follows NC: format=json or an Accept header naming JSON.
func wantsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "json"
	}
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func jsonRoundTrip(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

func writeXMLValue(b *strings.Builder, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(b, "<%s>", k)
			writeXMLValue(b, t[k])
			fmt.Fprintf(b, "</%s>", k)
		}
	case []any:
		for _, e := range t {
			b.WriteString("<element>")
			writeXMLValue(b, e)
			b.WriteString("</element>")
		}
	case nil:
	default:
		b.WriteString(xmlEscape(fmt.Sprint(t)))
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Param helpers: NC casts request values to the controller's parameter types.

func (q *ocsReq) str(k string) string {
	switch v := q.params[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return ""
	default:
		raw, _ := json.Marshal(v)
		return string(raw)
	}
}

func (q *ocsReq) int(k string) (int, bool) {
	switch v := q.params[k].(type) {
	case float64:
		return int(v), true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil
	}
	return 0, false
}

func (q *ocsReq) list(k string) []any {
	switch v := q.params[k].(type) {
	case []any:
		return v
	case map[string]any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			out = append(out, e)
		}
		return out
	case string:
		return []any{v}
	}
	return nil
}

// versionCompare is a small PHP version_compare: numeric dot parts compare
// numerically; dev < alpha < beta < RC < plain number < pl.
func versionCompare(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < max(len(pa), len(pb)); i++ {
		x, y := "#", "#"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func versionParts(v string) []string {
	v = strings.NewReplacer("-", ".", "_", ".", "+", ".").Replace(strings.TrimSpace(v))
	var out []string
	for _, p := range strings.Split(v, ".") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func comparePart(x, y string) int {
	nx, ex := strconv.Atoi(x)
	ny, ey := strconv.Atoi(y)
	if ex == nil && ey == nil {
		return cmpInt(nx, ny)
	}
	rank := func(s string, isNum bool) int {
		if isNum {
			return 4
		}
		switch strings.ToLower(s) {
		case "dev":
			return 0
		case "alpha", "a":
			return 1
		case "beta", "b":
			return 2
		case "rc", "c":
			return 3
		case "#":
			return 4
		case "pl", "p":
			return 5
		}
		return -1
	}
	return cmpInt(rank(x, ex == nil), rank(y, ey == nil))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
