package keeper_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
)

// TestUnknownKEKNamesID: a ciphertext under a KEK the keeper does not hold
// (written by an instance that has a newer key) fails with ErrUnknownKEK,
// code Unavailable, naming the KEK id, and never as "decryption failed",
// which stays for bytes that do not authenticate (issue #14 item 3).
func TestUnknownKEKNamesID(t *testing.T) {
	ctx := context.Background()
	newer := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{newCountingKEK(t).kek(t, "kek-2026-new")}})
	older := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{newCountingKEK(t).kek(t, "kek-2025-old")}})
	ad := []byte("ns/name/1")
	ct, err := newer.Encrypt(ctx, []byte("v"), ad)
	if err != nil {
		t.Fatal(err)
	}
	got, err := older.Decrypt(ctx, ct, ad)
	if got != nil {
		t.Errorf("Decrypt returned %d bytes with its error", len(got))
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"matches ErrUnknownKEK", errors.Is(err, keeper.ErrUnknownKEK)},
		{"has code Unavailable", errors.Is(err, keeper.ErrUnavailable)},
		{"does not match ErrDecrypt", !errors.Is(err, keeper.ErrDecrypt)},
		{"names the KEK id", err != nil && strings.Contains(err.Error(), `"kek-2026-new"`)},
		{"does not say decryption failed", err != nil && !strings.Contains(err.Error(), "decryption failed")},
	} {
		if !c.ok {
			t.Errorf("Decrypt error %v: want it %s", err, c.name)
		}
	}
	// Rewrap reads the same way.
	if _, _, err := older.Rewrap(ctx, ct, ad); !errors.Is(err, keeper.ErrUnknownKEK) || errors.Is(err, keeper.ErrDecrypt) {
		t.Errorf("Rewrap error = %v, want ErrUnknownKEK and not ErrDecrypt", err)
	}
	// Tampering stays "decryption failed".
	bad := append([]byte(nil), ct...)
	bad[len(bad)-1] ^= 1
	if _, err := newer.Decrypt(ctx, bad, ad); !errors.Is(err, keeper.ErrDecrypt) || errors.Is(err, keeper.ErrUnknownKEK) {
		t.Errorf("Decrypt of a tampered ciphertext = %v, want ErrDecrypt and not ErrUnknownKEK", err)
	}
}

// TestKMSOutageSharesOneAttempt: during a key-service outage, cold
// decryptions of one data key share one KEK call (concurrent ones wait for
// it, later ones get its failure from the negative cache), and the next
// attempt comes after a short interval that grows while the outage lasts
// (issue #14 item 4).
func TestKMSOutageSharesOneAttempt(t *testing.T) {
	ctx := context.Background()
	kek, clk := newCountingKEK(t), newClock()
	writer := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}})
	ad := []byte("ns/name/1")
	ct, err := writer.Encrypt(ctx, []byte("cold"), ad)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvelopeAt(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}}, clk.Now)
	kek.down.Store(true)
	kek.delay = 20 * time.Millisecond
	base := kek.unwraps.Load()

	decryptMany := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := e.Decrypt(ctx, ct, ad)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, keeper.ErrUnavailable) || errors.Is(err, keeper.ErrUnknownKEK) {
				t.Fatalf("Decrypt during the outage = %v, want Unavailable", err)
			}
		}
	}
	steps := []struct {
		name      string
		advance   time.Duration
		wantCalls int64 // total unwraps since the outage began
	}{
		{"50 concurrent cold reveals", 0, 1},
		{"50 more at once after", 0, 1},
		{"50 more within the first interval (100ms)", 99 * time.Millisecond, 1},
		{"past the first interval", 2 * time.Millisecond, 2},
		{"within the second interval (200ms)", 150 * time.Millisecond, 2},
		{"past the second interval", 60 * time.Millisecond, 3},
		// The interval doubles (400ms, 800ms, 1.6s) up to 2s.
		{"later", 10 * time.Second, 4},
		{"later still", 10 * time.Second, 5},
		{"much later", 10 * time.Second, 6},
		{"capped", 10 * time.Second, 7},
		{"within the capped interval (2s)", 1900 * time.Millisecond, 7},
		{"past the capped interval", 200 * time.Millisecond, 8},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		decryptMany(50)
		if got := kek.unwraps.Load() - base; got != s.wantCalls {
			t.Errorf("%s: %d KEK calls since the outage began, want %d", s.name, got, s.wantCalls)
		}
	}
	// Recovery: the next attempt after the interval succeeds, and the
	// success forgets the failure.
	kek.down.Store(false)
	clk.Advance(2 * time.Second)
	if got, err := e.Decrypt(ctx, ct, ad); err != nil || string(got) != "cold" {
		t.Fatalf("Decrypt after the outage = (%q, %v), want cold", got, err)
	}
}

// blockingKEK never answers until its context ends, like a hanging key
// service.
type blockingKEK struct{}

func (blockingKEK) Wrap(ctx context.Context, _ []byte) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (blockingKEK) Unwrap(ctx context.Context, _ []byte) ([]byte, error) {
	<-ctx.Done()
	return nil, errors.New("rpc error: the transport gave up") // not a context error
}

// TestKEKTimeoutBoundsCall: a hanging key service holds a call no longer
// than KEKTimeout, even when the caller's context has no deadline, and the
// failure is Unavailable naming the KEK, never "decryption failed" (issue
// #14 item 4).
func TestKEKTimeoutBoundsCall(t *testing.T) {
	ctx := context.Background()
	kek := newCountingKEK(t)
	writer := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "hang")}})
	ad := []byte("ns/name/1")
	ct, err := writer.Encrypt(ctx, []byte("v"), ad)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvelope(t, keeper.EnvelopeOptions{
		KEKs:       []keeper.KEK{{ID: "hang", Wrapper: blockingKEK{}}},
		KEKTimeout: 50 * time.Millisecond,
	})
	for _, op := range []struct {
		name string
		call func() error
	}{
		{"Decrypt", func() error { _, err := e.Decrypt(ctx, ct, ad); return err }},
		{"Encrypt", func() error { _, err := e.Encrypt(ctx, []byte("v"), ad); return err }},
	} {
		t.Run(op.name, func(t *testing.T) {
			start := time.Now()
			err := op.call()
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s took %v with KEKTimeout 50ms", op.name, d)
			}
			if !errors.Is(err, keeper.ErrUnavailable) || errors.Is(err, keeper.ErrDecrypt) ||
				errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `"hang"`) {
				t.Errorf("%s error = %v, want Unavailable naming KEK \"hang\", not ErrDecrypt nor a context error", op.name, err)
			}
		})
	}
}
