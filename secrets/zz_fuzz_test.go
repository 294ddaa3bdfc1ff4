package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/internal/testing/modeltest"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// FuzzCreate feeds every field of a Spec through Manager.Create and
// compares the verdict with internal/testing/modeltest's independent reading of
// DESIGN.md's limits. An accepted secret must read back and reveal
// unchanged and be found by a selector of its label; a refused one must
// fail with ErrInvalid, store nothing and not repeat the value.
func FuzzCreate(f *testing.F) {
	for _, s := range [][6]string{
		{"api-key", "checkout API", "env", "prod", "runner-1", "v"},
		{"", "", "", "", "", ""},
		{"a b", "\xff", "app.kubernetes.io", "a.b", "svc:runner@x/y", "ünï ✓"},
		{"x", "d", "k", "bad value", "a b", "\xff"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	st := docstorage.NewInMemory()
	f.Cleanup(func() { st.Close() })
	m, err := secrets.New(secrets.Options{Store: st, Keeper: newKeeper(f), Auditor: leakcheck.Auditor(nil)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { m.Close() })
	var seq atomic.Int64
	f.Fuzz(func(t *testing.T, name, desc, labelKey, labelValue, decrypter, value string) {
		since := leakcheck.Count()
		defer leakcheck.Verify(t, since)
		// The marker makes the value a registered test secret without
		// registering every fuzz input; it is ASCII, so the value stays
		// valid or invalid UTF-8 as it was.
		marker := leakcheck.NewValue("")
		defer leakcheck.Forget(marker)
		value = marker + value
		ns := fmt.Sprintf("fz%d", seq.Add(1))
		user := rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindUser, ID: "u", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}})
		labels := map[string]string{labelKey: labelValue}
		decs := []string{decrypter}
		s, err := m.Create(user, ns, secrets.Spec{Name: name, Description: desc, Labels: labels, Decrypters: decs, Value: secrets.NewValue(value)})
		valid := modeltest.SpecValid(name, desc, labels, decs, value)
		leakcheck.CheckError("Create", err)
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalid) || secrets.ErrorCode(err) != secrets.ErrInvalid {
				t.Fatalf("Create: %v, want ErrInvalid", err)
			}
			if valid {
				t.Fatalf("Create refused a spec within DESIGN.md's limits: %v", err)
			}
			if res, err := m.List(user, ns, secrets.ListOptions{}); err != nil || len(res.Secrets) != 0 {
				t.Fatalf("a refused Create stored something: %v, %v", res, err)
			}
			return
		}
		if !valid {
			t.Fatalf("Create accepted a spec outside DESIGN.md's limits: %+v", s)
		}
		defer m.Delete(user, ns, name, 0)
		got, err := m.Get(user, ns, name)
		if err != nil || got.Description != desc || !maps.Equal(got.Labels, labels) || len(got.Decrypters) != 1 || got.Decrypters[0] != decrypter {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		svc := rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindService, ID: decrypter, Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}})
		if v, err := m.RevealValue(svc, ns, name); err != nil || v.DangerouslyExpose() != value {
			t.Fatalf("RevealValue: %v (value changed: %v)", err, v.DangerouslyExpose() != value)
		}
		sel := secrets.FormatSelector(labels)
		if want, ok := modeltest.SelectorValid(sel); !ok || !maps.Equal(want, labels) {
			t.Fatalf("FormatSelector(%v) = %q does not parse back", labels, sel)
		}
		res, err := m.List(user, ns, secrets.ListOptions{Selector: sel})
		if err != nil || len(res.Secrets) != 1 || res.Secrets[0].Name != name {
			t.Fatalf("List(%q) = %v, %v", sel, res, err)
		}
	})
}
