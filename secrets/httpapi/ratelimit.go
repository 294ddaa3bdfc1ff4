package httpapi

import (
	"sync"
	"time"
)

// RateLimit bounds the requests of each principal with a token bucket.
type RateLimit struct {
	// PerSecond is the sustained rate of requests per principal.
	PerSecond float64
	// Burst is how many requests a principal may make at once; 0 means
	// max(1, PerSecond).
	Burst int
}

// limiter keeps one token bucket per key. Idle buckets that refilled are
// dropped when the map grows, so memory is bounded by the active keys.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxIdleBuckets = 10000

func newLimiter(rl *RateLimit, now func() time.Time) *limiter {
	if rl == nil || rl.PerSecond <= 0 {
		return nil
	}
	burst := float64(rl.Burst)
	if burst <= 0 {
		burst = max(1, rl.PerSecond)
	}
	return &limiter{rate: rl.PerSecond, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket, reporting whether there was one.
func (l *limiter) allow(key string) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxIdleBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops buckets that are full again (their keys were idle).
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
