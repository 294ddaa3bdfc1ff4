package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestNoValueLeaks is invariant 1 through internal/testing/leakcheck: every value
// is a registered test secret; every error, result, audit event, fmt and
// JSON rendering and slog record the Manager's callers can produce, on
// success, on invalid input, on denial and under store and key faults, is
// checked for it.
func TestNoValueLeaks(t *testing.T) {
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })

	st := docstorage.NewInMemory()
	t.Cleanup(func() { st.Close() })
	in := &fault.Injector{}
	fst := fault.NewStoreIn(st, in)
	fk := &fault.Keeper{Keeper: newKeeper(t), In: in}
	m, err := secrets.New(secrets.Options{
		Store: fst.Store, Keeper: fk,
		Auditor: leakcheck.Auditor(nil),
		// Value history on: kept values, rollbacks and pinned reveals
		// go through the same checks.
		KeepVersions: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	log := slog.New(leakcheck.Handler(slog.NewJSONHandler(io.Discard, nil)))
	show := func(where string, xs ...any) {
		t.Helper()
		for _, x := range xs {
			leakcheck.Checkf(where, x)
			if err, ok := x.(error); ok {
				leakcheck.CheckError(where, err)
			}
			b, _ := json.Marshal(x)
			leakcheck.Check(where+" (JSON)", string(b))
			log.Info(where, "x", x)
		}
	}
	ed := as(editor)
	val := func() secrets.Value { return secrets.NewValue(leakcheck.NewValue("leak")) }

	spec := secrets.Spec{Name: "api-key", Value: val(), Decrypters: []string{runner.ID}, Labels: map[string]string{"env": "prod"}}
	show("Spec", spec, &spec, spec.Value)
	s, err := m.Create(ed, ns, spec)
	if err != nil {
		t.Fatal(err)
	}
	show("Create", s)
	_, err = m.Create(ed, ns, secrets.Spec{Name: "api-key", Value: val()})
	show("Create duplicate", err)

	bad := []secrets.Spec{
		{Name: "big", Value: secrets.NewValue(leakcheck.NewValue("big") + strings.Repeat("x", secrets.MaxValueBytes))},
		{Name: "bin", Value: secrets.NewValue(leakcheck.NewValue("bin") + "\xff")},
		{Name: "bad name", Value: val()},
		{Name: "labels", Value: val(), Labels: map[string]string{"k": "bad value"}},
		{Name: "decrypters", Value: val(), Decrypters: []string{"a b"}},
	}
	for _, b := range bad {
		_, err := m.Create(ed, ns, b)
		show("invalid Create "+b.Name, err)
	}

	res, err := m.Reveal(as(runner), ns, "api-key", "missing", "bad name")
	show("Reveal", res, err)
	for _, r := range res {
		show("RevealResult", r, r.Err, r.Value)
	}
	_, err = m.Reveal(as(editor), ns, "api-key")
	show("Reveal denied", err)
	_, err = m.Reset(ed, ns, "api-key", val(), 99)
	show("stale Reset", err)
	_, err = m.Reset(ed, ns, "api-key", secrets.NewValue(leakcheck.NewValue("reset")+"\xfe"), 0)
	show("invalid Reset", err)
	lst, err := m.List(ed, ns, secrets.ListOptions{})
	show("List", lst, err)

	// Every store and keeper call failing in turn, on every write and on
	// Reveal.
	ops := map[string]func() (any, error){
		"Create": func() (any, error) {
			return m.Create(ed, ns, secrets.Spec{Name: "f", Value: val(), Decrypters: []string{runner.ID}})
		},
		"Reset":  func() (any, error) { return m.Reset(ed, ns, "api-key", val(), 0) },
		"Reveal": func() (any, error) { return m.Reveal(as(runner), ns, "api-key", "f") },
		"Revoke": func() (any, error) { return m.Revoke(ed, ns, "f", 0) },
		"Delete": func() (any, error) { return nil, m.Delete(ed, ns, "f", 0) },
		"Rollback": func() (any, error) {
			s, err := m.Get(ed, ns, "api-key")
			if err != nil {
				return nil, err
			}
			return m.Rollback(ed, ns, "api-key", s.Version-1, 0)
		},
		"Destroy":  func() (any, error) { return m.Destroy(ed, ns, "api-key", 1, 0) },
		"Versions": func() (any, error) { return m.Versions(ed, ns, "api-key") },
		"RevealPinned": func() (any, error) {
			return m.Reveal(as(runner), ns, "api-key@1", "api-key@2", "api-key@99", "api-key@01")
		},
	}
	for name, op := range ops {
		for nth := 1; nth <= 5; nth++ {
			for _, after := range []bool{false, true} {
				if after {
					in.FailAfterNth("", nth, nil)
				} else {
					in.FailNth("", nth, nil)
				}
				out, err := op()
				in.Reset()
				show(fmt.Sprintf("%s with call %d failing", name, nth), out, err)
			}
		}
	}
	var decErr error
	in.FailAll(fault.Decrypt, fmt.Errorf("keeper broke while holding %w", context.Canceled))
	_, decErr = m.RevealValue(as(runner), ns, "api-key")
	in.Reset()
	show("Reveal with a failing keeper", decErr)
}

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }
