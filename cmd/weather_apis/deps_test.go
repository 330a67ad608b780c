package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestPackage: the production binary depends on no package
// that exists for tests: the standard "testing" packages, the test
// harness (internal/testenv) or the AppAPI simulator (internal/appapisim).
func TestBinaryLinksNoTestPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed %d packages; the command went wrong", len(deps))
	}
	for _, d := range deps {
		if d == "testing" || strings.HasPrefix(d, "testing/") || strings.HasSuffix(d, "/internal/testenv") ||
			strings.HasSuffix(d, "/internal/appapisim") || strings.Contains(d, "/testutil") {
			t.Errorf("the binary links %s", d)
		}
	}
}

// TestOnlyHandlersImportGin is the dependency rule for the HTTP framework:
// gin stays behind handlers, so every other package speaks net/http or
// its own types.
func TestOnlyHandlersImportGin(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var seen int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		seen++
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "github.com/gin-gonic/") && !strings.HasSuffix(pkg, "/handlers") {
				t.Errorf("%s imports %s; only handlers may", pkg, imp)
			}
		}
	}
	if seen < 20 {
		t.Fatalf("go list listed %d packages; the command went wrong", seen)
	}
}
