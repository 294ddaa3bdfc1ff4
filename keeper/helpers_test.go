package keeper_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/keeper"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/driver"
	"gocloud.dev/secrets/localsecrets"
)

// errOutage is what countingKEK returns while down.
var errOutage = errors.New("key service unreachable (test outage)")

// countingKEK is a gocloud secrets driver over a local key that counts its
// calls and can be switched off to simulate a key-service outage.
type countingKEK struct {
	inner          *secrets.Keeper
	wraps, unwraps atomic.Int64
	// unwrapsDone counts Decrypt calls that have returned.
	unwrapsDone atomic.Int64
	down        atomic.Bool
	// delay is added to every call, like a remote key service's latency.
	delay time.Duration
}

func newCountingKEK(t testing.TB) *countingKEK {
	t.Helper()
	k, err := localsecrets.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	inner := localsecrets.NewKeeper(k)
	t.Cleanup(func() { inner.Close() })
	return &countingKEK{inner: inner}
}

func (c *countingKEK) calls() int64 { return c.wraps.Load() + c.unwraps.Load() }

func (c *countingKEK) Encrypt(ctx context.Context, pt []byte) ([]byte, error) {
	c.wraps.Add(1)
	c.wait()
	if c.down.Load() {
		return nil, errOutage
	}
	return c.inner.Encrypt(ctx, pt)
}

func (c *countingKEK) Decrypt(ctx context.Context, ct []byte) ([]byte, error) {
	c.unwraps.Add(1)
	defer c.unwrapsDone.Add(1)
	c.wait()
	if c.down.Load() {
		return nil, errOutage
	}
	return c.inner.Decrypt(ctx, ct)
}

func (c *countingKEK) wait() {
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
}

func (c *countingKEK) Close() error            { return nil }
func (c *countingKEK) ErrorAs(error, any) bool { return false }
func (c *countingKEK) ErrorCode(err error) gcerrors.ErrorCode {
	if errors.Is(err, errOutage) {
		return gcerrors.DeadlineExceeded
	}
	return gcerrors.Code(err)
}

var _ driver.Keeper = (*countingKEK)(nil)

// keeper returns a gocloud keeper over c, closed when the test ends.
func (c *countingKEK) keeper(t testing.TB) *secrets.Keeper {
	sk := secrets.NewKeeper(c)
	t.Cleanup(func() { sk.Close() })
	return sk
}

// kek returns c as a KEK with the given id.
func (c *countingKEK) kek(t testing.TB, id string) keeper.KEK {
	return keeper.KEK{ID: id, Keeper: c.keeper(t), Local: true}
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

// newEnvelope opens an Envelope closed when the test ends.
func newEnvelope(t testing.TB, opts keeper.EnvelopeOptions) *keeper.Envelope {
	t.Helper()
	e, err := keeper.NewEnvelope(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewEnvelope: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
