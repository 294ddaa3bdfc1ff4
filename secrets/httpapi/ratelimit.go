package httpapi

import (
	"math"
	"net/http"
	"time"

	"github.com/strongbox-go/strongbox/internal/ratelimit"
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
//
// The buckets live in the memory of one process: the limit is per
// instance, not per service. N instances behind a load balancer accept up
// to N times PerSecond (and N times Burst) from one principal, and a
// restart refills the buckets. To hold a fleet-wide rate R for a principal
// whose requests are spread evenly over N instances, give each instance
// PerSecond R/N and Burst about the fleet-wide burst over N; with sticky routing (one principal
// to one instance) give each the whole R. The failed-authentication limit
// (AuthFailureLimit) is per instance in the same way. A limit that must
// hold exactly across instances belongs in front of them (the load
// balancer or an API gateway).
type RateLimit struct {
	// PerSecond is the sustained rate of requests per principal.
	PerSecond float64
	// Burst is how many requests a principal may make at once; 0 means
	// max(1, PerSecond).
	Burst int
}

// Defaults of AuthFailureLimit.
const (
	// defaultAuthFailureBurst is how many failures in a row a client
	// address may make before it must wait.
	defaultAuthFailureBurst = ratelimit.DefaultAuthFailureBurst
	// defaultMaxTrackedClients bounds the client addresses (and the
	// principals of RateLimit) whose buckets are kept; the least recently
	// seen is dropped beyond it.
	defaultMaxTrackedClients = ratelimit.DefaultMaxKeys
)

// AuthFailureLimit bounds failed authentications (401 answers to requests
// that carried credentials: a request the Authenticator answers
// ErrNoCredentials is not counted) per client address with a token bucket:
// each failure takes a token; while the bucket
// is empty, every request from that address is refused with 429 and
// Retry-After before its credentials are even looked at, so guessing bearer
// tokens is slow. Successful requests take nothing. The zero value is the
// default limit (one failure a second, defaultAuthFailureBurst at once,
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
	// PerSecond is the sustained rate of failures; 0 means one a second.
	PerSecond float64
	// Burst is how many failures may come at once; 0 means
	// defaultAuthFailureBurst.
	Burst int
	// MaxClients bounds the addresses tracked; 0 means
	// defaultMaxTrackedClients.
	MaxClients int
}

// limiter is internal/ratelimit's per-key token-bucket limiter, which
// package webui shares for failed sign-ins: one bucket per key, least
// recently used keys dropped beyond max. A nil *limiter allows
// everything.
type limiter struct{ k *ratelimit.Keyed }

func newLimiter(rl *RateLimit, now func() time.Time) *limiter {
	if rl == nil || rl.PerSecond <= 0 {
		return nil
	}
	burst := rl.Burst
	if burst <= 0 {
		burst = int(max(1, math.Ceil(rl.PerSecond)))
	}
	return newKeyedLimiter(rl.PerSecond, burst, defaultMaxTrackedClients, now)
}

func newAuthFailureLimiter(o AuthFailureLimit, now func() time.Time) *limiter {
	k := ratelimit.NewAuthFailures(o.Disabled, o.PerSecond, o.Burst, o.MaxClients, now)
	if k == nil {
		return nil
	}
	return &limiter{k}
}

func newKeyedLimiter(perSecond float64, burst, maxKeys int, now func() time.Time) *limiter {
	return &limiter{ratelimit.New(perSecond, burst, maxKeys, now)}
}

func (l *limiter) keyed() *ratelimit.Keyed {
	if l == nil {
		return nil
	}
	return l.k
}

func (l *limiter) allow(key string) (time.Duration, bool)   { return l.keyed().Allow(key) }
func (l *limiter) blocked(key string) (time.Duration, bool) { return l.keyed().Blocked(key) }
func (l *limiter) failed(key string)                        { l.keyed().Failed(key) }

func (h *Handler) clientAddr(r *http.Request) string {
	return ratelimit.ClientAddr(r, h.trustForwardedFor)
}

// rateLimited is a 429 whose Retry-After says when to come back.
func rateLimited(msg string, wait time.Duration) *Error {
	e := apiError(http.StatusTooManyRequests, codeRateLimited, msg)
	e.retryAfter = max(1, int(math.Ceil(wait.Seconds())))
	return e
}
