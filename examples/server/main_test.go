package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets/source"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	baseRE = regexp.MustCompile(`strongbox API on (http://127\.0\.0\.1:\d+) `)
	envRE  = regexp.MustCompile(`\n  K6_SECRET_SOURCE='([^']+)' k6 run script\.js\n`)
	specRE = regexp.MustCompile(`k6 run --secret-source='([^']+)' script\.js`)
	tokRE  = regexp.MustCompile(`\n  (sbrt1\.[A-Za-z0-9_.-]+)\n`)
)

// TestServe runs the server as `-duration=3s`, fetches the demo secret the
// way k6 would (the printed spec through the k6-compatible url source, and
// a plain GET), checks the server stops on its own, and that the value
// appears in none of its output.
func TestServe(t *testing.T) {
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(context.Background(), []string{"-duration=3s"}, &stdout, &stderr) }()

	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "serving for") {
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no output in time:\n%s", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := stdout.String()
	base, spec, tok := baseRE.FindStringSubmatch(out), envRE.FindStringSubmatch(out), tokRE.FindStringSubmatch(out)
	if base == nil || spec == nil || tok == nil {
		t.Fatalf("output lacks the URL, the k6 spec in K6_SECRET_SOURCE or the token:\n%s", out)
	}
	// Issue #11 item 16: the environment form comes first; the command-line
	// form, which ps shows to every user, only after it and marked.
	argv := specRE.FindStringSubmatchIndex(out)
	if argv == nil || argv[0] < envRE.FindStringIndex(out)[0] || specRE.FindStringSubmatch(out)[1] != spec[1] {
		t.Errorf("the K6_SECRET_SOURCE form is not printed first, or the two forms differ:\n%s", out)
	}
	if !strings.Contains(out[:argv[0]], "ps") {
		t.Errorf("the command-line form is not marked as visible to ps:\n%s", out)
	}

	// The printed k6 spec, parsed by strongbox's k6-compatible url source.
	r, err := source.NewResolver(context.Background(), source.Options{Specs: []string{spec[1]}, Env: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Get(context.Background(), "api-key")
	r.Close()
	if err != nil || v.Len() == 0 {
		t.Fatalf("fetching with the printed spec: %v", err)
	}
	value := v.DangerouslyExpose()

	// A plain GET as k6 sends it.
	req, _ := http.NewRequest("GET", base[1]+"/v1/namespaces/team-a/secrets/api-key/decrypt", nil)
	req.Header.Set("Authorization", "Bearer "+tok[1])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Value string }
	err = json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 200 || err != nil || body.Value != value {
		t.Errorf("GET decrypt: %d %v", res.StatusCode, err)
	}
	// The token covers only the demo secret.
	req, _ = http.NewRequest("GET", base[1]+"/v1/namespaces/team-a/secrets/other/decrypt", nil)
	req.Header.Set("Authorization", "Bearer "+tok[1])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("GET another secret: %v %v", res.Status, err)
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop on its own")
	}
	if d := time.Since(start); d < 3*time.Second {
		t.Errorf("stopped after %s, before -duration", d)
	}
	all := stdout.String() + stderr.String()
	if strings.Contains(all, value) {
		t.Errorf("the secret value appears in the output")
	}
	if !strings.Contains(stderr.String(), "strongbox request") || !strings.Contains(stdout.String(), "stopping") {
		t.Errorf("requests not logged or no stop message:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}

func TestOnce(t *testing.T) {
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, []string{"-once"}, &stdout, &stderr); err != nil {
		t.Fatalf("run -once: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "self-check: fetched api-key through the API: [REDACTED]") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestInterrupted(t *testing.T) {
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-duration=1h"}, &stdout, &stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "serving for") {
		if time.Now().After(deadline) {
			t.Fatalf("no output in time:\n%s", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-duration=0"}, {"-addr=0.0.0.0:0"}, {"-addr=nonsense"}, {"-bogus"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}
