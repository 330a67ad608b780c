package envelope_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// TestCodesListsEveryCode: every Code constant declared in errors.go is in
// Codes() (so the OpenAPI document declares it) and has a status of its own
// choosing, not StatusOf's 500 fallback, unless it is CodeInternal.
func TestCodesListsEveryCode(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []envelope.Code
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
			return true
		}
		for _, v := range vs.Values {
			if lit, ok := v.(*ast.BasicLit); ok {
				s, _ := strconv.Unquote(lit.Value)
				declared = append(declared, envelope.Code(s))
			}
		}
		return true
	})
	if len(declared) < 10 {
		t.Fatalf("found %d Code constants in errors.go; the parser missed them", len(declared))
	}
	codes := envelope.Codes()
	for _, c := range declared {
		if !slices.Contains(codes, c) {
			t.Errorf("Codes() lacks %s", c)
		}
		if c != envelope.CodeInternal && envelope.StatusOf(c) == 500 {
			t.Errorf("StatusOf(%s) = 500, the fallback", c)
		}
	}
	if len(codes) != len(declared) {
		t.Errorf("Codes() has %d codes, errors.go declares %d", len(codes), len(declared))
	}
}
