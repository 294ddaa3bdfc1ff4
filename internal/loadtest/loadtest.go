// Package loadtest is the load harness of strongbox's HTTP tests and
// benchmarks: many clients sending requests for a fixed time, counting
// requests and errors and measuring latency. The handler's TestLoad
// (secrets/httpapi) and the service's load benchmark (cmd/strongbox) use it.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures Run.
type Options struct {
	// Clients is the number of concurrent clients; each sends one request
	// at a time.
	Clients int
	// Duration is how long the clients send requests.
	Duration time.Duration
	// Request returns the i-th request of client c and a check of its
	// answer (nil: status 200 is enough).
	Request func(c, i int) (*http.Request, func(status int, body []byte) error)
}

// Result is what a Run measured.
type Result struct {
	Clients       int
	Requests      int64
	Errors        int64
	FirstError    string
	Elapsed       time.Duration
	P50, P99, Max time.Duration
}

// PerSecond is requests per second.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// String is one line for a test log.
func (r Result) String() string {
	return fmt.Sprintf("%d clients, %s: %d requests, %.0f req/s, p50 %s, p99 %s, max %s, %d errors",
		r.Clients, r.Elapsed.Round(time.Millisecond), r.Requests, r.PerSecond(),
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Errors)
}

// Run sends requests from opts.Clients clients for opts.Duration over one
// keep-alive transport with a connection per client.
func Run(ctx context.Context, opts Options) Result {
	clients := opts.Clients
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var (
		total, failures atomic.Int64
		firstErr        sync.Once
		errMsg          string
		mu              sync.Mutex
		latencies       = make([]time.Duration, 0, 1<<16)
	)
	fail := func(msg string) {
		failures.Add(1)
		firstErr.Do(func() { errMsg = msg })
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			for i := 0; ctx.Err() == nil; i++ {
				req, check := opts.Request(c, i)
				t0 := time.Now()
				res, err := hc.Do(req)
				if err != nil {
					fail("request error: " + err.Error())
					continue
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				local = append(local, time.Since(t0))
				total.Add(1)
				switch {
				case err != nil:
					fail(req.URL.Path + ": reading the body: " + err.Error())
				case check != nil:
					if err := check(res.StatusCode, body); err != nil {
						fail(req.URL.Path + ": " + err.Error())
					}
				case res.StatusCode != http.StatusOK:
					fail(fmt.Sprintf("%s: status %d", req.URL.Path, res.StatusCode))
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := Result{Clients: clients, Requests: total.Load(), Errors: failures.Load(), FirstError: errMsg, Elapsed: time.Since(start)}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	r.P50, r.P99, r.Max = pct(0.50), pct(0.99), pct(1)
	return r
}
