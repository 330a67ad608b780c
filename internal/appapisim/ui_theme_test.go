package appapisim

import (
	"io/fs"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// servedThemes fetches a page the simulator serves and returns the theme
// variables of the light theme (the ":root, body" rule) and of the dark theme
// (light merged with the body[data-themes*="dark"] rule, the selector that
// matches the data-themes="dark" body ui.go renders).
func servedThemes(t *testing.T) (light, dark map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	notFoundPage(rec)
	body := rec.Body.String()
	start, end := strings.Index(body, "<style>"), strings.Index(body, "</style>")
	if start < 0 || end < start {
		t.Fatal("served page has no <style> element")
	}
	css := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(body[start+len("<style>"):end], "")
	rules := map[string]map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(css, -1) {
		decls := map[string]string{}
		for _, d := range strings.Split(m[2], ";") {
			name, value, ok := strings.Cut(d, ":")
			if name = strings.TrimSpace(name); ok && strings.HasPrefix(name, "--") {
				if _, dup := decls[name]; dup {
					t.Errorf("%q declares %s twice", strings.TrimSpace(m[1]), name)
				}
				decls[name] = strings.TrimSpace(value)
			}
		}
		rules[strings.TrimSpace(m[1])] = decls
	}
	light, overrides := rules[":root, body"], rules[`body[data-themes*="dark"]`]
	if len(light) == 0 || len(overrides) == 0 {
		t.Fatalf("theme rules not found; rules: %v", keys(rules))
	}
	dark = map[string]string{}
	for k, v := range light {
		dark[k] = v
	}
	for k, v := range overrides {
		if _, ok := light[k]; !ok {
			t.Errorf("dark theme sets %s which the light theme lacks", k)
		}
		dark[k] = v
	}
	return light, dark
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resolve follows var(--x) references (as the browser does for a property
// that is exactly one var()).
func resolve(vars map[string]string, name string) string {
	v := vars[name]
	for i := 0; i < 10; i++ {
		m := regexp.MustCompile(`^var\((--[\w-]+)\)$`).FindStringSubmatch(v)
		if m == nil {
			break
		}
		v = vars[m[1]]
	}
	return v
}

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// luminance is the WCAG 2 relative luminance of a #rgb/#rrggbb colour.
func luminance(t *testing.T, c string) float64 {
	t.Helper()
	if !hexColor.MatchString(c) {
		t.Fatalf("%q is not a hex colour", c)
	}
	h := c[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var ch [3]float64
	for i := range ch {
		n, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		v := float64(n) / 255
		if v <= 0.03928 {
			ch[i] = v / 12.92
		} else {
			ch[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}

func contrastRatio(t *testing.T, a, b string) float64 {
	t.Helper()
	la, lb := luminance(t, a)+0.05, luminance(t, b)+0.05
	return math.Max(la, lb) / math.Min(la, lb)
}

// jsVarUse is the set of custom properties the admin UI (js/src) reads with
// var(--x) and no fallback, minus the ones it declares itself.
func jsVarUse(t *testing.T) map[string][]string {
	t.Helper()
	root := filepath.Join("..", "..", "js", "src")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("js sources not found: %v", err)
	}
	use := regexp.MustCompile(`var\(\s*(--[\w-]+)\s*([,)])`)
	decl := regexp.MustCompile(`(?m)(?:^|[\s{;'"])(--[\w-]+)\s*:`)
	used, declared := map[string][]string{}, map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".vue", ".js", ".mjs", ".ts", ".css", ".scss":
		default:
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range use.FindAllStringSubmatch(string(raw), -1) {
			if p := filepath.ToSlash(path); m[2] == ")" && !slices.Contains(used[m[1]], p) {
				used[m[1]] = append(used[m[1]], p)
			}
		}
		for _, m := range decl.FindAllStringSubmatch(string(raw), -1) {
			declared[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range declared {
		delete(used, name)
	}
	return used
}

func TestThemeKnownNC32Values(t *testing.T) {
	t.Parallel()
	light, dark := servedThemes(t)
	for _, c := range []struct{ theme, name, want string }{
		{"light", "--color-main-background", "#ffffff"},
		{"light", "--color-main-text", "#222222"},
		{"light", "--color-text-maxcontrast", "#6b6b6b"},
		{"light", "--color-error", "#FFE7E7"}, // a background colour in NC 32, not a text colour
		{"light", "--color-error-text", "#8A0000"},
		{"light", "--color-text-error", "#bf0000"},
		{"light", "--color-border-maxcontrast", "#7d7d7d"},
		{"light", "--color-primary", "#00679e"},
		{"light", "--color-primary-element", "#00679e"},
		{"light", "--color-primary-element-hover", "#00507a"},
		{"light", "--color-primary-element-text", "#ffffff"},
		{"light", "--color-primary-light", "#e5eff5"},
		{"light", "--default-clickable-area", "34px"},
		{"light", "--default-grid-baseline", "4px"},
		{"light", "--font-size-small", "13px"},
		{"dark", "--color-main-background", "#171717"},
		{"dark", "--color-main-text", "#EBEBEB"},
		{"dark", "--color-text-maxcontrast", "#999999"},
		{"dark", "--color-error", "#552121"},
		{"dark", "--color-error-text", "#FFCCCC"},
		{"dark", "--color-text-error", "#ff6f6f"},
		{"dark", "--color-primary", "#00679e"},
		{"dark", "--color-primary-element", "#0091f2"},
		{"dark", "--color-primary-element-text", "#000000"},
		{"dark", "--color-background-hover", "#212121"},
		{"dark", "--default-clickable-area", "34px"},
	} {
		vars := light
		if c.theme == "dark" {
			vars = dark
		}
		if got := resolve(vars, c.name); !strings.EqualFold(got, c.want) {
			t.Errorf("%s %s = %q, want NC 32's %q", c.theme, c.name, got, c.want)
		}
	}
}

func TestThemeDefinesEveryVariableTheUIUses(t *testing.T) {
	t.Parallel()
	light, dark := servedThemes(t)
	used := jsVarUse(t)
	if len(used) == 0 {
		t.Fatal("no var(--x) found in js/src; the scan is broken")
	}
	for _, theme := range []struct {
		name string
		vars map[string]string
	}{{"light", light}, {"dark", dark}} {
		for _, name := range keys(used) {
			if v := resolve(theme.vars, name); v == "" {
				t.Errorf("%s theme does not define %s (used without fallback in %s)", theme.name, name, strings.Join(used[name], ", "))
			}
		}
	}
}

func TestThemeTextContrast(t *testing.T) {
	t.Parallel()
	light, dark := servedThemes(t)
	// Text colours NC 32 provides for text on the main background, plus every
	// *-text variable the UI reads.
	text := map[string]bool{
		"--color-main-text": true, "--color-text-maxcontrast": true, "--color-text-maxcontrast-default": true,
		"--color-text-error": true, "--color-text-success": true,
		"--color-error-text": true, "--color-warning-text": true, "--color-success-text": true, "--color-info-text": true,
	}
	for name := range jsVarUse(t) {
		if strings.Contains(name, "text") {
			text[name] = true
		}
	}
	// Text on its own coloured background (NC's "colorXText on colorX").
	pairs := [][2]string{
		{"--color-error-text", "--color-error"}, {"--color-warning-text", "--color-warning"},
		{"--color-success-text", "--color-success"}, {"--color-info-text", "--color-info"},
		{"--color-primary-element-text", "--color-primary-element"}, {"--color-primary-light-text", "--color-primary-light"},
		{"--color-primary-text", "--color-primary"}, {"--color-background-plain-text", "--color-background-plain"},
	}
	for _, theme := range []struct {
		name string
		vars map[string]string
	}{{"light", light}, {"dark", dark}} {
		bg := resolve(theme.vars, "--color-main-background")
		for _, name := range keys(text) {
			fg := resolve(theme.vars, name)
			if !hexColor.MatchString(fg) {
				t.Errorf("%s %s = %q, not a colour", theme.name, name, fg)
				continue
			}
			r := contrastRatio(t, fg, bg)
			t.Logf("%s %s %s on %s: %.2f:1", theme.name, name, fg, bg, r)
			if r < 4.5 {
				t.Errorf("%s %s %s on main background %s: contrast %.2f:1 < 4.5:1", theme.name, name, fg, bg, r)
			}
		}
		for _, p := range pairs {
			fg, pbg := resolve(theme.vars, p[0]), resolve(theme.vars, p[1])
			if r := contrastRatio(t, fg, pbg); r < 4.5 {
				t.Errorf("%s %s %s on %s %s: contrast %.2f:1 < 4.5:1", theme.name, p[0], fg, p[1], pbg, r)
			}
		}
	}
	// The regression: the old simulator's --color-error was drawn as
	// text; in NC 32 it is a background and fails as text. Keep that visible.
	if r := contrastRatio(t, resolve(light, "--color-error"), resolve(light, "--color-main-background")); r >= 3 {
		t.Errorf("light --color-error contrast %.2f: it is meant as a background colour in NC 32", r)
	}
}
