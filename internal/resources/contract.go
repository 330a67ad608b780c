package resources

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/upstream"
	"github.com/weather-apis/weather_apis/internal/upstreamcontract"
)

// Contract modes (WEATHER_APIS_UPSTREAM_CONTRACT_MODE).
const (
	// ContractReport counts a violation and names it in diagnostics, the
	// doctor and the answer's Cache-Status (detail=contract-violation); it
	// never blocks. The default: DRF's generated documents are often
	// imprecise (a SerializerMethodField is typed string whatever it
	// returns), and an imprecise document must not take the API down.
	ContractReport = "report"
	// ContractEnforce refuses a violating read answer: it is not stored and
	// the client gets a 502 UPSTREAM_BAD_RESPONSE naming the JSON pointer.
	// Writes are never refused (the write was applied).
	ContractEnforce = "enforce"
)

// DetailContract is the Cache-Status detail of an answer that broke the
// published contract (report mode).
const DetailContract = "contract-violation"

// ContractOptions say where the upstream's OpenAPI document is.
type ContractOptions struct {
	// Path is the upstream path it is published at (e.g. /api/v1/schema/),
	// read with the service token; File a local file an operator gives
	// instead. Both empty: no contract.
	Path, File string
	// Mode is ContractReport (default) or ContractEnforce.
	Mode string
}

// ContractStatus is what diagnostics show of the contract.
type ContractStatus struct {
	Configured bool      `json:"configured"`
	Source     string    `json:"source,omitempty"` // "upstream <path>" or "file <name>"
	Mode       string    `json:"mode"`
	Hash       string    `json:"hash,omitempty"`
	Operations int       `json:"operations,omitempty"`
	Warnings   int       `json:"warnings,omitempty"`
	LoadedAt   time.Time `json:"loaded_at,omitzero"`
	Error      string    `json:"error,omitempty"` // the last read or parse failure
}

// contract holds the current document and checks answers against it.
type contract struct {
	o     ContractOptions
	up    Upstream
	cache Cache
	log   *slog.Logger
	cur   atomic.Pointer[upstreamcontract.Contract]
	mu    sync.Mutex
	st    ContractStatus
}

func newContract(o ContractOptions, up Upstream, c Cache, log *slog.Logger) *contract {
	if o.Mode != ContractEnforce {
		o.Mode = ContractReport
	}
	k := &contract{o: o, up: up, cache: c, log: log}
	k.st = ContractStatus{Configured: o.Path != "" || o.File != "", Mode: o.Mode}
	switch {
	case o.File != "":
		k.st.Source = "file " + o.File
	case o.Path != "":
		k.st.Source = "upstream " + o.Path
	}
	return k
}

// refresh re-reads the document (the probe calls it every round) and
// records its hash with the cache: a changed contract makes every entry
// stored under the old one unreachable. A failure keeps the last document.
func (k *contract) refresh(ctx context.Context) error {
	if k.o.Path == "" && k.o.File == "" {
		return nil
	}
	doc, err := k.read(ctx)
	var c *upstreamcontract.Contract
	if err == nil {
		c, err = upstreamcontract.Parse(doc)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.st.Error = envelope.From(err).Message
		if e := envelope.From(err); e.Code == envelope.CodeInternal {
			k.st.Error = err.Error()
		}
		return err
	}
	if old := k.cur.Load(); old == nil || old.Hash() != c.Hash() {
		k.cur.Store(c)
		k.log.Info("upstream contract loaded", "source", k.st.Source, "hash", c.Hash(), "operations", c.Operations(),
			"warnings", len(c.Warnings()))
	}
	k.st.Hash, k.st.Operations, k.st.Warnings, k.st.LoadedAt, k.st.Error = c.Hash(), c.Operations(), len(c.Warnings()), time.Now(), ""
	return k.cache.ObserveContract(ctx, c.Hash())
}

func (k *contract) read(ctx context.Context) ([]byte, error) {
	if k.o.File != "" {
		return os.ReadFile(k.o.File)
	}
	resp, err := k.up.Do(ctx, upstream.Request{Method: http.MethodGet, Path: k.o.Path, RequestID: "contract"})
	if err != nil {
		return nil, err
	}
	if resp.NotJSON || len(resp.Body) == 0 {
		return nil, fmt.Errorf("the upstream's OpenAPI document at %s is empty", k.o.Path)
	}
	return resp.Body, nil
}

// check checks a read answer (f.Raw: as the upstream sent it). In report
// mode a violation is counted and noted; in enforce mode it refuses the
// answer.
func (k *contract) check(route string, f cache.Fetched) (string, error) {
	c := k.cur.Load()
	if c == nil {
		return "", nil
	}
	raw := f.Raw
	if raw == nil {
		raw = f.Body
	}
	res := c.Check(f.Method, f.Path, f.Status, raw)
	if res.Violation == nil {
		return "", nil
	}
	k.cache.NoteViolation(context.Background(), route, f.Path, res.Violation.Error())
	if k.o.Mode == ContractEnforce {
		return "", envelope.Errorf(envelope.CodeUpstreamBadResponse,
			"The farm service's answer breaks its published contract at %q: %s.", res.Violation.Pointer, res.Violation.Message).
			WithDetails(map[string]string{"pointer": res.Violation.Pointer, "operation": res.Operation})
	}
	return DetailContract, nil
}

// report checks a write answer and only counts a violation.
func (k *contract) report(route, method, path string, status int, body []byte) {
	c := k.cur.Load()
	if c == nil {
		return
	}
	if res := c.Check(method, path, status, body); res.Violation != nil {
		k.cache.NoteViolation(context.Background(), route, path, res.Violation.Error())
	}
}

func (k *contract) status() ContractStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st
}

// Contract reports the state of the upstream's published contract.
func (s *Service) Contract() ContractStatus { return s.contract.status() }

// RefreshContract re-reads the upstream's published contract now.
func (s *Service) RefreshContract(ctx context.Context) error { return s.contract.refresh(ctx) }
