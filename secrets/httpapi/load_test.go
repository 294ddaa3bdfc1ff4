package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestLoad runs 200 concurrent clients over loopback doing mixed reads
// (get, list) and decrypts with run tokens, and requires zero errors and
// zero values in the logs. It runs for 1 second normally and for 10
// seconds when STRONGBOX_LOAD_TEST=1; STRONGBOX_LOAD_DURATION overrides.
func TestLoad(t *testing.T) {
	clients, duration := 200, time.Second
	if os.Getenv("STRONGBOX_LOAD_TEST") == "1" {
		duration = 10 * time.Second
	}
	if d, err := time.ParseDuration(os.Getenv("STRONGBOX_LOAD_DURATION")); err == nil {
		duration = d
	}
	e := newEnv(t, envOptions{})
	srv := e.serve()
	const nSecrets = 20
	values := map[string]string{}
	for i := range nSecrets {
		name := fmt.Sprintf("load-%02d", i)
		values[name] = e.create(name, "k6-runner")
	}
	tokens := make([]string, 10)
	for i := range tokens {
		tokens[i] = e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("load-%02d", (c+i)%nSecrets)
				var path, tok string
				switch i % 10 {
				case 0:
					path, tok = base+"?pageSize=5", tokReader
				case 1, 2, 3, 4:
					path, tok = base+"/"+name, tokReader
				default:
					path, tok = base+"/"+name+"/decrypt", tokens[(c+i)%len(tokens)]
				}
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
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
				if err != nil || res.StatusCode != http.StatusOK {
					fail(fmt.Sprintf("%s: status %d", path, res.StatusCode))
					continue
				}
				if strings.HasSuffix(path, "/decrypt") {
					var b struct{ Value string }
					if json.Unmarshal(body, &b) != nil || b.Value != values[name] {
						fail(path + ": wrong value")
					}
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	n := total.Load()
	t.Logf("load: %d clients, %s: %d requests, %.0f req/s, p50 %s, p99 %s, max %s, %d errors",
		clients, elapsed.Round(time.Millisecond), n, float64(n)/elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond), failures.Load())
	if f := failures.Load(); f > 0 {
		t.Errorf("%d errors; first: %s", f, errMsg)
	}
	if n < int64(clients) {
		t.Errorf("only %d requests", n)
	}
	// No run token in the logs; checkLogs (at cleanup) looks for values.
	logs := e.logs.String()
	for _, tok := range tokens {
		if strings.Contains(logs, tok[strings.LastIndex(tok, ".")+1:]) {
			t.Errorf("a run token appears in the logs")
		}
	}
	// Every request was audited.
	e.mu.Lock()
	audited := len(e.events)
	e.mu.Unlock()
	if audited < int(n) {
		t.Errorf("%d requests audited, want at least %d", audited, n)
	}
}
