package auditlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

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
