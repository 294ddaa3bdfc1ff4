package secrets_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets"
)

// BenchmarkHistory measures Reset and Reveal of a secret that keeps 10
// earlier values (its window full, so every reset also drops one) against
// a secret without history, on one store, alternating in one loop so the
// ratio compares like with like on a shared machine. x-nohistory is the
// ratio (target: within 1.2). Pinned reveals (name@N of a kept version)
// are reported against the unpinned reveal of the plain secret.
func BenchmarkHistory(b *testing.B) {
	for _, backend := range backends {
		b.Run(backend+"/Reset", func(b *testing.B) { benchHistory(b, backend, "reset") })
		b.Run(backend+"/Reveal", func(b *testing.B) { benchHistory(b, backend, "reveal") })
		b.Run(backend+"/RevealPinned", func(b *testing.B) { benchHistory(b, backend, "pinned") })
	}
}

func benchHistory(b *testing.B, backend, op string) {
	st, kp := newStore(b, backend), newKeeper(b)
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, DefaultDecrypters: []string{runner.ID}})
	if err != nil {
		b.Fatal(err)
	}
	const kept = 10
	value := secrets.NewValue(uniqueValue())
	for _, s := range []struct {
		name string
		keep int
	}{{"plain", 0}, {"kept", kept}} {
		if _, err := m.Create(as(editor), ns, secrets.Spec{Name: s.name, Value: value, KeepVersions: keep(s.keep)}); err != nil {
			b.Fatal(err)
		}
		for range kept {
			if _, err := m.Reset(as(editor), ns, s.name, value, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	vs, err := m.Versions(as(editor), ns, "kept")
	if err != nil || len(vs) != kept+1 {
		b.Fatalf("the kept secret lists %d versions (%v), want %d", len(vs), err, kept+1)
	}
	pinned := "kept@" + strconv.FormatInt(vs[kept/2].Version, 10)
	run := func(name string) {
		var err error
		switch op {
		case "reset":
			_, err = m.Reset(as(editor), ns, name, value, 0)
		case "reveal":
			_, err = m.RevealValue(as(runner), ns, name)
		case "pinned":
			if name == "kept" {
				name = pinned
			}
			_, err = m.RevealValue(as(runner), ns, name)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	run("plain") // warm the data key cache
	run("kept")
	b.ReportAllocs()
	b.ResetTimer()
	var base, hist time.Duration
	for range b.N {
		t0 := time.Now()
		run("plain")
		t1 := time.Now()
		run("kept")
		base += t1.Sub(t0)
		hist += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "nohistory-ns/op")
	b.ReportMetric(float64(hist.Nanoseconds())/float64(b.N), "history-ns/op")
	b.ReportMetric(float64(hist)/float64(base), "x-nohistory")
}
