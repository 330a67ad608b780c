package upstreamcontract

import "testing"

// BenchmarkCheck measures Check on real answers of the demo backend against
// DRF's generated document: a 6.7 KB object (a page of 25 farms) and a page
// of 50 observations.
func BenchmarkCheck(b *testing.B) {
	c := mustParse(b, "drf")
	cases := []struct {
		name, path string
		body       []byte
	}{
		{"object-6.7KB", "/api/v1/farms/", body(b, "farm-list")},
		{"page-50-items", "/api/v1/observations/", body(b, "observation-page")},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			if r := c.Check("GET", bc.path, 200, bc.body); !r.Described || r.Violation != nil {
				b.Fatalf("Check() = %+v", r)
			}
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				c.Check("GET", bc.path, 200, bc.body)
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.Check("GET", bc.path, 200, bc.body)
				}
			})
		})
	}
}
