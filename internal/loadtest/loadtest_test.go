package loadtest_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/strongbox-go/strongbox/internal/loadtest"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestRunCountsRequestsAndErrors: every answer is counted; a failing
// check and a non-200 status are errors, with the first one kept.
func TestRunCountsRequestsAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		path      string
		check     func(int, []byte) error
		wantError bool
	}{
		{"ok", "/", nil, false},
		{"status", "/missing", nil, true},
		{"check", "/", func(int, []byte) error { return errors.New("wrong") }, true},
		{"check passes", "/", func(s int, b []byte) error {
			if s != 200 || string(b) != "ok" {
				return errors.New("bad")
			}
			return nil
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadtest.Run(context.Background(), loadtest.Options{Clients: 4, Duration: 100 * time.Millisecond,
				Request: func(c, i int) (*http.Request, func(int, []byte) error) {
					req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
					return req, tt.check
				}})
			if r.Requests == 0 || r.Clients != 4 || r.PerSecond() <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
				t.Errorf("result %+v", r)
			}
			if (r.Errors > 0) != tt.wantError || (r.Errors > 0) != (r.FirstError != "") {
				t.Errorf("errors %d (first %q), want errors: %v", r.Errors, r.FirstError, tt.wantError)
			}
			if tt.wantError && r.Errors != r.Requests {
				t.Errorf("%d errors of %d requests", r.Errors, r.Requests)
			}
		})
	}
}

// TestCompareAlternatesAndSummarises: rounds alternate which side runs
// first, each ratio is subject over baseline, and the quantiles are those
// of the ratios.
func TestCompareAlternatesAndSummarises(t *testing.T) {
	var order []string
	n := 0
	// CPU per request is 1 s / requests: 10 ms for the baseline, 100,
	// 50, 33 and 25 ms for the subject's rounds.
	result := func(requests int64) loadtest.Result {
		return loadtest.Result{Requests: requests, Elapsed: time.Second, CPU: time.Second}
	}
	c := loadtest.Compare(4,
		func() loadtest.Result { order = append(order, "b"); return result(100) },
		func() loadtest.Result { order = append(order, "s"); n++; return result(int64(10 * n)) })
	if got, want := strings.Join(order, ""), "bssbbssb"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
	var ratios []float64
	for _, r := range c.Rounds {
		ratios = append(ratios, r.Ratio)
	}
	if diff := cmp.Diff([]float64{0.1, 0.2, 0.3, 0.4}, ratios, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("ratios (-want +got):\n%s", diff)
	}
	for _, q := range []struct{ q, want float64 }{{0, 0.1}, {0.5, 0.25}, {1, 0.4}, {0.25, 0.175}} {
		if got := c.Quantile(q.q); math.Abs(got-q.want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, want %v", q.q, got, q.want)
		}
	}
	if got, want := c.CPURatio(), float64(10*time.Millisecond)/float64(time.Second/30); math.Abs(got-want) > 1e-9 {
		t.Errorf("CPURatio = %v, want %v (10 ms over 33 ms, the upper median)", got, want)
	}
	if s := c.String(); !strings.Contains(s, "median 0.250") || !strings.Contains(s, "4 rounds") {
		t.Errorf("String() = %q", s)
	}
	if got := (loadtest.Comparison{}).Median(); got != 0 {
		t.Errorf("median of no rounds = %v", got)
	}
}

// TestRunMeasuresCPU: a run that makes requests spends CPU time, and the
// result says so where the platform measures it.
func TestRunMeasuresCPU(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("process CPU time is not measured on " + runtime.GOOS)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	r := loadtest.Run(context.Background(), loadtest.Options{Clients: 2, Duration: 100 * time.Millisecond,
		Request: func(c, i int) (*http.Request, func(int, []byte) error) {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			return req, nil
		}})
	if r.Requests == 0 || r.CPU <= 0 || r.CPUPerRequest() <= 0 || r.CPUPerRequest() > r.CPU {
		t.Errorf("requests %d, cpu %s, cpu/req %s", r.Requests, r.CPU, r.CPUPerRequest())
	}
}
