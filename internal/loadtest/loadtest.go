// Package loadtest is the load harness of strongbox's HTTP tests and
// benchmarks: many clients sending requests for a fixed time, counting
// requests and errors and measuring latency and the process's CPU time.
// The handler's TestLoad and TestDecryptRouteLoad (secrets/httpapi) and
// the service's load benchmark (cmd/strongbox) use it.
//
// Compare measures a subject against a baseline in interleaved rounds and
// summarises the per-round throughput ratios by their median and spread:
// on a shared machine the load of other processes drifts within seconds,
// so one long run of each side measures the neighbours as much as the
// code, while rounds that alternate (baseline first in odd rounds, subject
// first in even ones) see the same drift on both sides, and the spread of
// their ratios says how far to trust the median.
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
	// CPU is the CPU time (user and system) this process spent during the
	// run, clients and any in-process server together; 0 where the
	// platform does not say (see ProcessCPU).
	CPU time.Duration
}

// CPUPerRequest is CPU divided by Requests (0 without either).
func (r Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// PerSecond is requests per second.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// String is one line for a test log.
func (r Result) String() string {
	return fmt.Sprintf("%d clients, %s: %d requests, %.0f req/s, p50 %s, p99 %s, max %s, cpu %s/req, %d errors",
		r.Clients, r.Elapsed.Round(time.Millisecond), r.Requests, r.PerSecond(),
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond),
		r.CPUPerRequest().Round(100*time.Nanosecond), r.Errors)
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
	cpu0 := ProcessCPU()
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
	r := Result{Clients: clients, Requests: total.Load(), Errors: failures.Load(), FirstError: errMsg,
		Elapsed: time.Since(start), CPU: ProcessCPU() - cpu0}
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

// Round is one round of Compare: both sides' results and the subject's
// throughput as a fraction of the baseline's.
type Round struct {
	Baseline, Subject Result
	Ratio             float64
}

// Comparison is what Compare measured.
type Comparison struct{ Rounds []Round }

// Compare runs baseline and subject rounds times each, alternating which
// goes first, and returns every round's ratio of throughputs
// (subject/baseline).
func Compare(rounds int, baseline, subject func() Result) Comparison {
	var c Comparison
	for i := range rounds {
		var b, s Result
		if i%2 == 0 {
			b = baseline()
			s = subject()
		} else {
			s = subject()
			b = baseline()
		}
		ratio := 0.0
		if bp := b.PerSecond(); bp > 0 {
			ratio = s.PerSecond() / bp
		}
		c.Rounds = append(c.Rounds, Round{Baseline: b, Subject: s, Ratio: ratio})
	}
	return c
}

// Quantile returns the q-quantile (0 <= q <= 1) of the rounds' ratios,
// interpolating between neighbours; 0 without rounds. Quantile(0.5) is
// the median.
func (c Comparison) Quantile(q float64) float64 {
	if len(c.Rounds) == 0 {
		return 0
	}
	rs := make([]float64, len(c.Rounds))
	for i, r := range c.Rounds {
		rs[i] = r.Ratio
	}
	slices.Sort(rs)
	q = min(1, max(0, q))
	pos := q * float64(len(rs)-1)
	lo := int(pos)
	if lo == len(rs)-1 {
		return rs[lo]
	}
	return rs[lo] + (pos-float64(lo))*(rs[lo+1]-rs[lo])
}

// Median is Quantile(0.5).
func (c Comparison) Median() float64 { return c.Quantile(0.5) }

// CPURatio is the median over rounds of the baseline's CPU time per
// request divided by the subject's: the throughput ratio the subject would
// reach if the process were alone on its cores and CPU-bound (work done
// by other processes, such as a database server, is not counted). 0
// where CPU time is not measured.
func (c Comparison) CPURatio() float64 {
	var rs []float64
	for _, r := range c.Rounds {
		if s := r.Subject.CPUPerRequest(); s > 0 {
			rs = append(rs, float64(r.Baseline.CPUPerRequest())/float64(s))
		}
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

// String summarises the ratios: median, interquartile range, extremes.
func (c Comparison) String() string {
	return fmt.Sprintf("median %.3f (quartiles %.3f-%.3f, min %.3f, max %.3f, %d rounds; cpu/req ratio %.3f)",
		c.Median(), c.Quantile(0.25), c.Quantile(0.75), c.Quantile(0), c.Quantile(1), len(c.Rounds), c.CPURatio())
}
