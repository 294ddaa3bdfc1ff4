package secrets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestRenderingsHideValuesAndKeys is issue #11 item 1's class for package
// secrets: every type that holds a value, or reaches a key, hides it under
// every fmt verb, JSON, text marshalling and slog, also when the value sits
// in an unexported field of the caller's own struct.
func TestRenderingsHideValuesAndKeys(t *testing.T) {
	plain := uniqueValue()
	v := secrets.NewValue(plain)
	type holder struct {
		name  string
		value secrets.Value
		list  []secrets.Value
	}
	for name, x := range map[string]any{
		"Value":            v,
		"Spec":             secrets.Spec{Name: "api-key", Value: v, Decrypters: []string{"k6"}},
		"RevealResult":     secrets.RevealResult{Name: "api-key", Value: v},
		"[]RevealResult":   []secrets.RevealResult{{Name: "api-key", Value: v}},
		"unexported field": holder{"x", v, []secrets.Value{v}},
		"map":              map[string]secrets.Value{"k": v},
	} {
		t.Run(name, func(t *testing.T) { leakcheck.CheckRenderings(t, x, plain) })
	}

	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(context.Background(), u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	opts := secrets.Options{Store: newStore(t, "docstore"), Keeper: k, DefaultDecrypters: []string{"k6"}}
	m, err := secrets.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Create(as(editor), ns, secrets.Spec{Name: "api-key", Value: v, Decrypters: []string{runner.ID}}); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimPrefix(u, "base64key://")
	for name, x := range map[string]any{"Options": opts, "Manager": m} {
		t.Run(name, func(t *testing.T) { leakcheck.CheckRenderings(t, x, plain, u, key) })
	}
	ev := rbac.AuditEvent{Principal: runner.String(), Names: []string{"api-key"}, DecryptersAfter: []string{runner.ID}}
	t.Run("AuditEvent", func(t *testing.T) { leakcheck.CheckRenderings(t, ev, plain) })
}
