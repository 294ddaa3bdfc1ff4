package redact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/redact"
)

// TestRedactedOutputHasNoTestSecrets pipes registered test secrets through
// the redacting writer (random write boundaries) and the slog handler
// (string, error, JSON-ish and grouped attributes) into leakcheck's
// collectors: none may come out whole.
func TestRedactedOutputHasNoTestSecrets(t *testing.T) {
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	r := redact.New(redact.Options{})
	var vals []string
	for i := range 8 {
		v := leakcheck.NewValue(fmt.Sprintf("s%d", i))
		vals = append(vals, v)
		r.Add(v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var text bytes.Buffer
	for i := range 200 {
		v := vals[rng.IntN(len(vals))]
		fmt.Fprintf(&text, "line %d: token=%s; half=%s; twice=%s%s\n", i, v, v[:len(v)/2], v, v)
	}
	var out bytes.Buffer
	w := redact.NewWriter(leakcheck.Writer("redact.Writer output", &out), r)
	for b := text.Bytes(); len(b) > 0; {
		n := min(len(b), 1+rng.IntN(40))
		if _, err := w.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	leakcheck.Check("redact.Writer total output", out.String())
	if out.Len() == 0 {
		t.Fatal("no output")
	}

	log := slog.New(redact.NewHandler(leakcheck.Handler(slog.NewJSONHandler(&out, nil)), r))
	for _, v := range vals {
		raw, _ := json.Marshal(map[string]string{"password": v})
		log.Info("login "+v, "token", v, "err", fmt.Errorf("bad token %s", v), "json", string(raw))
		log.WithGroup("g").With("k", v).Warn("x", slog.Group("inner", "v", v))
	}
}

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }
