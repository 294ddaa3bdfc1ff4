package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

const ns = "team-a"

var (
	editor = rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}
	viewer = rbac.Principal{Kind: rbac.KindUser, ID: "vic", Namespace: ns, Roles: []rbac.Role{rbac.RoleViewer}}
	runner = rbac.Principal{Kind: rbac.KindService, ID: "k6-runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}}
	other  = rbac.Principal{Kind: rbac.KindService, ID: "other-runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}}
)

func as(p rbac.Principal) context.Context { return rbac.WithPrincipal(context.Background(), p) }

// env is a Manager over fault-injecting wrappers of real backends, with a
// recorder of audit events.
type env struct {
	m      *secrets.Manager
	store  *fault.Store
	keeper *fault.Keeper
	mu     sync.Mutex
	audits []rbac.AuditEvent
	// dir holds the store's files, for backends that have any.
	dir string
}

func newEnv(t *testing.T, backend string, opts secrets.Options) *env {
	t.Helper()
	dir := t.TempDir()
	st, kp := newStoreIn(t, backend, dir), newKeeper(t)
	e := &env{store: fault.NewStore(st), keeper: fault.NewKeeper(kp), dir: dir}
	opts.Store, opts.Keeper = e.store.Store, e.keeper
	opts.Auditor = func(_ context.Context, ev rbac.AuditEvent) {
		e.mu.Lock()
		e.audits = append(e.audits, ev)
		e.mu.Unlock()
	}
	m, err := secrets.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e.m = m
	return e
}

func (e *env) lastAudit() rbac.AuditEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.audits) == 0 {
		return rbac.AuditEvent{}
	}
	return e.audits[len(e.audits)-1]
}

// uniqueValue makes a test secret value that appears nowhere else.
var valueSeq atomic.Int64

func uniqueValue() string {
	return fmt.Sprintf("s3cr3t-%d-Zx9QkPw", valueSeq.Add(1))
}

func mustCreate(t *testing.T, e *env, name, value string, labels map[string]string) *secrets.Secret {
	t.Helper()
	s, err := e.m.Create(as(editor), ns, secrets.Spec{
		Name: name, Value: secrets.NewValue(value), Labels: labels, Decrypters: []string{runner.ID},
	})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	return s
}

func mustReveal(t *testing.T, e *env, name string) string {
	t.Helper()
	v, err := e.m.RevealValue(as(runner), ns, name)
	if err != nil {
		t.Fatalf("RevealValue(%s): %v", name, err)
	}
	return v.DangerouslyExpose()
}

// storedCiphertexts lists every ciphertext reference of the namespace.
func storedCiphertexts(t *testing.T, st *storage.Store, namespace string) []storage.CiphertextRef {
	t.Helper()
	var all []storage.CiphertextRef
	token := ""
	for {
		page, next, err := st.ListCiphertexts(context.Background(), namespace, 100, token)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		token = next
	}
}

func allMetadata(t *testing.T, st *storage.Store, namespace string) []*storage.Metadata {
	t.Helper()
	var all []*storage.Metadata
	token := ""
	for {
		page, next, err := st.ListMetadata(context.Background(), namespace, storage.ListOptions{PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		token = next
	}
}

// checkConsistent asserts invariant 5: every live metadata points at a
// ciphertext that exists.
func checkConsistent(t *testing.T, st *storage.Store, namespace string) {
	t.Helper()
	for _, md := range allMetadata(t, st, namespace) {
		if md.Revoked {
			if md.ValueID != "" {
				t.Errorf("revoked secret %s still points at value %s", md.Name, md.ValueID)
			}
			continue
		}
		if _, err := st.GetCiphertext(context.Background(), namespace, md.Name, md.ValueID); err != nil {
			t.Errorf("metadata of %s points at missing ciphertext %s: %v", md.Name, md.ValueID, err)
		}
	}
}

func TestLifecycle(t *testing.T) { forEachBackend(t, testLifecycle) }

func testLifecycle(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	ctx := as(editor)
	v1, v2, v3 := uniqueValue(), uniqueValue(), uniqueValue()

	s := mustCreate(t, e, "api-key", v1, map[string]string{"env": "prod", "team": "checkout"})
	mustCreate(t, e, "db-pass", uniqueValue(), map[string]string{"env": "dev"})
	if s.Version != 1 || s.Revision != 1 || s.CreatedBy != editor.String() {
		t.Fatalf("created secret = %+v", s)
	}

	got, err := e.m.Get(ctx, ns, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	res, err := e.m.List(ctx, ns, secrets.ListOptions{Selector: "env=prod"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Secrets) != 1 || res.Secrets[0].Name != "api-key" || res.NextPageToken != "" {
		t.Fatalf("List(env=prod) = %+v", res)
	}

	if got := mustReveal(t, e, "api-key"); got != v1 {
		t.Fatal("Reveal returned another value")
	}

	// Update with the revision read, then with a stale one.
	got.Description = "checkout API"
	got.Labels = map[string]string{"env": "staging"}
	got.Decrypters = []string{runner.ID, other.ID}
	upd, err := e.m.Update(ctx, ns, got)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Revision != 2 || upd.Description != "checkout API" || upd.Version != 1 {
		t.Fatalf("updated = %+v", upd)
	}
	if _, err := e.m.Update(ctx, ns, got); !errors.Is(err, secrets.ErrConflict) {
		t.Fatalf("stale Update: %v, want ErrConflict", err)
	}

	// Reset: new version, old ciphertext removed.
	before := storedCiphertexts(t, e.store.Store, ns)
	rs, err := e.m.Reset(ctx, ns, "api-key", secrets.NewValue(v2), upd.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Version != 2 || rs.Revision != 3 {
		t.Fatalf("after Reset: %+v", rs)
	}
	if got := mustReveal(t, e, "api-key"); got != v2 {
		t.Fatal("Reveal after Reset returned the old value")
	}
	if after := storedCiphertexts(t, e.store.Store, ns); len(after) != len(before) {
		t.Fatalf("Reset left %d ciphertexts, want %d", len(after), len(before))
	}
	if _, err := e.m.Reset(ctx, ns, "api-key", secrets.NewValue(v3), upd.Revision); !errors.Is(err, secrets.ErrConflict) {
		t.Fatalf("stale Reset: %v, want ErrConflict", err)
	}

	// Revoke: metadata stays, value is gone until the next Reset.
	rv, err := e.m.Revoke(ctx, ns, "api-key", 0)
	if err != nil || !rv.Revoked {
		t.Fatalf("Revoke = %+v, %v", rv, err)
	}
	if _, err := e.m.RevealValue(as(runner), ns, "api-key"); !errors.Is(err, secrets.ErrRevoked) || !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Fatalf("Reveal of revoked: %v, want ErrRevoked", err)
	}
	if n := len(storedCiphertexts(t, e.store.Store, ns)); n != 1 {
		t.Fatalf("after Revoke %d ciphertexts remain, want 1 (db-pass only)", n)
	}
	if _, err := e.m.Reset(ctx, ns, "api-key", secrets.NewValue(v3), 0); err != nil {
		t.Fatal(err)
	}
	if got := mustReveal(t, e, "api-key"); got != v3 {
		t.Fatal("Reveal after Reset of revoked secret")
	}

	// Delete: everything goes; the name is free again.
	if err := e.m.Delete(ctx, ns, "api-key", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Get(ctx, ns, "api-key"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if _, err := e.m.RevealValue(as(runner), ns, "api-key"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Reveal after Delete: %v", err)
	}
	if n := len(storedCiphertexts(t, e.store.Store, ns)); n != 1 {
		t.Fatalf("after Delete %d ciphertexts remain, want 1", n)
	}
	if err := e.m.Delete(ctx, ns, "api-key", 0); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	s2 := mustCreate(t, e, "api-key", v1, nil)
	if s2.Version != 1 || s2.Revision != 1 {
		t.Fatalf("re-created = %+v", s2)
	}
	checkConsistent(t, e.store.Store, ns)
}

func TestListPagingAndSelector(t *testing.T) { forEachBackend(t, testListPagingAndSelector) }

func testListPagingAndSelector(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	const n = 25
	for i := range n {
		env := "dev"
		if i%3 == 0 {
			env = "prod"
		}
		mustCreate(t, e, fmt.Sprintf("s-%03d", i), uniqueValue(), map[string]string{"env": env})
	}
	for _, tc := range []struct {
		selector string
		want     int
	}{{"", n}, {"env=prod", 9}, {"env=dev", 16}, {"env=none", 0}} {
		t.Run(tc.selector, func(t *testing.T) {
			var names []string
			token := ""
			for pages := 0; ; pages++ {
				if pages > n {
					t.Fatal("paging does not end")
				}
				res, err := e.m.List(as(editor), ns, secrets.ListOptions{Selector: tc.selector, PageSize: 4, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Secrets) > 4 {
					t.Fatalf("page of %d items, size 4", len(res.Secrets))
				}
				for _, s := range res.Secrets {
					names = append(names, s.Name)
				}
				if token = res.NextPageToken; token == "" {
					break
				}
			}
			if len(names) != tc.want {
				t.Fatalf("listed %d, want %d: %v", len(names), tc.want, names)
			}
			for i := 1; i < len(names); i++ {
				if names[i-1] >= names[i] {
					t.Fatalf("not ordered by name or repeated: %v", names)
				}
			}
		})
	}
	if _, err := e.m.List(as(editor), ns, secrets.ListOptions{Selector: "env"}); !errors.Is(err, secrets.ErrInvalid) {
		t.Fatalf("bad selector: %v", err)
	}
}

func TestDenyByDefault(t *testing.T) { forEachBackend(t, testDenyByDefault) }

func testDenyByDefault(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	mustCreate(t, e, "api-key", uniqueValue(), nil)
	value := secrets.NewValue(uniqueValue())
	readerOnly := rbac.Principal{Kind: rbac.KindUser, ID: "r", Namespace: ns, Roles: []rbac.Role{rbac.RoleSecureValuesReader}}
	otherNS := rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-b", Roles: []rbac.Role{rbac.RoleAdmin}}
	admin := rbac.Principal{Kind: rbac.KindUser, ID: "root", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}}

	ops := map[string]func(ctx context.Context) error{
		"Create": func(ctx context.Context) error {
			_, err := e.m.Create(ctx, ns, secrets.Spec{Name: "new", Value: value})
			return err
		},
		"Get":  func(ctx context.Context) error { _, err := e.m.Get(ctx, ns, "api-key"); return err },
		"List": func(ctx context.Context) error { _, err := e.m.List(ctx, ns, secrets.ListOptions{}); return err },
		"Update": func(ctx context.Context) error {
			_, err := e.m.Update(ctx, ns, &secrets.Secret{Name: "api-key", Revision: 1})
			return err
		},
		"Reset":  func(ctx context.Context) error { _, err := e.m.Reset(ctx, ns, "api-key", value, 0); return err },
		"Revoke": func(ctx context.Context) error { _, err := e.m.Revoke(ctx, ns, "api-key", 0); return err },
		"Delete": func(ctx context.Context) error { return e.m.Delete(ctx, ns, "api-key", 0) },
		"Reveal": func(ctx context.Context) error { _, err := e.m.Reveal(ctx, ns, "api-key"); return err },
		"CollectGarbage": func(ctx context.Context) error {
			_, err := e.m.CollectGarbage(ctx, ns, 0)
			return err
		},
	}
	callers := map[string]struct {
		ctx     context.Context
		allowed []string
	}{
		"no principal":    {context.Background(), nil},
		"viewer":          {as(viewer), nil},
		"other namespace": {as(otherNS), nil},
		"reader":          {as(readerOnly), []string{"Get", "List"}},
		"admin":           {as(admin), []string{"Create", "Get", "List", "Update", "Reset", "Revoke", "Delete", "CollectGarbage"}},
		"runner":          {as(runner), []string{"Reveal"}},
	}
	for cname, caller := range callers {
		for opname, op := range ops {
			allowed := false
			for _, a := range caller.allowed {
				allowed = allowed || a == opname
			}
			if allowed {
				continue
			}
			t.Run(cname+"/"+opname, func(t *testing.T) {
				storeCalls, keeperCalls := e.store.In.Calls(""), e.keeper.In.Calls("")
				err := op(caller.ctx)
				if !errors.Is(err, secrets.ErrPermissionDenied) {
					t.Fatalf("err = %v, want ErrPermissionDenied", err)
				}
				if d := e.store.In.Calls("") - storeCalls; d != 0 {
					t.Errorf("%d store calls before the denial", d)
				}
				if d := e.keeper.In.Calls("") - keeperCalls; d != 0 {
					t.Errorf("%d keeper calls before the denial", d)
				}
				if a := e.lastAudit(); a.Outcome != "denied" || a.Operation != opname {
					t.Errorf("last audit = %+v, want a denial of %s", a, opname)
				}
			})
		}
	}
}

func TestRevealDecrypters(t *testing.T) { forEachBackend(t, testRevealDecrypters) }

func testRevealDecrypters(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{DefaultDecrypters: []string{other.ID}})
	vA, vB := uniqueValue(), uniqueValue()
	mustCreate(t, e, "listed", vA, nil) // decrypters: runner
	if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "default", Value: secrets.NewValue(vB)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "nobody", Value: secrets.NewValue(vB), Decrypters: []string{}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.m.Reveal(as(runner), ns, "listed", "default", "nobody", "missing")
	if err != nil {
		t.Fatal(err)
	}
	// runner may not read the namespace: a secret that does not list it
	// looks missing (see TestExistenceHiddenFromCallersWithoutRead).
	want := []error{nil, secrets.ErrNotFound, secrets.ErrNotFound, secrets.ErrNotFound}
	for i, r := range res {
		if want[i] == nil {
			if r.Err != nil || r.Value.DangerouslyExpose() != vA {
				t.Errorf("%s: %v", r.Name, r.Err)
			}
			continue
		}
		if !errors.Is(r.Err, want[i]) || r.Value.Len() != 0 {
			t.Errorf("%s: err = %v, want %v and no value", r.Name, r.Err, want[i])
		}
	}
	if v, err := e.m.RevealValue(as(other), ns, "default"); err != nil || v.DangerouslyExpose() != vB {
		t.Fatalf("default decrypter: %v", err)
	}
	if _, err := e.m.Reveal(as(runner), ns); !errors.Is(err, secrets.ErrInvalid) {
		t.Fatalf("Reveal of no names: %v", err)
	}
}

func TestInvalidInputChangesNothing(t *testing.T) { forEachBackend(t, testInvalidInputChangesNothing) }

func testInvalidInputChangesNothing(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	secret := uniqueValue()
	tests := []struct {
		name string
		spec secrets.Spec
		ns   string
	}{
		{"empty name", secrets.Spec{Value: secrets.NewValue(secret)}, ns},
		{"bad name", secrets.Spec{Name: "a b", Value: secrets.NewValue(secret)}, ns},
		{"empty value", secrets.Spec{Name: "x"}, ns},
		{"too big", secrets.Spec{Name: "x", Value: secrets.NewValue(strings.Repeat(secret, 2000))}, ns},
		{"binary value", secrets.Spec{Name: "x", Value: secrets.NewValue(secret + "\xff")}, ns},
		{"long description", secrets.Spec{Name: "x", Value: secrets.NewValue(secret), Description: strings.Repeat("d", 254)}, ns},
		{"11 labels", secrets.Spec{Name: "x", Value: secrets.NewValue(secret), Labels: map[string]string{
			"a": "", "b": "", "c": "", "d": "", "e": "", "f": "", "g": "", "h": "", "i": "", "j": "", "k": ""}}, ns},
		{"bad decrypter", secrets.Spec{Name: "x", Value: secrets.NewValue(secret), Decrypters: []string{"a b"}}, ns},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.m.Create(as(editor), tc.ns, tc.spec)
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error echoes the value: %v", err)
			}
			if n := len(storedCiphertexts(t, e.store.Store, ns)) + len(allMetadata(t, e.store.Store, ns)); n != 0 {
				t.Fatalf("%d records stored after invalid input", n)
			}
		})
	}
	mustCreate(t, e, "dup", secret, nil)
	if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "dup", Value: secrets.NewValue(uniqueValue())}); !errors.Is(err, secrets.ErrAlreadyExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if got := mustReveal(t, e, "dup"); got != secret {
		t.Fatal("duplicate create changed the value")
	}
	if n := len(storedCiphertexts(t, e.store.Store, ns)); n != 1 {
		t.Fatalf("%d ciphertexts after a duplicate create, want 1", n)
	}
}

// TestFailuresLeaveNoDanglingMetadata fails or crashes each store and keeper
// call of Create, Reset, Revoke and Delete in turn and checks invariant 5:
// no metadata points at a missing ciphertext, and a failed write leaves the
// previous value readable.
func TestFailuresLeaveNoDanglingMetadata(t *testing.T) {
	forEachBackend(t, testFailuresLeaveNoDanglingMetadata)
}

func testFailuresLeaveNoDanglingMetadata(t *testing.T, backend string) {
	type write struct {
		name string
		run  func(e *env, name string) error
	}
	writes := []write{
		{"Create", func(e *env, name string) error {
			_, err := e.m.Create(as(editor), ns, secrets.Spec{Name: name + "-new", Value: secrets.NewValue(uniqueValue()), Decrypters: []string{runner.ID}})
			return err
		}},
		{"Reset", func(e *env, name string) error {
			_, err := e.m.Reset(as(editor), ns, name, secrets.NewValue(uniqueValue()), 0)
			return err
		}},
		{"Revoke", func(e *env, name string) error { _, err := e.m.Revoke(as(editor), ns, name, 0); return err }},
		{"Delete", func(e *env, name string) error { return e.m.Delete(as(editor), ns, name, 0) }},
	}
	for _, w := range writes {
		for _, mode := range []string{"fail", "crash"} {
			for step := 1; step <= 6; step++ {
				t.Run(fmt.Sprintf("%s/%s-at-call-%d", w.name, mode, step), func(t *testing.T) {
					e := newEnv(t, backend, secrets.Options{})
					const name = "victim"
					old := uniqueValue()
					mustCreate(t, e, name, old, nil)
					if mode == "crash" {
						e.store.In.CrashAfter(step - 1)
					} else {
						e.store.In.FailNth("", step, nil)
					}
					err := w.run(e, name)
					e.store.In.Reset()
					e.keeper.In.Reset()
					checkConsistent(t, e.store.Store, ns)
					if err != nil {
						if !errors.Is(err, secrets.ErrUnavailable) {
							t.Fatalf("failed write returned %v, want ErrUnavailable", err)
						}
						md, gerr := e.store.GetMetadata(context.Background(), ns, name)
						if gerr == nil && !md.Revoked {
							// The write may have committed before the failure
							// (e.g. a failed cleanup); either way the secret
							// reveals the old or a new value, never nothing.
							if _, rerr := e.m.RevealValue(as(runner), ns, name); rerr != nil {
								t.Fatalf("after a failed %s the secret no longer reveals: %v", w.name, rerr)
							}
						}
					}
					// Orphans are collectable, and collecting keeps live values.
					if _, err := e.m.CollectGarbage(as(editor), ns, -1); err != nil {
						t.Fatal(err)
					}
					checkConsistent(t, e.store.Store, ns)
					live := 0
					for _, md := range allMetadata(t, e.store.Store, ns) {
						if !md.Revoked {
							live++
						}
					}
					if n := len(storedCiphertexts(t, e.store.Store, ns)); n > live {
						t.Fatalf("%d ciphertexts for %d live secrets after CollectGarbage", n, live)
					}
				})
			}
		}
	}
	t.Run("keeper fails", func(t *testing.T) {
		e := newEnv(t, backend, secrets.Options{})
		old := uniqueValue()
		mustCreate(t, e, "victim", old, nil)
		e.keeper.In.FailAll(fault.Encrypt, nil)
		if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "x", Value: secrets.NewValue(uniqueValue())}); !errors.Is(err, secrets.ErrUnavailable) {
			t.Fatalf("Create with a failing key: %v", err)
		}
		if _, err := e.m.Reset(as(editor), ns, "victim", secrets.NewValue(uniqueValue()), 0); !errors.Is(err, secrets.ErrUnavailable) {
			t.Fatalf("Reset with a failing key: %v", err)
		}
		e.keeper.In.Reset()
		if got := mustReveal(t, e, "victim"); got != old {
			t.Fatal("failed Reset changed the value")
		}
		if n := len(allMetadata(t, e.store.Store, ns)); n != 1 {
			t.Fatalf("%d secrets after failed Create, want 1", n)
		}
	})
}

func TestConcurrentUpdatesOneWins(t *testing.T) { forEachBackend(t, testConcurrentUpdatesOneWins) }

func testConcurrentUpdatesOneWins(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	s := mustCreate(t, e, "racy", uniqueValue(), nil)
	const n = 16
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := *s
			mine.Description = fmt.Sprintf("writer %d", i)
			_, err := e.m.Update(as(editor), ns, &mine)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, secrets.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("Update: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d wins and %d conflicts, want 1 and %d", wins.Load(), conflicts.Load(), n-1)
	}
	got, _ := e.m.Get(as(editor), ns, "racy")
	if got.Revision != 2 {
		t.Fatalf("revision %d after one winning update, want 2", got.Revision)
	}
}

func TestCloseWaitsAndRefuses(t *testing.T) { forEachBackend(t, testCloseWaitsAndRefuses) }

func testCloseWaitsAndRefuses(t *testing.T, backend string) {
	fst := fault.NewStore(newStore(t, backend))
	m, err := secrets.New(secrets.Options{Store: fst.Store, Keeper: newKeeper(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(as(editor), ns, secrets.Spec{Name: "a", Value: secrets.NewValue(uniqueValue())}); err != nil {
		t.Fatal(err)
	}
	const delay = 50 * time.Millisecond
	calls := fst.In.Calls("")
	fst.In.SetLatency(delay) // every store call from now on
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, err := m.Get(as(editor), ns, "a"); done <- err }()
	for fst.In.Calls("") == calls {
		time.Sleep(time.Millisecond) // until the Get's store call has started
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// The store call started after start and takes at least delay.
	if d := time.Since(start); d < delay {
		t.Fatalf("Close returned after %v, before the call in flight finished", d)
	}
	if err := <-done; err != nil {
		t.Fatalf("call in flight failed: %v", err)
	}
	if _, err := m.Get(as(editor), ns, "a"); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func TestContextErrorsPassThrough(t *testing.T) { forEachBackend(t, testContextErrorsPassThrough) }

func testContextErrorsPassThrough(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	ctx, cancel := context.WithCancel(as(editor))
	cancel()
	if _, err := e.m.Get(ctx, ns, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with cancelled context: %v", err)
	}
}
