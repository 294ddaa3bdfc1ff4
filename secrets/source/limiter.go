package source

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket: it allows perMinute requests a minute on
// average and bursts of up to burst. Waiters are served in the order they
// reserve. It is safe for concurrent use; a nil *Limiter never waits.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration // time to earn one token
	burst    float64
	tokens   float64 // may go negative: reservations not yet earned
	last     time.Time
	now      func() time.Time
}

// NewLimiter returns a limiter that starts full. perMinute and burst below 1
// are raised to 1.
func NewLimiter(perMinute, burst int) *Limiter {
	perMinute = max(perMinute, 1)
	burst = max(burst, 1)
	return &Limiter{
		interval: time.Minute / time.Duration(perMinute),
		burst:    float64(burst),
		tokens:   float64(burst),
		now:      time.Now,
	}
}

// reserve takes a token and returns how long to wait before using it.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+float64(now.Sub(l.last))/float64(l.interval))
	}
	l.last = now
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens * float64(l.interval))
}

// cancel gives back a token that was reserved but not used.
func (l *Limiter) cancel() {
	l.mu.Lock()
	l.tokens = min(l.burst, l.tokens+1)
	l.mu.Unlock()
}

// Wait blocks until a request may be made or ctx is done, in which case it
// returns ctx's error and gives the token back.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	d := l.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.cancel()
		return ctx.Err()
	}
}
