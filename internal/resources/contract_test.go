package resources_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestPublishedContract: the DRF demo publishes its OpenAPI document with
// DRF's own generator; weather_apis reads it, keys the cache on its hash,
// reports violations (never blocking) or enforces them on reads, and never
// refuses a write.
func TestPublishedContract(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	nameIsNumber := testenv.Transforms{Rules: []testenv.TransformRule{
		{Route: `^(GET|PUT) /api/v1/farms/`, Ops: []testenv.TransformOp{{Op: "retype", Path: "results[].name", Type: "number"}, {Op: "retype", Path: "name", Type: "number"}}},
	}}

	t.Run("report", func(t *testing.T) {
		w.reset(t)
		svc, c := w.service(t, resources.Options{Contract: resources.ContractOptions{Path: "/api/v1/schema/"}})
		if err := svc.RefreshContract(ctx); err != nil {
			t.Fatal(err)
		}
		st := svc.Contract()
		if !st.Configured || st.Mode != resources.ContractReport || st.Hash == "" || st.Operations < 5 {
			t.Fatalf("contract status = %+v", st)
		}
		a, err := svc.Read(ctx, "farm_list", resources.Params{})
		if err != nil || strings.Contains(a.CacheStatus, resources.DetailContract) {
			t.Fatalf("conforming list = %s, %v", a.CacheStatus, err)
		}
		w.drf.SetTransforms(t, nameIsNumber)
		a, err = svc.Read(ctx, "farm_list", resources.Params{Revalidate: true})
		if err != nil || a.Status != 200 || !strings.Contains(a.CacheStatus, "detail="+resources.DetailContract) {
			t.Fatalf("violating list in report mode = %d %s, %v; want 200 labelled %s", a.Status, a.CacheStatus, err, resources.DetailContract)
		}
		if a, _ := svc.Read(ctx, "farm_list", resources.Params{}); !strings.Contains(a.CacheStatus, "detail="+resources.DetailContract) {
			t.Errorf("the label must stay with the cached entry: %s", a.CacheStatus)
		}
		shapes, err := c.Shapes(ctx, []string{"farm_list"})
		if err != nil || shapes[0].Violations == 0 || shapes[0].LastViolation == nil || !strings.HasPrefix(shapes[0].LastViolation.Text, "/results/0/name") {
			t.Errorf("violation record = %+v, %v", shapes, err)
		}
	})

	t.Run("enforce", func(t *testing.T) {
		w.reset(t)
		svc, _ := w.service(t, resources.Options{Contract: resources.ContractOptions{Path: "/api/v1/schema/", Mode: resources.ContractEnforce}})
		if err := svc.RefreshContract(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Read(ctx, "farm_detail", resources.Params{ID: "2"}); err != nil {
			t.Fatal(err)
		}
		w.drf.SetTransforms(t, nameIsNumber)
		_, err := svc.Read(ctx, "farm_detail", resources.Params{ID: "3"})
		e := envelope.From(err)
		if e == nil || e.Code != envelope.CodeUpstreamBadResponse || envelope.StatusFor(e) != 502 || !strings.Contains(e.Message, `"/name"`) {
			t.Fatalf("violating read in enforce mode = %v; want a 502 naming /name", err)
		}
		a, err := svc.Write(ctx, "farm_update", resources.Params{ID: "3"},
			[]byte(`{"name":"Renamed","crop":"maize","area_ha":3,"latitude":1,"longitude":2}`))
		if err != nil || a.Status != 200 {
			t.Fatalf("a write DRF accepted, in enforce mode = %d, %v; want 200 (never refused)", a.Status, err)
		}
	})

	t.Run("a new contract is a new cache", func(t *testing.T) {
		w.reset(t)
		svc, c := w.service(t, resources.Options{Contract: resources.ContractOptions{Path: "/api/v1/schema/"}})
		if err := svc.RefreshContract(ctx); err != nil {
			t.Fatal(err)
		}
		before := svc.Contract().Hash
		if _, err := svc.Read(ctx, "farm_detail", resources.Params{ID: "2"}); err != nil {
			t.Fatal(err)
		}
		if a, _ := svc.Read(ctx, "farm_detail", resources.Params{ID: "2"}); a.XCache != cache.XCacheHit {
			t.Fatalf("second read = %s", a.XCache)
		}
		w.drf.SetLayout(t, testenv.Layout{FarmState: "ndvi-object"}) // the generated document changes
		if err := svc.RefreshContract(ctx); err != nil {
			t.Fatal(err)
		}
		if after := svc.Contract().Hash; after == before {
			t.Fatalf("the contract hash did not change with the serializer (%s)", after)
		}
		st, _ := c.Stats(ctx)
		if st.Contract != svc.Contract().Hash {
			t.Errorf("cache keyed for contract %q; want %q", st.Contract, svc.Contract().Hash)
		}
		if a, _ := svc.Read(ctx, "farm_detail", resources.Params{ID: "2"}); a.XCache != cache.XCacheMiss {
			t.Errorf("entry stored under the old contract = %s; want MISS", a.XCache)
		}
	})
}

// TestContractFromAFile: an operator can give the document as a file
// instead of an upstream path; a file that cannot be read or parsed keeps
// the last good document and says why.
func TestContractFromAFile(t *testing.T) {
	r := testenv.StartRedis(t)
	w := &world{redis: r, rdb: redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})}
	t.Cleanup(func() { w.rdb.Close() })
	file := filepath.Join(t.TempDir(), "openapi.json")
	doc, err := os.ReadFile("../upstreamcontract/testdata/drf-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	svc, c := w.service(t, resources.Options{UpstreamURL: "http://127.0.0.1:1", Contract: resources.ContractOptions{File: file}})
	ctx := context.Background()
	if err := svc.RefreshContract(ctx); err != nil {
		t.Fatal(err)
	}
	st := svc.Contract()
	if st.Source != "file "+file || st.Hash == "" || st.Error != "" {
		t.Fatalf("status = %+v", st)
	}
	if cs, _ := c.Stats(ctx); cs.Contract != st.Hash {
		t.Errorf("cache keyed for contract %q; want %q", cs.Contract, st.Hash)
	}
	if err := os.WriteFile(file, []byte("not an OpenAPI document"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshContract(ctx); err == nil {
		t.Fatal("a broken document was accepted")
	}
	if st2 := svc.Contract(); st2.Hash != st.Hash || st2.Error == "" {
		t.Errorf("after a broken document: %+v; want the last good hash and the reason", st2)
	}
}
