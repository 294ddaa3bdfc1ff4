package keeper_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
)

// errOutage is what countingKEK returns while down: an outage, by code.
var errOutage = fmt.Errorf("key service unreachable (test outage): %w", keeper.ErrUnavailable)

// countingKEK is a Wrapper over a local key that counts its calls and can
// be switched off to simulate a key-service outage.
type countingKEK struct {
	inner          keeper.Wrapper
	wraps, unwraps atomic.Int64
	// unwrapsDone counts Unwrap calls that have returned.
	unwrapsDone atomic.Int64
	down        atomic.Bool
	// delay is added to every call, like a remote key service's latency.
	delay time.Duration
}

func newCountingKEK(t testing.TB) *countingKEK {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return &countingKEK{inner: keeper.NewLocalWrapper(k)}
}

func (c *countingKEK) calls() int64 { return c.wraps.Load() + c.unwraps.Load() }

func (c *countingKEK) Wrap(ctx context.Context, pt []byte) ([]byte, error) {
	c.wraps.Add(1)
	c.wait()
	if c.down.Load() {
		return nil, errOutage
	}
	return c.inner.Wrap(ctx, pt)
}

func (c *countingKEK) Unwrap(ctx context.Context, ct []byte) ([]byte, error) {
	c.unwraps.Add(1)
	defer c.unwrapsDone.Add(1)
	c.wait()
	if c.down.Load() {
		return nil, errOutage
	}
	return c.inner.Unwrap(ctx, ct)
}

func (c *countingKEK) wait() {
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
}

var _ keeper.Wrapper = (*countingKEK)(nil)

// kek returns c as a KEK with the given id.
func (c *countingKEK) kek(_ testing.TB, id string) keeper.KEK {
	return keeper.KEK{ID: id, Wrapper: c}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newEnvelope opens an Envelope over opts.KEKs, closed when the test ends.
func newEnvelope(t testing.TB, opts keeper.EnvelopeOptions) *keeper.Envelope {
	t.Helper()
	return newEnvelopeAt(t, opts, time.Now)
}

// newEnvelopeAt is newEnvelope with a clock.
func newEnvelopeAt(t testing.TB, opts keeper.EnvelopeOptions, now func() time.Time) *keeper.Envelope {
	t.Helper()
	e, err := keeper.OpenEnvelopeAt(context.Background(), "", opts, now)
	if err != nil {
		t.Fatalf("OpenEnvelope: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
