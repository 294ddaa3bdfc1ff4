package source

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/secrets"
	"golang.org/x/time/rate"
)

// TestURLSourceLimiterFromConfig: the per-minute settings of a url spec
// become a golang.org/x/time/rate limiter of the same rate and burst; a
// negative rate means none.
func TestURLSourceLimiterFromConfig(t *testing.T) {
	for _, tt := range []struct {
		name      string
		perMinute int
		burst     int
		want      rate.Limit
		wantBurst int
		none      bool
	}{
		{name: "k6 defaults", want: 5, wantBurst: 10}, // 300 a minute
		{name: "one a second", perMinute: 60, burst: 2, want: 1, wantBurst: 2},
		{name: "no limit", perMinute: -1, none: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newURLSource(URLConfig{URLTemplate: "https://x/{key}", RequestsPerMinuteLimit: tt.perMinute, RequestsBurst: tt.burst}, URLOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.none {
				if s.limiter != nil {
					t.Fatalf("limiter = %v, want none", s.limiter.Limit())
				}
				return
			}
			type got struct {
				Limit rate.Limit
				Burst int
			}
			if diff := cmp.Diff(got{tt.want, tt.wantBurst}, got{s.limiter.Limit(), s.limiter.Burst()}); diff != "" {
				t.Errorf("limiter (-want +got):\n%s", diff)
			}
		})
	}
}

// TestURLSourceSharedLimiter: URLOptions.Limiter replaces the config's
// limiter, so two sources share one rate: the second source's request waits
// for the token the first took.
func TestURLSourceSharedLimiter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "v")
	}))
	defer srv.Close()
	shared := rate.NewLimiter(rate.Every(50*time.Millisecond), 1)
	var sources []*urlSource
	for range 2 {
		s, err := newURLSource(URLConfig{URLTemplate: srv.URL + "/{key}", RequestsPerMinuteLimit: 1_000_000}, URLOptions{Limiter: shared}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, s)
	}
	start := time.Now()
	for _, s := range sources {
		if _, err := s.Get(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Errorf("two sources sharing one token every 50ms made 2 requests in %v", el)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

// TestURLSourceLimiterDeadline: a Get whose wait for the limiter would
// outlast its context's deadline fails at once with
// context.DeadlineExceeded, as a context error passes through, and makes
// no request; a caller's limiter that allows nothing (burst 0) fails with
// ErrFailedPrecondition instead of an uncoded error.
func TestURLSourceLimiterDeadline(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "v")
	}))
	defer srv.Close()
	slow := rate.NewLimiter(rate.Every(time.Hour), 1)
	s, err := newURLSource(URLConfig{URLTemplate: srv.URL + "/{key}"}, URLOptions{Limiter: slow}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if _, err := s.Get(ctx, "b"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get past the deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("Get waited %v instead of failing at once", el)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}

	none, err := newURLSource(URLConfig{URLTemplate: srv.URL + "/{key}"}, URLOptions{Limiter: rate.NewLimiter(1, 0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Get(context.Background(), "c"); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Errorf("Get with a burst-0 limiter: err = %v, want ErrFailedPrecondition", err)
	}
}
