package testenv

import (
	"net/http"
	"testing"
	"time"
)

// TestExpireTokens: with the token fault on, a token issued before the
// limit is refused like an expired one, a fresh one is accepted; cleared,
// the old token works again.
func TestExpireTokens(t *testing.T) {
	d := SharedDRF(t, DRFOptions{})
	old, _ := d.Token(t)
	url := d.URL() + "/api/v1/farms/1/"
	d.ExpireTokens(t, 2*time.Second)
	// iat has whole seconds: the old token is surely older than 2 s after
	// 3.1 s, a fresh one surely younger.
	time.Sleep(3100 * time.Millisecond)
	resp, body, err := get(t, url, old)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old token under the fault: %v %v %s; want 401", err, resp, body)
	}
	fresh, _ := d.Token(t)
	if resp, body, err := get(t, url, fresh); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh token under the fault: %v %v %s; want 200", err, resp, body)
	}
	if st := d.Stats(t); st.FaultsByKind["token_expired"] != 1 {
		t.Errorf("faults_by_kind %v; want token_expired 1", st.FaultsByKind)
	}
	d.ClearFaults(t)
	if resp, body, err := get(t, url, old); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("old token after ClearFaults: %v %v %s; want 200", err, resp, body)
	}
}
