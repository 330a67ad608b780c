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

// The rule that only handlers imports gin is depguard's (.golangci.yml,
// make lint).
