package jsonshape_test

import (
	"os"
	"testing"

	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

// The fingerprint is computed on the miss path only (an upstream answer at
// hand), never on a cache hit; these measure what a miss pays for it, on
// answers captured from the DRF demo.
func benchOf(b *testing.B, file string) {
	body, err := os.ReadFile("../upstreamcontract/testdata/bodies/" + file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsonshape.Of(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOfFarmPage(b *testing.B)        { benchOf(b, "farm-list.json") }
func BenchmarkOfObservationPage(b *testing.B) { benchOf(b, "observation-page.json") }

func BenchmarkCompareStrict(b *testing.B) {
	body, err := os.ReadFile("../upstreamcontract/testdata/bodies/observation-page.json")
	if err != nil {
		b.Fatal(err)
	}
	p, _ := jsonshape.Of(body)
	b.ReportAllocs()
	for b.Loop() {
		if c := jsonshape.Compare(p, p, true); len(c) != 0 {
			b.Fatal(c)
		}
	}
}
