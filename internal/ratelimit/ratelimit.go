// Package ratelimit is the one per-key token-bucket limiter of strongbox
// (golang.org/x/time/rate buckets, bounded by least-recently-used
// eviction) and the client address failed authentications are counted
// against. Package httpapi limits failed API authentications with it and
// package webui failed sign-ins, so both follow the same rules.
package ratelimit

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed keeps one token bucket per key, for at most max keys: the least
// recently used key is dropped to make room, so memory is bounded whatever
// the keys. A dropped key starts again with a full bucket. A nil *Keyed
// allows everything.
type Keyed struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu   sync.Mutex
	lru  *list.List // of *bucket, most recent first
	keys map[string]*list.Element
}

type bucket struct {
	key string
	lim *rate.Limiter
}

// New returns a limiter of perSecond tokens a second and burst tokens at
// most per key, tracking at most maxKeys keys; now nil means time.Now.
func New(perSecond float64, burst, maxKeys int, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	return &Keyed{limit: rate.Limit(perSecond), burst: burst, max: max(1, maxKeys), now: now, lru: list.New(), keys: map[string]*list.Element{}}
}

// get returns key's bucket, creating it (and dropping the least recently
// used one beyond max) when create is set; nil when absent otherwise.
func (l *Keyed) get(key string, create bool) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.keys[key]; ok {
		l.lru.MoveToFront(el)
		return el.Value.(*bucket).lim
	}
	if !create {
		return nil
	}
	for l.lru.Len() >= l.max {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.keys, old.Value.(*bucket).key)
	}
	b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
	l.keys[key] = l.lru.PushFront(b)
	return b.lim
}

// Allow takes a token from key's bucket. When there is none it reports
// false and how long until there is one.
func (l *Keyed) Allow(key string) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	lim := l.get(key, true)
	now := l.now()
	if lim.AllowN(now, 1) {
		return 0, true
	}
	return l.wait(lim, now), false
}

// Blocked reports whether key's bucket is empty, and how long until it is
// not, without taking a token.
func (l *Keyed) Blocked(key string) (time.Duration, bool) {
	if l == nil {
		return 0, false
	}
	lim := l.get(key, false)
	if lim == nil {
		return 0, false
	}
	now := l.now()
	if lim.TokensAt(now) >= 1 {
		return 0, false
	}
	return l.wait(lim, now), true
}

// Failed takes a token from key's bucket (a failure happened), if any is
// left.
func (l *Keyed) Failed(key string) {
	if l != nil {
		l.get(key, true).AllowN(l.now(), 1)
	}
}

func (l *Keyed) wait(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || l.limit <= 0 {
		return time.Second
	}
	return time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// Len returns the number of keys tracked.
func (l *Keyed) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// ClientAddr is the address failed authentications are counted against:
// the host of r.RemoteAddr, or with trustForwardedFor the last address of
// X-Forwarded-For (the one the proxy in front saw; earlier ones are the
// client's to forge), falling back to RemoteAddr when that is not an IP
// address. IPv6 addresses are cut to their /64, since one host holds a
// whole /64.
func ClientAddr(r *http.Request, trustForwardedFor bool) string {
	if trustForwardedFor {
		if v := r.Header.Values("X-Forwarded-For"); len(v) > 0 {
			last := v[len(v)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return addrKey(a)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return addrKey(a)
	}
	return host
}

func addrKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Defaults of NewAuthFailures (httpapi.AuthFailureLimit documents them).
const (
	DefaultAuthFailuresPerSecond = 1.0
	DefaultAuthFailureBurst      = 10
	DefaultMaxKeys               = 10000
)

// NewAuthFailures returns the limiter of failed authentications per client
// address: nil (no limit) when disabled, else perSecond, burst and maxKeys
// with the defaults for those that are not positive.
func NewAuthFailures(disabled bool, perSecond float64, burst, maxKeys int, now func() time.Time) *Keyed {
	if disabled {
		return nil
	}
	if perSecond <= 0 {
		perSecond = DefaultAuthFailuresPerSecond
	}
	if burst <= 0 {
		burst = DefaultAuthFailureBurst
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return New(perSecond, burst, maxKeys, now)
}
