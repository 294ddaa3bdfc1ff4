package source

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLimiterReservations(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(60, 2) // one a second, bursts of two
	l.now = func() time.Time { return now }
	var got []time.Duration
	for range 4 {
		got = append(got, l.reserve())
	}
	now = now.Add(10 * time.Second) // earns back the two reservations and refills
	for range 3 {
		got = append(got, l.reserve())
	}
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 0, 0, time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestLimiterWait(t *testing.T) {
	l := NewLimiter(6000, 1) // one every 10ms
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := l.Wait(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if el := time.Since(start); el < 25*time.Millisecond {
		t.Fatalf("4 waits at 100/s took %v, want at least 30ms", el)
	}
	// A cancelled waiter returns the context error and its token.
	ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	slow := NewLimiter(1, 1)
	_ = slow.Wait(context.Background())
	if err := slow.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want deadline exceeded", err)
	}
	if slow.tokens < -0.01 {
		t.Fatalf("cancelled wait kept its token: %v", slow.tokens)
	}
	var none *Limiter
	if err := none.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}
