package secrets_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

// BenchmarkWarmReveal measures a warm Reveal (data key cached) against its
// bare cost: one store read plus one AES-256-GCM decrypt of a value of the
// same size, in the same run. It reports both and their ratio; the ratio
// is the Manager's overhead (authorization, metadata read, audit, envelope
// parsing), independent of the machine.
func BenchmarkWarmReveal(b *testing.B) {
	for _, backend := range backends {
		for _, size := range []int{64, 4096} {
			b.Run(backend+"/"+sizeName(size), func(b *testing.B) { benchWarmReveal(b, backend, size) })
		}
	}
}

func benchWarmReveal(b *testing.B, backend string, size int) {
	st, kp := newStore(b, backend), newKeeper(b)
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, DefaultDecrypters: []string{runner.ID}})
	if err != nil {
		b.Fatal(err)
	}
	value := strings.Repeat("v", size)
	if _, err := m.Create(as(editor), ns, secrets.Spec{Name: "bench", Value: secrets.NewValue(value)}); err != nil {
		b.Fatal(err)
	}
	ctx := as(runner)
	if _, err := m.RevealValue(ctx, ns, "bench"); err != nil { // warm the cache
		b.Fatal(err)
	}
	bare := newBareReader(b, st, value)

	// The two alternate in one loop, so the ratio compares like with like
	// on a shared machine whose speed drifts.
	b.ReportAllocs()
	b.ResetTimer()
	var base, reveal time.Duration
	for range b.N {
		t0 := time.Now()
		bare.readAndDecrypt(b)
		t1 := time.Now()
		if _, err := m.RevealValue(ctx, ns, "bench"); err != nil {
			b.Fatal(err)
		}
		base += t1.Sub(t0)
		reveal += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(reveal.Nanoseconds())/float64(b.N), "reveal-ns/op")
	b.ReportMetric(float64(reveal)/float64(base), "x-bare")
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// bareReader is the floor a Reveal cannot beat: read one stored ciphertext
// and decrypt it with AES-256-GCM under a key already in memory.
type bareReader struct {
	st    *storage.Store
	gcm   cipher.AEAD
	nonce []byte
}

func newBareReader(b *testing.B, st *storage.Store, value string) *bareReader {
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	r := &bareReader{st: st, gcm: gcm, nonce: make([]byte, gcm.NonceSize())}
	ct := gcm.Seal(nil, r.nonce, []byte(value), nil)
	if err := st.PutCiphertext(context.Background(), &storage.Ciphertext{Namespace: "bare", Name: "bare", ValueID: "bare", Version: 1, Data: ct}); err != nil {
		b.Fatal(err)
	}
	return r
}

func (r *bareReader) readAndDecrypt(b *testing.B) {
	c, err := r.st.GetCiphertext(context.Background(), "bare", "bare", "bare")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.gcm.Open(nil, r.nonce, c.Data, nil); err != nil {
		b.Fatal(err)
	}
}
