package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scraped is one parsed scrape.
type scraped struct {
	text string
	mfs  map[string]*dto.MetricFamily
}

// serveOnLoopback serves m on a fresh loopback port until the test ends and
// returns the metrics URL. Stopping is checked: Serve must return nil.
func serveOnLoopback(t *testing.T, m *Metrics) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ServeListener after cancel = %v; want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("ServeListener did not return within 10 s of cancel")
		}
	})
	return "http://" + ln.Addr().String() + Path
}

// scrape GETs url (retrying connection errors for up to 5 s, for a listener
// still starting) and parses the text exposition.
func scrape(t *testing.T, url string) scraped {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get(url)
		if err != nil {
			var op *net.OpError
			if errors.As(err, &op) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			t.Fatalf("GET %s: %v", url, err)
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d\n%s", url, resp.StatusCode, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type = %q; want the text exposition format", ct)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("cannot parse the scrape: %v\n%s", err, b)
		}
		return scraped{text: string(b), mfs: mfs}
	}
}

// value returns the sample of family name whose labels include want: a
// counter's or gauge's value, a histogram's sample count. ok is false when
// there is no such sample.
func (s scraped) value(name string, want map[string]string) (v float64, ok bool) {
	mf := s.mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// expect checks one sample; want < 0 means "present, any value".
func (s scraped) expect(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := s.value(name, labels)
	switch {
	case !ok:
		t.Errorf("%s%v: missing", name, labels)
	case want >= 0 && got != want:
		t.Errorf("%s%v = %v; want %v", name, labels, got, want)
	}
}

// absent checks that family name has no sample with labels.
func (s scraped) absent(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	if v, ok := s.value(name, labels); ok {
		t.Errorf("%s%v = %v; want no such series", name, labels, v)
	}
}

type labels = map[string]string
