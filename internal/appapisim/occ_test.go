package appapisim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgv(t *testing.T) {
	t.Parallel()
	cmd := OccCommand{Name: "w:flush",
		Arguments: []OccArgument{{Name: "id", Mode: "required"}, {Name: "more", Mode: "array"}},
		Options: []OccOption{
			{Name: "route", Shortcut: "r", Mode: "required", Default: "all"},
			{Name: "level", Mode: "optional"},
			{Name: "dry-run", Shortcut: "d", Mode: "none"},
			{Name: "color", Mode: "negatable"},
		}}
	tests := []struct {
		argv     []string
		wantArgs map[string]any
		wantOpts map[string]any
		wantErr  string
	}{
		{argv: []string{"7"},
			wantArgs: map[string]any{"id": "7", "more": []any{}},
			wantOpts: map[string]any{"route": "all", "level": nil, "dry-run": false, "color": nil}},
		{argv: []string{"--route=schema", "7", "a", "b", "-d", "--no-color", "--level"},
			wantArgs: map[string]any{"id": "7", "more": []any{"a", "b"}},
			wantOpts: map[string]any{"route": "schema", "level": nil, "dry-run": true, "color": false}},
		{argv: []string{"-r", "farms", "--level", "3", "--color", "--", "-x"},
			wantArgs: map[string]any{"id": "-x", "more": []any{}},
			wantOpts: map[string]any{"route": "farms", "level": "3", "dry-run": false, "color": true}},
		{argv: []string{"-rfarms", "1"},
			wantArgs: map[string]any{"id": "1", "more": []any{}},
			wantOpts: map[string]any{"route": "farms", "level": nil, "dry-run": false, "color": nil}},
		{argv: []string{}, wantErr: `Not enough arguments (missing: "id").`},
		{argv: []string{"1", "--bogus"}, wantErr: `The "--bogus" option does not exist.`},
		{argv: []string{"1", "--route"}, wantErr: `The "--route" option requires a value.`},
		{argv: []string{"1", "--dry-run=yes"}, wantErr: `The "--dry-run" option does not accept a value.`},
		{argv: []string{"1", "-z"}, wantErr: `The "-z" option does not exist.`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, " "), func(t *testing.T) {
			in, err := parseArgv(cmd, tt.argv)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in.args, tt.wantArgs) || !reflect.DeepEqual(in.opts, tt.wantOpts) {
				t.Errorf("args %v opts %v, want %v %v", in.args, in.opts, tt.wantArgs, tt.wantOpts)
			}
		})
	}
	noArgs := OccCommand{Name: "w:stats"}
	if _, err := parseArgv(noArgs, []string{"x"}); err == nil || err.Error() != `No arguments expected for "w:stats" command, got "x".` {
		t.Errorf("err = %v", err)
	}
	if err := checkDefinition(OccCommand{Options: []OccOption{{Name: "a", Mode: "array"}}}); err == nil {
		t.Error("option mode array alone must fail like Symfony")
	}
}

func TestOccExecution(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	c := &Client{BaseURL: e.simURL}
	res, err := c.Occ(t.Context(), "testapp:echo", "--route=schema", "42", "--no-ansi")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !strings.HasPrefix(res.Stdout, "ran /occ/echo with ") {
		t.Fatalf("occ = %+v", res)
	}
	var body struct {
		Occ struct {
			Arguments map[string]any `json:"arguments"`
			Options   map[string]any `json:"options"`
		} `json:"occ"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(res.Stdout, "ran /occ/echo with ")), &body); err != nil {
		t.Fatal(err)
	}
	if body.Occ.Arguments["id"] != "42" || body.Occ.Options["route"] != "schema" || body.Occ.Options["dry-run"] != false {
		t.Errorf("payload = %+v", body.Occ)
	}
	call, _ := e.exapp.last("/occ/echo")
	if call.Header.Get("AA-REQUEST-ID") != "CLI" || call.Header.Get("Content-Type") != "application/json" {
		t.Errorf("occ call headers = %v", call.Header)
	}

	if res, _ := c.Occ(t.Context(), "testapp:nope"); res.ExitCode != 1 || !strings.Contains(res.Stderr, `Command "testapp:nope" is not defined.`) {
		t.Errorf("unknown command = %+v", res)
	}
	if res, _ := c.Occ(t.Context(), "testapp:echo", "--bogus"); res.ExitCode != 1 {
		t.Errorf("bad option = %+v", res)
	}
	if res, _ := c.Occ(t.Context(), "app_api:app:list"); !strings.Contains(res.Stdout, "testapp (Test App): 1.0.0 [enabled]") {
		t.Errorf("app list = %q", res.Stdout)
	}
	e.sim.Disable(t.Context(), false)
	if res, _ := c.Occ(t.Context(), "testapp:echo"); res.ExitCode != 1 {
		t.Errorf("disabled app command still exists: %+v", res)
	}
}

func TestOccHandlerFailure(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	e.exapp.ocs("POST", "api/v1/occ_command", "", map[string]any{"name": "testapp:broken", "description": "", "execute_handler": "missing/handler"})
	res := e.sim.RunOcc(t.Context(), []string{"testapp:broken"})
	// the test ExApp echoes unknown paths with 200, so make it fail via auth:
	if res.ExitCode != 0 {
		t.Fatalf("unexpected: %+v", res)
	}
	e.sim.cfg.AppSecret = "changed" // the ExApp now rejects AppAPI's signature
	res = e.sim.RunOcc(t.Context(), []string{"testapp:broken"})
	if res.ExitCode != 1 || res.Stdout != "[testapp:broken] command executeHandler failed\n" {
		t.Errorf("failed handler = %+v", res)
	}
}
