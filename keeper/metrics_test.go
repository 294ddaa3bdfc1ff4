package keeper_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/metrictest"
	"github.com/strongbox-go/strongbox/keeper"
)

// TestMetrics checks that every KEK call is counted by operation and
// outcome, with its latency, and every decrypt's data-key cache lookup by
// result; and that no attribute names a KEK id.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	rd := metrictest.New(t)
	kek := newCountingKEK(t)
	opts := func() keeper.EnvelopeOptions {
		return keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "kek-id-1")}, MeterProvider: rd}
	}
	ad := []byte("ns/s/1")

	warm := newEnvelopeAt(t, opts(), clk.Now)
	ct, err := warm.Encrypt(ctx, []byte("v"), ad) // wrap ok
	if err != nil {
		t.Fatal(err)
	}
	if _, err := warm.Decrypt(ctx, ct, ad); err != nil { // hit: made here
		t.Fatal(err)
	}
	cold := newEnvelopeAt(t, opts(), clk.Now)
	for range 2 { // miss (unwrap ok), then hit
		if _, err := cold.Decrypt(ctx, ct, ad); err != nil {
			t.Fatal(err)
		}
	}
	// Past the TTL with the KEK down: the stale key serves.
	clk.Advance(90 * time.Minute)
	kek.down.Store(true)
	if _, err := cold.Decrypt(ctx, ct, ad); err != nil { // stale (unwrap unavailable)
		t.Fatalf("stale decrypt: %v", err)
	}
	if _, err := newEnvelopeAt(t, opts(), clk.Now).Encrypt(ctx, []byte("v"), ad); err == nil { // wrap unavailable
		t.Fatal("Encrypt with the KEK down succeeded")
	}
	kek.down.Store(false)
	// Another key under the same id refuses to unwrap.
	other := newCountingKEK(t)
	wrong := newEnvelopeAt(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{other.kek(t, "kek-id-1")}, MeterProvider: rd}, clk.Now)
	if _, err := wrong.Decrypt(ctx, ct, ad); err == nil { // miss (unwrap decrypt_failed)
		t.Fatal("Decrypt under the wrong key succeeded")
	}

	points := rd.Collect(t)
	type key struct{ metric, a, b string }
	got := map[key]float64{}
	want := map[key]float64{
		{"strongbox.keeper.kek.calls", "wrap", "ok"}:                  1,
		{"strongbox.keeper.kek.calls", "wrap", "unavailable"}:         1,
		{"strongbox.keeper.kek.calls", "unwrap", "ok"}:                1,
		{"strongbox.keeper.kek.calls", "unwrap", "unavailable"}:       1,
		{"strongbox.keeper.kek.calls", "unwrap", "decrypt_failed"}:    1,
		{"strongbox.keeper.kek.duration", "wrap", "ok"}:               1,
		{"strongbox.keeper.kek.duration", "wrap", "unavailable"}:      1,
		{"strongbox.keeper.kek.duration", "unwrap", "ok"}:             1,
		{"strongbox.keeper.kek.duration", "unwrap", "unavailable"}:    1,
		{"strongbox.keeper.kek.duration", "unwrap", "decrypt_failed"}: 1,
		{"strongbox.keeper.data_key.cache.lookups", "hit", ""}:        2,
		{"strongbox.keeper.data_key.cache.lookups", "miss", ""}:       2,
		{"strongbox.keeper.data_key.cache.lookups", "stale", ""}:      1,
	}
	for _, p := range points {
		if p.Scope != "github.com/strongbox-go/strongbox/keeper" {
			t.Errorf("%s: scope %q", p.Metric, p.Scope)
		}
		switch p.Metric {
		case "strongbox.keeper.kek.calls", "strongbox.keeper.kek.duration":
			if len(p.Attrs) != 2 {
				t.Errorf("%s: attributes %v, want operation and outcome only", p.Metric, p.Attrs)
			}
			got[key{p.Metric, p.Attrs["strongbox.kek.operation"], p.Attrs["strongbox.outcome"]}] = p.Value
		case "strongbox.keeper.data_key.cache.lookups":
			if len(p.Attrs) != 1 {
				t.Errorf("%s: attributes %v, want the result only", p.Metric, p.Attrs)
			}
			got[key{p.Metric, p.Attrs["strongbox.cache.result"], ""}] = p.Value
		default:
			t.Errorf("unexpected metric %s", p)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s\n%s", diff, metrictest.Dump(points))
	}
	metrictest.CheckNoInput(t, points, "kek-id-1", "ns/s/1")
}

// TestMetricsDefaultToGlobalProvider checks that an Envelope without a
// MeterProvider works (over the global one, a no-op unless the program
// installs one).
func TestMetricsDefaultToGlobalProvider(t *testing.T) {
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{newCountingKEK(t).kek(t, "k")}})
	ct, err := e.Encrypt(context.Background(), []byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Decrypt(context.Background(), ct, nil); err != nil {
		t.Fatal(err)
	}
}
