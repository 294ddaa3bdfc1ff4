package secrets_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/metrictest"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestRevealMetrics checks that every name asked of Reveal is counted by
// outcome, and that the count carries no namespace, name, principal or
// value.
func TestRevealMetrics(t *testing.T) {
	rd := metrictest.New(t)
	e := newEnv(t, "docstore", secrets.Options{MeterProvider: rd})
	value := uniqueValue()
	mustCreate(t, e, "db-password", value, nil)
	mustCreate(t, e, "revoked-one", uniqueValue(), nil)
	if _, err := e.m.Revoke(as(editor), ns, "revoked-one", 0); err != nil {
		t.Fatal(err)
	}
	mustReveal(t, e, "db-password")                                                                    // ok
	if _, err := e.m.Reveal(as(runner), ns, "db-password", "missing-one", "revoked-one"); err != nil { // ok, not_found, revoked
		t.Fatal(err)
	}
	if _, err := e.m.RevealValue(as(other), ns, "db-password"); !errors.Is(err, secrets.ErrNotFound) { // not a decrypter: hidden
		t.Fatalf("reveal by a non-decrypter: %v", err)
	}
	if _, err := e.m.RevealValue(as(editor), ns, "db-password"); err == nil { // a user: refused as a whole
		t.Fatal("reveal by a user succeeded")
	}
	e.keeper.In.FailNth(fault.Decrypt, 1, errcode.New(errcode.Internal, "test", "bad tag"))
	if _, err := e.m.RevealValue(as(runner), ns, "db-password"); !errors.Is(err, keeper.ErrDecrypt) {
		t.Fatalf("reveal with a failing keeper: %v", err)
	}
	e.keeper.In.FailNth(fault.Decrypt, 1, fault.ErrInjected)
	if _, err := e.m.RevealValue(as(runner), ns, "db-password"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("reveal with the keeper down: %v", err)
	}
	if _, err := e.m.Reveal(as(runner), ns); err == nil { // no names
		t.Fatal("Reveal of no names succeeded")
	}

	points := rd.Collect(t)
	got := map[string]float64{}
	for _, p := range points {
		if p.Metric != "strongbox.secrets.reveals" || p.Scope != "github.com/strongbox-go/strongbox/secrets" {
			t.Errorf("unexpected metric %s (scope %s)", p, p.Scope)
			continue
		}
		if len(p.Attrs) != 1 {
			t.Errorf("%s: attributes %v, want the outcome only", p.Metric, p.Attrs)
		}
		got[p.Attrs["strongbox.outcome"]] = p.Value
	}
	want := map[string]float64{
		"ok":                2,
		"not_found":         2,
		"revoked":           1,
		"permission_denied": 1,
		"decryption_failed": 1,
		"unavailable":       1,
		"invalid":           1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reveals by outcome (-want +got):\n%s\n%s", diff, metrictest.Dump(points))
	}
	metrictest.CheckNoInput(t, points, ns, "db-password", "missing-one", "revoked-one", runner.ID, editor.ID, value)
}
