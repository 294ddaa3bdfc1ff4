// Package metrictest reads what strongbox's instruments recorded, for
// tests: a MeterProvider over an sdk/metric ManualReader, and the points it
// collected flattened to name, attributes and value.
package metrictest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

// Reader is a MeterProvider whose measurements a test collects.
type Reader struct {
	*sdkmetric.MeterProvider
	r *sdkmetric.ManualReader
}

// New returns a Reader; it is shut down when t ends.
func New(t testing.TB) *Reader {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return &Reader{MeterProvider: mp, r: r}
}

// Point is one data point: a counter's sum, or a histogram's count (and
// its sum in Sum).
type Point struct {
	Scope  string
	Metric string
	Attrs  map[string]string
	Value  float64
	Sum    float64
}

// String prints the point as name{k=v,...} value.
func (p Point) String() string {
	keys := make([]string, 0, len(p.Attrs))
	for k := range p.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(p.Metric + "{")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%s", k, p.Attrs[k])
	}
	fmt.Fprintf(&b, "} %g", p.Value)
	return b.String()
}

// Collect returns every point recorded so far, cumulative. Each point's
// attributes are also given to leakcheck.Check, so a registered test
// secret in any attribute fails the package's run.
func (r *Reader) Collect(t testing.TB) []Point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collecting metrics: %v", err)
	}
	var out []Point
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			add := func(set attribute.Set, v, sum float64) {
				p := Point{Scope: sm.Scope.Name, Metric: m.Name, Attrs: map[string]string{}, Value: v, Sum: sum}
				for _, kv := range set.ToSlice() {
					p.Attrs[string(kv.Key)] = kv.Value.String()
				}
				leakcheck.Check("metric "+m.Name, p.String())
				out = append(out, p)
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes, float64(dp.Value), float64(dp.Value))
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes, dp.Value, dp.Value)
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes, float64(dp.Count), dp.Sum)
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					add(dp.Attributes, float64(dp.Count), float64(dp.Sum))
				}
			default:
				t.Fatalf("metric %s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

// Value returns the value of the point of metric whose attributes are
// exactly attrs (key, value pairs), and 0 if there is none.
func Value(points []Point, metric string, attrs ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(attrs); i += 2 {
		want[attrs[i]] = attrs[i+1]
	}
	for _, p := range points {
		if p.Metric == metric && mapsEqual(p.Attrs, want) {
			return p.Value
		}
	}
	return 0
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Dump prints the points, one a line, for failure messages.
func Dump(points []Point) string {
	var b strings.Builder
	for _, p := range points {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// CheckNoInput fails t if any attribute value of points contains one of
// words (secret names, namespaces, tokens a test used): labels must come
// from fixed sets, never from caller input.
func CheckNoInput(t testing.TB, points []Point, words ...string) {
	t.Helper()
	for _, p := range points {
		for k, v := range p.Attrs {
			for _, w := range words {
				if w != "" && strings.Contains(v, w) {
					t.Errorf("metric %s attribute %s=%q contains caller input %q", p.Metric, k, v, w)
				}
			}
		}
	}
}
