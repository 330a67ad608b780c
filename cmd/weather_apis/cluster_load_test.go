package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// haPhases names the load phases of haFailover.
var haPhases = []string{"before", "failing over", "after"}

// haLoad is background traffic on every replica: writers create farms,
// readers read the list, the schema and single farms. Every answer is kept,
// grouped by the phase it started in.
type haLoad struct {
	c     *haClient
	phase atomic.Int32
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	res   [][]haResult
}

func startHALoad(c *haClient, writers, readers int) *haLoad {
	l := &haLoad{c: c, done: make(chan struct{}), res: make([][]haResult, len(haPhases))}
	replicas := len(c.s.Apps)
	for w := range writers {
		l.wg.Go(func() {
			for k := 0; !l.stopped(); k++ {
				name := fmt.Sprintf("failover-%d-%d", w, k)
				l.do(haReq{replica: (w + k) % replicas, method: "POST", path: "/api/v1/admin/farms", body: haFarm(name), name: name})
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	paths := []string{"/api/v1/admin/farms", "/api/v1/admin/farms/schema", "/api/v1/admin/farms/1", "/api/v1/admin/farms/2"}
	for r := range readers {
		l.wg.Go(func() {
			for k := 0; !l.stopped(); k++ {
				l.do(haReq{replica: (r + k) % replicas, method: "GET", path: paths[(r+k)%len(paths)]})
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return l
}

func (l *haLoad) stopped() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

func (l *haLoad) do(q haReq) {
	phase := l.phase.Load()
	r := l.c.call(q)
	l.mu.Lock()
	l.res[phase] = append(l.res[phase], r)
	l.mu.Unlock()
}

func (l *haLoad) setPhase(p int32) { l.phase.Store(p) }

// stop ends the load, waits for in-flight requests and returns the answers
// by phase.
func (l *haLoad) stop() [][]haResult {
	close(l.done)
	l.wg.Wait()
	return l.res
}

type haCreated struct {
	id   int
	name string
}

// haFarm is a valid farm create body.
func haFarm(name string) []byte {
	b, _ := json.Marshal(map[string]any{"name": name, "crop": "wheat", "area_ha": 12.5, "latitude": 45.1, "longitude": 7.6})
	return b
}

// haFarmID is the id of the farm in a create answer (0 if none).
func haFarmID(r haResult) int {
	var f struct{ ID int }
	_ = json.Unmarshal(r.Wire.Data, &f)
	return f.ID
}

// haListPage is the DRF list inside an envelope.
type haListPage struct {
	Count   int          `json:"count"`
	Next    *string      `json:"next"`
	Results []haListItem `json:"results"`
}

type haListItem struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func (p haListPage) has(id int) bool {
	return slices.ContainsFunc(p.Results, func(f haListItem) bool { return f.ID == id })
}

func haPage(t *testing.T, r haResult) haListPage {
	t.Helper()
	var p haListPage
	if err := json.Unmarshal(r.Wire.Data, &p); err != nil {
		t.Errorf("list data %.200s: %v", r.Wire.Data, err)
	}
	return p
}

// haDRFFarms lists every farm straight from DRF (id -> name), page by page.
func haDRFFarms(t *testing.T, s *stack) map[int]string {
	t.Helper()
	access, _ := s.DRF.Token(t)
	out := map[int]string{}
	for page := 1; page <= 100; page++ {
		req, _ := http.NewRequest("GET", s.DRF.URL()+"/api/v1/farms/?page="+strconv.Itoa(page), nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("DRF farm list page %d: %v", page, err)
		}
		var p haListPage
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("DRF farm list page %d: %d %v", page, resp.StatusCode, err)
		}
		for _, f := range p.Results {
			out[f.ID] = f.Name
		}
		if p.Next == nil {
			if len(out) != p.Count {
				t.Fatalf("DRF listed %d farms; its count says %d", len(out), p.Count)
			}
			return out
		}
	}
	t.Fatal("DRF farm list has more than 100 pages")
	return nil
}
