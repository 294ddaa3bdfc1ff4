package httpapi

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit bounds the requests of each principal with a token bucket.
//
// k6 fetches a secret once per VU, without merging the VUs' requests (its
// url source caches per VU), and a run token is one principal: a test with
// n VUs reading m secrets sends n*m decrypt requests at its start. A Burst
// below that fails the first iterations with 429 (k6 retries 429, but
// only maxRetries times); give the decrypt route's principals a Burst of at
// least VUs times secrets, or serve a test's values through one source
// (strongbox run fetches each value once).
type RateLimit struct {
	// PerSecond is the sustained rate of requests per principal.
	PerSecond float64
	// Burst is how many requests a principal may make at once; 0 means
	// max(1, PerSecond).
	Burst int
}

// Defaults of AuthFailureLimit.
const (
	// defaultAuthFailuresPerSecond is the sustained rate of failed
	// authentications a client address may make: one a second.
	defaultAuthFailuresPerSecond = 1.0
	// defaultAuthFailureBurst is how many failures in a row a client
	// address may make before it must wait.
	defaultAuthFailureBurst = 10
	// defaultMaxTrackedClients bounds the client addresses (and the
	// principals of RateLimit) whose buckets are kept; the least recently
	// seen is dropped beyond it.
	defaultMaxTrackedClients = 10000
)

// AuthFailureLimit bounds failed authentications (401 answers to requests
// that carried credentials: a request the Authenticator answers
// ErrNoCredentials is not counted) per client address with a token bucket:
// each failure takes a token; while the bucket
// is empty, every request from that address is refused with 429 and
// Retry-After before its credentials are even looked at, so guessing bearer
// tokens is slow. Successful requests take nothing. The zero value is the
// default limit (defaultAuthFailuresPerSecond, defaultAuthFailureBurst,
// defaultMaxTrackedClients).
//
// The client address is the host of the connection's remote address
// (Request.RemoteAddr), with IPv6 addresses grouped by /64 since one host
// holds a whole /64; Options.TrustForwardedFor changes that behind a proxy.
// Clients behind one NAT share a bucket: one of them guessing slows the
// others' requests down too, which is the price of limiting by address.
type AuthFailureLimit struct {
	// Disabled turns the limit off (e.g. when a proxy in front does it).
	Disabled bool
	// PerSecond is the sustained rate of failures; 0 means
	// defaultAuthFailuresPerSecond.
	PerSecond float64
	// Burst is how many failures may come at once; 0 means
	// defaultAuthFailureBurst.
	Burst int
	// MaxClients bounds the addresses tracked; 0 means
	// defaultMaxTrackedClients.
	MaxClients int
}

// limiter keeps one golang.org/x/time/rate token bucket per key, for at
// most max keys: the least recently used key is dropped to make room, so
// memory is bounded whatever the keys. A dropped key starts again with a
// full bucket. A nil *limiter allows everything.
type limiter struct {
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

func newLimiter(rl *RateLimit, now func() time.Time) *limiter {
	if rl == nil || rl.PerSecond <= 0 {
		return nil
	}
	burst := rl.Burst
	if burst <= 0 {
		burst = int(max(1, math.Ceil(rl.PerSecond)))
	}
	return newKeyedLimiter(rate.Limit(rl.PerSecond), burst, defaultMaxTrackedClients, now)
}

func newAuthFailureLimiter(o AuthFailureLimit, now func() time.Time) *limiter {
	if o.Disabled {
		return nil
	}
	perSecond, burst, maxClients := o.PerSecond, o.Burst, o.MaxClients
	if perSecond <= 0 {
		perSecond = defaultAuthFailuresPerSecond
	}
	if burst <= 0 {
		burst = defaultAuthFailureBurst
	}
	if maxClients <= 0 {
		maxClients = defaultMaxTrackedClients
	}
	return newKeyedLimiter(rate.Limit(perSecond), burst, maxClients, now)
}

func newKeyedLimiter(limit rate.Limit, burst, maxKeys int, now func() time.Time) *limiter {
	return &limiter{limit: limit, burst: burst, max: maxKeys, now: now, lru: list.New(), keys: map[string]*list.Element{}}
}

// get returns key's bucket, creating it (and dropping the least recently
// used one beyond max) when create is set; nil when absent otherwise.
func (l *limiter) get(key string, create bool) *rate.Limiter {
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

// allow takes a token from key's bucket. When there is none it reports
// false and how long until there is one.
func (l *limiter) allow(key string) (time.Duration, bool) {
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

// blocked reports whether key's bucket is empty, and how long until it is
// not, without taking a token.
func (l *limiter) blocked(key string) (time.Duration, bool) {
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

// failed takes a token from key's bucket (a failure happened), if any is
// left.
func (l *limiter) failed(key string) {
	if l != nil {
		l.get(key, true).AllowN(l.now(), 1)
	}
}

func (l *limiter) wait(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || l.limit <= 0 {
		return time.Second
	}
	return time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// len returns the number of keys tracked.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// clientAddr is the address failed authentications are counted against:
// the host of r.RemoteAddr, or with trustForwardedFor the last address of
// X-Forwarded-For (the one the proxy in front saw; earlier ones are the
// client's to forge), falling back to RemoteAddr when that is not an IP
// address. IPv6 addresses are cut to their /64.
func (h *Handler) clientAddr(r *http.Request) string {
	if h.trustForwardedFor {
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

// rateLimited is a 429 whose Retry-After says when to come back.
func rateLimited(msg string, wait time.Duration) *Error {
	e := apiError(http.StatusTooManyRequests, codeRateLimited, msg)
	e.retryAfter = max(1, int(math.Ceil(wait.Seconds())))
	return e
}
