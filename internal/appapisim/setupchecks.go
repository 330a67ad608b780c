package appapisim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Setup checks (AppAPI 35, app_api lib/Controller/SetupCheckController.php,
// lib/Service/ExAppSetupCheckService.php, ExAppSetupCheckRefreshService.php,
// lib/SetupChecks/AbstractExAppsSetupCheck.php): an ExApp opts in with
// POST /ocs/v1.php/apps/app_api/api/v1/setup_check (DELETE opts out); a
// background job then GETs /setup_checks from it, signed with an empty
// user, and the admin overview shows its warnings and errors under
// "Security & setup warnings".

// AppAPI's limits (ExAppSetupCheckRefreshService, ExAppSetupCheckService).
const (
	setupCheckMaxBytes    = 262144 // MAX_RESPONSE_BYTES
	setupCheckMaxEntries  = 1000   // MAX_RESPONSE_ENTRIES
	setupCheckMaxIssues   = 16     // MAX_CHECKS
	setupCheckMaxText     = 4096   // MAX_TEXT_LENGTH (characters)
	setupChecksSinceMajor = 35     // AppAPI version that has the endpoints
)

// SetupCheckResult is one entry of the ExApp's /setup_checks answer as
// sent: {status, text, link_url?, link_label?}.
type SetupCheckResult struct {
	Status    string `json:"status"`
	Text      string `json:"text"`
	LinkURL   string `json:"link_url,omitempty"`
	LinkLabel string `json:"link_label,omitempty"`
}

// SetupIssue is one issue AppAPI surfaces (only warnings and errors).
type SetupIssue struct {
	Severity  string `json:"severity"` // warning | error
	AppName   string `json:"appName"`
	Text      string `json:"text"`
	LinkURL   string `json:"linkUrl"`
	LinkLabel string `json:"linkLabel"`
}

// SetupCheckState is what AppAPI keeps for the app, plus what the
// simulator saw on the wire.
type SetupCheckState struct {
	OptedIn bool `json:"opted_in"`
	// Issues are the surfaced warnings/errors of the last refresh.
	Issues []SetupIssue `json:"issues"`
	// Reported is the last answer as the ExApp sent it, in its order
	// (every status, including success and info).
	Reported []ReportedCheck `json:"reported"`
	// Violations lists what in the last answer broke AppAPI's rules
	// (each makes AppAPI show "not responding" or drop an entry).
	Violations []string  `json:"violations"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Took is how long the last GET /setup_checks took, in milliseconds.
	Took      int64 `json:"took_ms"`
	Refreshes int   `json:"refreshes"`
}

// ReportedCheck is one id → result pair of the answer.
type ReportedCheck struct {
	ID string `json:"id"`
	SetupCheckResult
}

// hasSetupChecks: the endpoints exist from AppAPI 35 on; an older AppAPI
// answers them like any unknown OCS route.
func (s *Server) hasSetupChecks() bool {
	major, _ := strconv.Atoi(strings.SplitN(s.cfg.AAVersion, ".", 2)[0])
	return major >= setupChecksSinceMajor
}

// ocsSetupCheckOptIn is registerChecks (in) / unregisterChecks (out). The
// app is the authenticated EX-APP-ID; opting out drops the last results.
func (s *Server) ocsSetupCheckOptIn(in bool) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		s.st.update(func(a *AppState) {
			if in {
				a.SetupChecks.OptedIn = true
				return
			}
			a.SetupChecks = SetupCheckState{}
		})
		return ok(nil)
	}
}

// setupRefresher serialises refreshes: IJobList::add is idempotent, so a
// refresh asked for while one runs is not queued twice.
type setupRefresher struct {
	mu      sync.Mutex // held while a refresh runs
	queued  sync.Mutex // guards pending
	pending bool
}

// RefreshSetupChecks runs AppAPI's refresh now (ExAppSetupCheckRefreshService::refresh)
// and returns the stored state.
func (s *Server) RefreshSetupChecks(ctx context.Context) SetupCheckState {
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	var a AppState
	s.st.view(func(st *AppState) {
		a = AppState{Enabled: st.Enabled, Status: st.Status, SetupChecks: SetupCheckState{OptedIn: st.SetupChecks.OptedIn}}
	})
	initializing := a.Status.Init < 100 || a.Status.Action == "init"
	if !a.SetupChecks.OptedIn || !a.Enabled || initializing {
		// disabled / deploying / not opted in: dropped from the results
		s.st.update(func(st *AppState) {
			st.SetupChecks.Issues, st.SetupChecks.Reported, st.SetupChecks.Violations = nil, nil, nil
			st.SetupChecks.UpdatedAt = time.Now()
		})
		return s.setupState()
	}
	start := time.Now()
	issues, reported, violations := s.probeSetupChecks(ctx)
	took := time.Since(start).Milliseconds()
	s.st.update(func(st *AppState) {
		if !st.SetupChecks.OptedIn {
			return // opted out meanwhile
		}
		st.SetupChecks.Issues, st.SetupChecks.Reported, st.SetupChecks.Violations = issues, reported, violations
		st.SetupChecks.UpdatedAt, st.SetupChecks.Took = time.Now(), took
		st.SetupChecks.Refreshes++
	})
	return s.setupState()
}

func (s *Server) setupState() SetupCheckState {
	var out SetupCheckState
	s.st.view(func(a *AppState) { out = a.SetupChecks })
	return out
}

// queueSetupRefresh is ExAppSetupChecksRefreshOnceJob: one refresh in the
// background, not queued twice.
func (s *Server) queueSetupRefresh() {
	s.setup.queued.Lock()
	if s.setup.pending {
		s.setup.queued.Unlock()
		return
	}
	s.setup.pending = true
	s.setup.queued.Unlock()
	go func() {
		s.RefreshSetupChecks(context.Background())
		s.setup.queued.Lock()
		s.setup.pending = false
		s.setup.queued.Unlock()
	}()
}

// runSetupChecks is the TimedJob: a refresh every SetupCheckInterval.
func (s *Server) runSetupChecks(ctx context.Context) {
	t := time.NewTicker(s.cfg.SetupCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.RefreshSetupChecks(ctx)
		}
	}
}

// probeSetupChecks is ExAppSetupCheckRefreshService::probe and
// parseResponse: 5 s timeout, a 2xx, a Content-Length of digits only and
// at most 256 KiB, a JSON object or list; anything else is one "not
// responding" warning.
func (s *Server) probeSetupChecks(ctx context.Context) ([]SetupIssue, []ReportedCheck, []string) {
	name := s.info.Name
	if name == "" {
		name = s.info.ID
	}
	notResponding := func(why string) ([]SetupIssue, []ReportedCheck, []string) {
		return []SetupIssue{{Severity: "warning", AppName: name, Text: "not responding"}}, nil, []string{why}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SetupCheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.exapp.target("/setup_checks", ""), nil)
	if err != nil {
		return notResponding(err.Error())
	}
	s.signer().sign(req.Header, "", s.version(), newRequestID())
	resp, err := s.exapp.client.Do(req)
	if err != nil {
		return notResponding("no answer within " + s.cfg.SetupCheckTimeout.String() + ": " + err.Error())
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return notResponding(fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	cl := resp.Header.Get("Content-Length")
	if n, err := strconv.Atoi(cl); !digitsOnly(cl) || err != nil || n > setupCheckMaxBytes {
		return notResponding(fmt.Sprintf("Content-Length %q: want digits only, at most %d", cl, setupCheckMaxBytes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, setupCheckMaxBytes+1))
	if err != nil {
		return notResponding("cannot read the body: " + err.Error())
	}
	if len(body) > setupCheckMaxBytes {
		return notResponding("body larger than 256 KiB")
	}
	entries, err := orderedEntries(body)
	if err != nil {
		return notResponding("body is not a JSON object or list: " + err.Error())
	}
	var issues []SetupIssue
	var reported []ReportedCheck
	var violations []string
	for i, e := range entries {
		if len(issues) >= setupCheckMaxIssues || i >= setupCheckMaxEntries {
			violations = append(violations, fmt.Sprintf("more than %d issues or %d entries: the rest is ignored", setupCheckMaxIssues, setupCheckMaxEntries))
			break
		}
		var r SetupCheckResult
		if err := json.Unmarshal(e.raw, &r); err != nil || len(e.raw) == 0 || e.raw[0] != '{' {
			violations = append(violations, fmt.Sprintf("check %q is not an object {status, text, …}: ignored", e.id))
			continue
		}
		reported = append(reported, ReportedCheck{ID: e.id, SetupCheckResult: r})
		status := strings.ToLower(strings.TrimSpace(r.Status))
		switch status {
		case "success", "info":
			continue // not surfaced
		case "warning", "error":
		default:
			violations = append(violations, fmt.Sprintf("check %q: status %q is not success, info, warning or error: not surfaced", e.id, r.Status))
			continue
		}
		text := capRunes(r.Text, setupCheckMaxText)
		if text == "" {
			text = "reported a problem"
		}
		link := r.LinkURL
		if link != "" && !safeSetupURL(link) {
			violations = append(violations, fmt.Sprintf("check %q: link_url %q is not an absolute http(s) URL: dropped", e.id, link))
			link = ""
		}
		issues = append(issues, SetupIssue{Severity: status, AppName: name, Text: text, LinkURL: link, LinkLabel: capRunes(r.LinkLabel, setupCheckMaxText)})
	}
	return issues, reported, violations
}

type rawEntry struct {
	id  string
	raw json.RawMessage
}

// orderedEntries decodes a JSON object (keeping its order, as PHP's
// json_decode does) or a list.
func orderedEntries(body []byte) ([]rawEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	var out []rawEntry
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			out = append(out, rawEntry{id: fmt.Sprint(k), raw: v})
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			out = append(out, rawEntry{id: strconv.Itoa(i), raw: v})
		}
	default:
		return nil, fmt.Errorf("top-level %v", tok)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// digitsOnly is PHP's ctype_digit: non-empty, 0-9 only.
func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var (
	httpScheme  = regexp.MustCompile(`(?i)^https?://`)
	unsafeChars = regexp.MustCompile(`[\x00-\x20\x7f"'<>]`)
)

// safeSetupURL is the refresh service's safeUrl plus the renderer's length
// limit.
func safeSetupURL(u string) bool {
	return len(u) <= 2048 && httpScheme.MatchString(u) && !unsafeChars.MatchString(u)
}

func capRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
