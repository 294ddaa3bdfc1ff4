package httpapi

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestLimiterSweepsIdleKeys(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(&RateLimit{PerSecond: 10}, func() time.Time { return now })
	for i := range maxIdleBuckets {
		l.allow(fmt.Sprint(i))
	}
	now = now.Add(time.Second) // every bucket refilled
	l.allow("new")
	if n := len(l.buckets); n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
	if newLimiter(nil, time.Now) != nil || newLimiter(&RateLimit{}, time.Now) != nil {
		t.Error("a zero rate limit should disable limiting")
	}
	var off *limiter
	if !off.allow("x") {
		t.Error("nil limiter refused")
	}
}

func TestNewServerTimeouts(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler())
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 || s.MaxHeaderBytes == 0 {
		t.Errorf("server without timeouts: %+v", s)
	}
}

func TestStatusError(t *testing.T) {
	for status, code := range map[int]string{400: CodeInvalid, 401: CodeUnauthenticated, 403: CodePermissionDenied,
		404: CodeNotFound, 409: CodeConflict, 412: CodeConflict, 413: CodeTooLarge, 429: CodeRateLimited,
		502: CodeUnavailable, 503: CodeUnavailable, 504: CodeUnavailable, 500: CodeInternal, 418: CodeInternal} {
		if got := statusError(status).Code; got != code {
			t.Errorf("statusError(%d) = %s, want %s", status, got, code)
		}
	}
}
