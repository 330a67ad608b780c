package resources_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// newService wires the real pieces against a real redis-server and the real
// DRF demo (world_test.go).
func newService(t *testing.T) (*resources.Service, *testenv.DRF) {
	t.Helper()
	w := newWorld(t)
	svc, _ := w.service(t, resources.Options{Policy: resources.Policy{TTL: time.Minute, SWR: 10 * time.Second, StaleIfError: time.Minute, NegativeTTL: 5 * time.Second}})
	return svc, w.drf
}

func count(t *testing.T, body []byte) int {
	t.Helper()
	var page struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("not a DRF page: %v", err)
	}
	return page.Count
}

func TestReadsAreCachedAndWritesInvalidate(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	a, err := svc.Read(ctx, "farm_list", resources.Params{})
	if err != nil || a.XCache != cache.XCacheMiss || a.Source != envelope.SourceUpstream {
		t.Fatalf("first list = %s %s, %v; want MISS from upstream", a.XCache, a.Source, err)
	}
	before := count(t, a.Body)
	if a, _ = svc.Read(ctx, "farm_list", resources.Params{}); a.XCache != cache.XCacheHit || a.Source != envelope.SourceCache {
		t.Fatalf("second list = %s %s; want HIT from cache", a.XCache, a.Source)
	}
	created, err := svc.Write(ctx, "farm_create", resources.Params{}, []byte(`{"name":"Test farm","owner":"t","crop":"wheat","area_ha":12.5,"latitude":1,"longitude":2}`))
	if err != nil || created.Status != 201 {
		t.Fatalf("create = %d, %v", created.Status, err)
	}
	a, err = svc.Read(ctx, "farm_list", resources.Params{})
	if err != nil || a.XCache != cache.XCacheMiss || count(t, a.Body) != before+1 {
		t.Fatalf("list after create = %s count %d, %v; want a MISS with %d farms", a.XCache, count(t, a.Body), err, before+1)
	}
	var farm struct {
		ID int `json:"id"`
	}
	_ = json.Unmarshal(created.Body, &farm)
	id := jsonID(farm.ID)
	if _, err := svc.Read(ctx, "farm_detail", resources.Params{ID: id}); err != nil {
		t.Fatalf("detail: %v", err)
	}
	if _, err := svc.Write(ctx, "farm_update", resources.Params{ID: id}, []byte(`{"name":"Renamed","owner":"t","crop":"maize","area_ha":3,"latitude":1,"longitude":2}`)); err != nil {
		t.Fatalf("update: %v", err)
	}
	a, _ = svc.Read(ctx, "farm_detail", resources.Params{ID: id})
	var got struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(a.Body, &got)
	if got.Name != "Renamed" || a.XCache != cache.XCacheMiss {
		t.Errorf("detail after update = %q (%s); want Renamed from a MISS", got.Name, a.XCache)
	}
	del, err := svc.Write(ctx, "farm_delete", resources.Params{ID: id}, nil)
	if err != nil || del.Status != 200 || del.Body != nil {
		t.Fatalf("delete = %d %q, %v; want 200 with no data", del.Status, del.Body, err)
	}
	if _, err := svc.Read(ctx, "farm_detail", resources.Params{ID: id}); envelope.CodeOf(err) != envelope.CodeNotFound {
		t.Errorf("detail after delete: %v; want NOT_FOUND", err)
	}
}

func TestValidationErrorsAndQueries(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	_, err := svc.Write(ctx, "farm_create", resources.Params{}, []byte(`{"name":"","area_ha":-1}`))
	e := envelope.From(err)
	if e.Code != envelope.CodeValidationFailed || e.Details == nil {
		t.Fatalf("invalid create = %+v; want VALIDATION_FAILED with DRF field details", e)
	}
	if _, err := svc.Read(ctx, "farm_list", resources.Params{Query: url.Values{"evil": {"1"}}}); envelope.CodeOf(err) != envelope.CodeBadRequest {
		t.Errorf("unknown query parameter: %v; want BAD_REQUEST", err)
	}
	a, err := svc.Read(ctx, "observation_list", resources.Params{Query: url.Values{"farm": {"1"}}})
	if err != nil || a.Status != 200 {
		t.Fatalf("observations for farm 1: %d %v", a.Status, err)
	}
	b, _ := svc.Read(ctx, "observation_list", resources.Params{Query: url.Values{"farm": {"2"}}})
	if string(a.Body) == string(b.Body) {
		t.Errorf("different query parameters shared one cache entry")
	}
	if a, _ := svc.Read(ctx, "observation_list", resources.Params{Query: url.Values{"farm": {"1"}}, Revalidate: true}); a.XCache != cache.XCacheMiss {
		t.Errorf("revalidating read = %s; want MISS", a.XCache)
	}
}

func jsonID(n int) string { b, _ := json.Marshal(n); return string(b) }
