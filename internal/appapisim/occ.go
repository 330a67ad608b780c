package appapisim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// OccResult is what `occ` printed and its exit code.
type OccResult struct {
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// globalOccOptions are Symfony/occ application options, ignored here.
var globalOccOptions = []string{"--no-ansi", "--ansi", "--no-interaction", "-n", "--no-warnings", "-q", "--quiet", "-v", "-vv", "-vvv", "--verbose"}

// symfonyError formats an exception the way Symfony's console prints it.
func symfonyError(msg string) string {
	return "\n  " + msg + "  \n\n"
}

// RunOcc plays `occ <argv...>`: ExApp commands of an enabled app
// (nextcloud/app_api lib/Service/ExAppOccService.php) plus a few app_api:app:* built-ins.
func (s *Server) RunOcc(ctx context.Context, argv []string) OccResult {
	var tokens []string
	for _, t := range argv {
		if !slices.Contains(globalOccOptions, t) {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 || tokens[0] == "list" {
		return OccResult{Stdout: s.occList()}
	}
	name, rest := tokens[0], tokens[1:]
	if res, handled := s.occBuiltin(ctx, name, rest); handled {
		return res
	}
	var cmd *OccCommand
	s.st.view(func(a *AppState) {
		if !a.Enabled {
			return
		}
		for _, c := range a.OccCommands {
			if c.Name == name {
				c := c
				cmd = &c
			}
		}
	})
	if cmd == nil {
		return OccResult{ExitCode: 1, Stderr: symfonyError(fmt.Sprintf("Command \"%s\" is not defined.", name))}
	}
	if err := checkDefinition(*cmd); err != nil {
		return OccResult{ExitCode: 1, Stderr: symfonyError(err.Error())}
	}
	if slices.Contains(rest, "--help") || slices.Contains(rest, "-h") {
		return OccResult{Stdout: occHelp(*cmd)}
	}
	in, err := parseArgv(*cmd, rest)
	if err != nil {
		return OccResult{ExitCode: 1, Stderr: symfonyError(err.Error()) + occSynopsis(*cmd) + "\n"}
	}
	return s.executeOcc(ctx, *cmd, in)
}

// executeOcc POSTs {"occ":{"arguments","options"}} to the execute handler.
func (s *Server) executeOcc(ctx context.Context, cmd OccCommand, in *parsedInput) OccResult {
	payload := map[string]any{"arguments": nil, "options": nil}
	if len(cmd.Arguments) > 0 {
		payload["arguments"] = in.args
	}
	if len(cmd.Options) > 0 {
		payload["options"] = in.opts
	}
	body, _ := json.Marshal(map[string]any{"occ": payload})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.exapp.target("/"+cmd.ExecuteHandler, ""), bytes.NewReader(body))
	if err != nil {
		return OccResult{ExitCode: 1, Stdout: fmt.Sprintf("[%s] command executeHandler failed. Error: %v\n", cmd.Name, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	s.signer().sign(req.Header, "", s.version(), "CLI")
	resp, err := s.exapp.client.Do(req)
	if err != nil {
		return OccResult{ExitCode: 1, Stdout: fmt.Sprintf("[%s] command executeHandler failed. Error: %v\n", cmd.Name, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return OccResult{ExitCode: 1, Stdout: fmt.Sprintf("[%s] command executeHandler failed\n", cmd.Name)}
	}
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return OccResult{ExitCode: 1, Stdout: string(out)}
	}
	return OccResult{Stdout: string(out)}
}

// occBuiltin handles app_api:app:list|register|enable|disable|unregister.
func (s *Server) occBuiltin(ctx context.Context, name string, rest []string) (OccResult, bool) {
	var fn func(context.Context, bool) LifecycleResult
	flag := false
	switch name {
	case "app_api:app:list":
		return OccResult{Stdout: s.occAppList()}, true
	case "app_api:app:register":
		fn, flag = s.Register, false
	case "app_api:app:enable":
		fn = s.Enable
	case "app_api:app:disable":
		fn = s.Disable
	case "app_api:app:unregister":
		fn, flag = s.Unregister, slices.Contains(rest, "--force")
	default:
		return OccResult{}, false
	}
	var appID string
	for _, r := range rest {
		if !strings.HasPrefix(r, "-") {
			appID = r
			break
		}
	}
	if appID == "" {
		return OccResult{ExitCode: 1, Stderr: symfonyError("Not enough arguments (missing: \"appid\").")}, true
	}
	if appID != s.info.ID {
		return OccResult{ExitCode: 1, Stdout: fmt.Sprintf("ExApp %s not found.\n", appID)}, true
	}
	res := fn(ctx, flag)
	if slices.Contains(rest, "--silent") {
		res.Output = ""
	}
	return OccResult{ExitCode: res.ExitCode, Stdout: res.Output}, true
}

func (s *Server) occAppList() string {
	a := s.st.snapshot()
	if !a.Registered {
		return "ExApps:\n"
	}
	state := "disabled"
	if a.Enabled {
		state = "enabled"
	}
	return fmt.Sprintf("ExApps:\n%s (%s): %s [%s]\n", s.info.ID, s.info.Name, a.Version, state)
}

func (s *Server) occList() string {
	a := s.st.snapshot()
	lines := []string{"app_api:app:disable", "app_api:app:enable", "app_api:app:list", "app_api:app:register", "app_api:app:unregister"}
	if a.Enabled {
		for _, c := range a.OccCommands {
			if c.Hidden == 0 {
				lines = append(lines, fmt.Sprintf("%-40s %s", c.Name, c.Description))
			}
		}
	}
	sort.Strings(lines)
	return "Available commands:\n  " + strings.Join(lines, "\n  ") + "\n"
}

func occSynopsis(cmd OccCommand) string {
	parts := []string{cmd.Name}
	for _, o := range cmd.Options {
		switch optMode(o.Mode) {
		case optRequired:
			parts = append(parts, fmt.Sprintf("[--%s %s]", o.Name, strings.ToUpper(o.Name)))
		case optOptional:
			parts = append(parts, fmt.Sprintf("[--%s [%s]]", o.Name, strings.ToUpper(o.Name)))
		case optNegatable:
			parts = append(parts, fmt.Sprintf("[--%s|--no-%s]", o.Name, o.Name))
		default:
			parts = append(parts, fmt.Sprintf("[--%s]", o.Name))
		}
	}
	for _, a := range cmd.Arguments {
		n := "<" + a.Name + ">"
		if argMode(a.Mode)&argArray != 0 {
			n += "..."
		}
		if argMode(a.Mode)&argRequired == 0 {
			n = "[" + n + "]"
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, " ")
}

func occHelp(cmd OccCommand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Description:\n  %s\n\nUsage:\n  %s\n", cmd.Description, occSynopsis(cmd))
	for _, u := range cmd.Usages {
		fmt.Fprintf(&b, "  %s %s\n", cmd.Name, u)
	}
	if len(cmd.Arguments) > 0 {
		b.WriteString("\nArguments:\n")
		for _, a := range cmd.Arguments {
			fmt.Fprintf(&b, "  %-24s %s\n", a.Name, a.Description)
		}
	}
	if len(cmd.Options) > 0 {
		b.WriteString("\nOptions:\n")
		for _, o := range cmd.Options {
			fmt.Fprintf(&b, "  --%-22s %s\n", o.Name, o.Description)
		}
	}
	return b.String()
}
