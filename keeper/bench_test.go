package keeper_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/tink-crypto/tink-go/v2/aead"
)

// tinkKEK is the counting key-encryption key as a tink.AEAD, the way Tink's
// KMS envelope uses a KMS (it passes empty associated data).
type tinkKEK struct{ k keeper.Wrapper }

func (t tinkKEK) Encrypt(pt, _ []byte) ([]byte, error) { return t.k.Wrap(context.Background(), pt) }
func (t tinkKEK) Decrypt(ct, _ []byte) ([]byte, error) { return t.k.Unwrap(context.Background(), ct) }

// BenchmarkReveal10k decrypts 10,000 distinct ciphertexts with a cold
// strongbox Envelope and with Tink's KMS envelope AEAD, over the same
// counting key-encryption key, and reports each one's KEK calls per 10,000
// reveals (kek-calls for strongbox, tink-kek-calls), each one's time per
// reveal, and ratio = strongbox throughput / Tink throughput. The
// kek-latency-1ms variant adds a remote key service's latency to every
// call (one round, about 11 s: Tink waits 10,000 times).
func BenchmarkReveal10k(b *testing.B) {
	for _, delay := range []time.Duration{0, time.Millisecond} {
		name := "local-kek"
		if delay > 0 {
			name = fmt.Sprintf("kek-latency-%dms", delay.Milliseconds())
		}
		b.Run(name, func(b *testing.B) { benchmarkReveal(b, delay) })
	}
}

func benchmarkReveal(b *testing.B, delay time.Duration) {
	const n = 10000
	ctx := context.Background()
	kek := newCountingKEK(b)
	sk := kek
	kekOf := func() keeper.KEK { return keeper.KEK{ID: "bench", Wrapper: sk} }

	enc := newEnvelope(b, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kekOf()}})
	tk := aead.NewKMSEnvelopeAEAD2(aead.AES256GCMKeyTemplate(), tinkKEK{sk})
	ads, pts := make([][]byte, n), make([][]byte, n)
	sbCTs, tinkCTs := make([][]byte, n), make([][]byte, n)
	for i := range n {
		ads[i] = fmt.Appendf(nil, "strongbox/aad/v1\x00bench\x00secret-%d\x001\x00v%d", i, i)
		pts[i] = fmt.Appendf(nil, "api-key-%08d-abcdefghijklmnopqrstuvwxyz", i)
		var err error
		if sbCTs[i], err = enc.Encrypt(ctx, pts[i], ads[i]); err != nil {
			b.Fatal(err)
		}
		if tinkCTs[i], err = tk.Encrypt(pts[i], ads[i]); err != nil {
			b.Fatal(err)
		}
	}
	kek.delay = delay

	var sbTime, tinkTime time.Duration
	var sbCalls, tinkCalls, iters int64
	for b.Loop() {
		// A cold keeper each round: its one unwrap is counted.
		dec, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{kekOf()}})
		if err != nil {
			b.Fatal(err)
		}
		c0, t0 := kek.calls(), time.Now()
		for i := range n {
			pt, err := dec.Decrypt(ctx, sbCTs[i], ads[i])
			if err != nil || len(pt) != len(pts[i]) {
				b.Fatalf("strongbox Decrypt %d: %v", i, err)
			}
		}
		sbTime += time.Since(t0)
		sbCalls += kek.calls() - c0
		dec.Close()

		c0, t0 = kek.calls(), time.Now()
		for i := range n {
			pt, err := tk.Decrypt(tinkCTs[i], ads[i])
			if err != nil || len(pt) != len(pts[i]) {
				b.Fatalf("tink Decrypt %d: %v", i, err)
			}
		}
		tinkTime += time.Since(t0)
		tinkCalls += kek.calls() - c0
		iters++
	}
	if got := sbCalls / iters; got > 2 {
		b.Errorf("strongbox made %d KEK calls per %d reveals, want at most 2", got, n)
	}
	b.ReportMetric(float64(sbCalls)/float64(iters), "kek-calls")
	b.ReportMetric(float64(tinkCalls)/float64(iters), "tink-kek-calls")
	b.ReportMetric(float64(sbTime.Nanoseconds())/float64(iters*n), "ns/reveal")
	b.ReportMetric(float64(tinkTime.Nanoseconds())/float64(iters*n), "tink-ns/reveal")
	b.ReportMetric(float64(tinkTime)/float64(sbTime), "ratio")
}
