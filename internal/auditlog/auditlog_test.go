package auditlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/auditlog"
	"github.com/strongbox-go/strongbox/rbac"
)

// TestDecision: every field of the event is in the record under its name,
// the decrypter lists only when the event has them, and nothing else.
func TestDecision(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    rbac.AuditEvent
		want map[string]any
	}{{
		name: "reveal",
		e: rbac.AuditEvent{Operation: "Reveal", Action: rbac.ActionDecrypt, Principal: "service:ns/k6", Namespace: "ns",
			Names: []string{"db"}, Outcome: "allowed"},
		want: map[string]any{"msg": "strongbox decision", "level": "INFO", "operation": "Reveal", "action": "decrypt",
			"principal": "service:ns/k6", "namespace": "ns", "names": []any{"db"}, "outcome": "allowed", "code": ""},
	}, {
		name: "decrypters changed, denied",
		e: rbac.AuditEvent{Operation: "Update", Action: rbac.ActionSetDecrypters, Principal: "user:ns/ann", Namespace: "ns",
			Names: []string{"db"}, Outcome: "denied", Code: "permission_denied",
			DecryptersBefore: []string{"k6"}, DecryptersAfter: []string{}},
		want: map[string]any{"msg": "strongbox decision", "level": "INFO", "operation": "Update", "action": string(rbac.ActionSetDecrypters),
			"principal": "user:ns/ann", "namespace": "ns", "names": []any{"db"}, "outcome": "denied", "code": "permission_denied",
			"decryptersBefore": []any{"k6"}, "decryptersAfter": []any{}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
			auditlog.Decision(context.Background(), l, tc.e)
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("record %q: %v", buf.String(), err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWrite checks that Write honours the handler's level and writes its
// attributes, and that a record carries no source position even for a
// handler that reports one (the position would be this package's).
func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn, AddSource: true}))
	ctx := context.Background()
	auditlog.Write(ctx, l, slog.LevelInfo, "dropped", slog.String("k", "v"))
	if buf.Len() != 0 {
		t.Fatalf("a record below the handler's level was written: %q", buf.String())
	}
	auditlog.Write(ctx, l, slog.LevelError, "kept", slog.String("k", "v"), slog.Int("n", 3))
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("record %q: %v", buf.String(), err)
	}
	delete(got, slog.TimeKey)
	want := map[string]any{"level": "ERROR", "msg": "kept", "k": "v", "n": 3.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

// BenchmarkWrite logs a decision's attributes with Write and, as the
// baseline in the same run, with slog's LogAttrs, to a JSON handler, and
// reports Write's time as a fraction of LogAttrs's.
func BenchmarkWrite(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ctx := context.Background()
	attrs := []slog.Attr{slog.String("operation", "Reveal"), slog.String("action", "decrypt"),
		slog.String("principal", "service:ns/k6"), slog.String("namespace", "ns"),
		slog.Any("names", []string{"db"}), slog.String("outcome", "allowed"), slog.String("code", "")}
	measure := func(log func()) time.Duration {
		start := time.Now()
		for range 20000 {
			log()
		}
		return time.Since(start)
	}
	var write, base time.Duration
	for b.Loop() {
		base += measure(func() { l.LogAttrs(ctx, slog.LevelInfo, "strongbox decision", attrs...) })
		write += measure(func() { auditlog.Write(ctx, l, slog.LevelInfo, "strongbox decision", attrs...) })
	}
	b.ReportMetric(float64(write)/float64(base), "write/logattrs")
}
