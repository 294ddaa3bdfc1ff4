package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// rewrapEnv is a Manager over an in-memory store and an Envelope holding
// two local KEKs, "old" (primary) and "new".
type rewrapEnv struct {
	m   *secrets.Manager
	st  *storage.Store
	env *keeper.Envelope
}

func newRewrapEnv(t *testing.T) *rewrapEnv {
	t.Helper()
	ctx := context.Background()
	var keks []keeper.KEK
	for _, id := range []string{"old", "new"} {
		u, err := keeper.NewThrowawayKEKURL()
		if err != nil {
			t.Fatal(err)
		}
		keks = append(keks, keeper.KEK{ID: id, URL: u})
	}
	env, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: keks})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); env.Close(); st.Close() })
	return &rewrapEnv{m: m, st: st, env: env}
}

// kekUse counts the namespace's stored ciphertexts by KEK id.
func (e *rewrapEnv) kekUse(t *testing.T) map[string]int {
	t.Helper()
	use, err := e.m.KEKUsage(as(editor), ns)
	if err != nil {
		t.Fatal(err)
	}
	return use
}

func TestRewrapRotatesEveryCiphertext(t *testing.T) {
	e := newRewrapEnv(t)
	values := map[string]string{}
	for i := range 23 {
		name := fmt.Sprintf("s-%02d", i)
		values[name] = uniqueValue()
		if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: name, Value: secrets.NewValue(values[name]), Decrypters: []string{runner.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]int{"old": 23}, e.kekUse(t)); diff != "" {
		t.Fatalf("KEK use before rotation (-want +got):\n%s", diff)
	}
	if err := e.env.SetPrimary("new"); err != nil {
		t.Fatal(err)
	}
	inUse := e.m.KEKInUse()
	if err := e.env.RemoveKEK(as(editor), "old", keeper.RemoveOptions{InUse: inUse}); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Fatalf("RemoveKEK of a key still in use = %v, want ErrFailedPrecondition", err)
	}

	// Run 1 stops after its second page; run 2 resumes from its token.
	ctx, cancel := context.WithCancel(as(editor))
	var reports []secrets.RewrapProgress
	err := e.m.Rewrap(ctx, ns, secrets.RewrapOptions{PageSize: 5, Progress: func(p secrets.RewrapProgress) {
		reports = append(reports, p)
		if len(reports) == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Rewrap = %v, want context.Canceled", err)
	}
	if len(reports) != 2 || reports[1].Rewrapped != 10 || reports[1].PageToken == "" {
		t.Fatalf("progress of the interrupted run = %+v, want 2 pages of 5 rewrapped", reports)
	}
	if diff := cmp.Diff(map[string]int{"old": 13, "new": 10}, e.kekUse(t)); diff != "" {
		t.Errorf("KEK use after the interrupted run (-want +got):\n%s", diff)
	}
	var last secrets.RewrapProgress
	err = e.m.Rewrap(as(editor), ns, secrets.RewrapOptions{PageSize: 5, PageToken: reports[1].PageToken,
		Progress: func(p secrets.RewrapProgress) { last = p }})
	if err != nil {
		t.Fatalf("resumed Rewrap: %v", err)
	}
	if diff := cmp.Diff(secrets.RewrapProgress{Scanned: 13, Rewrapped: 13}, last); diff != "" {
		t.Errorf("resumed run's progress (-want +got):\n%s", diff)
	}
	// Idempotent: a full second pass changes nothing.
	err = e.m.Rewrap(as(editor), ns, secrets.RewrapOptions{Progress: func(p secrets.RewrapProgress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(secrets.RewrapProgress{Scanned: 23, Current: 23}, last); diff != "" {
		t.Errorf("second pass (-want +got):\n%s", diff)
	}

	if err := e.env.RemoveKEK(as(editor), "old", keeper.RemoveOptions{InUse: inUse}); err != nil {
		t.Fatalf("RemoveKEK after Rewrap: %v", err)
	}
	for name, want := range values {
		v, err := e.m.RevealValue(as(runner), ns, name)
		if err != nil || v.DangerouslyExpose() != want {
			t.Errorf("RevealValue(%s) after rotation = %v, want the original value", name, err)
		}
	}
}

func TestRewrapConcurrentRuns(t *testing.T) {
	e := newRewrapEnv(t)
	for i := range 30 {
		mustCreateIn(t, e.m, fmt.Sprintf("s-%02d", i))
	}
	if err := e.env.SetPrimary("new"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := e.m.Rewrap(as(editor), ns, secrets.RewrapOptions{PageSize: 4}); err != nil {
				t.Errorf("concurrent Rewrap: %v", err)
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(map[string]int{"new": 30}, e.kekUse(t)); diff != "" {
		t.Errorf("KEK use after concurrent runs (-want +got):\n%s", diff)
	}
	for i := range 30 {
		if _, err := e.m.RevealValue(as(runner), ns, fmt.Sprintf("s-%02d", i)); err != nil {
			t.Errorf("RevealValue: %v", err)
		}
	}
}

func TestRewrapRefused(t *testing.T) {
	e := newRewrapEnv(t)
	mustCreateIn(t, e.m, "s")
	if err := e.m.Rewrap(as(viewer), ns, secrets.RewrapOptions{}); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("Rewrap as a viewer = %v, want ErrPermissionDenied", err)
	}
	if err := e.m.Rewrap(context.Background(), ns, secrets.RewrapOptions{}); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("Rewrap without a principal = %v, want ErrPermissionDenied", err)
	}
	// A keeper without Rewrap.
	m, err := secrets.New(secrets.Options{Store: e.st, Keeper: plainKeeper{e.env}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Rewrap(as(editor), ns, secrets.RewrapOptions{}); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Errorf("Rewrap with a keeper that cannot = %v, want ErrFailedPrecondition", err)
	}
}

func TestRewrapCountsUndecryptable(t *testing.T) {
	e := newRewrapEnv(t)
	mustCreateIn(t, e.m, "good")
	mustCreateIn(t, e.m, "bad")
	md, err := e.st.GetMetadata(context.Background(), ns, "bad")
	if err != nil {
		t.Fatal(err)
	}
	ct, err := e.st.GetCiphertext(context.Background(), ns, "bad", md.ValueID)
	if err != nil {
		t.Fatal(err)
	}
	broken := *ct
	broken.Data = append([]byte{}, ct.Data...)
	broken.Data[len(broken.Data)-1] ^= 1
	if err := e.st.ReplaceCiphertext(context.Background(), &broken, ct.Data); err != nil {
		t.Fatal(err)
	}
	if err := e.env.SetPrimary("new"); err != nil {
		t.Fatal(err)
	}
	var last secrets.RewrapProgress
	err = e.m.Rewrap(as(editor), ns, secrets.RewrapOptions{Progress: func(p secrets.RewrapProgress) { last = p }})
	if !errors.Is(err, keeper.ErrDecrypt) {
		t.Errorf("Rewrap with a tampered ciphertext = %v, want ErrDecryptionFailed", err)
	}
	if diff := cmp.Diff(secrets.RewrapProgress{Scanned: 2, Rewrapped: 1, Failed: 1}, last); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

// countingKeeper counts the ciphertexts the Manager hands to Rewrap; its
// embedded Envelope names the primary KEK (KEKIDs).
type countingKeeper struct {
	*keeper.Envelope
	rewraps atomic.Int64
}

func (k *countingKeeper) Rewrap(ctx context.Context, ct, ad []byte) ([]byte, bool, error) {
	k.rewraps.Add(1)
	return k.Envelope.Rewrap(ctx, ct, ad)
}

// TestRewrapSkipsCurrentCiphertexts is the regression test for Rewrap
// decrypting every ciphertext once keeper dropped NeedsRewrap: a
// ciphertext whose header names the primary KEK is counted Current
// without a keeper call.
func TestRewrapSkipsCurrentCiphertexts(t *testing.T) {
	e := newRewrapEnv(t)
	for i := range 7 {
		mustCreateIn(t, e.m, fmt.Sprintf("s-%d", i))
	}
	k := &countingKeeper{Envelope: e.env}
	m, err := secrets.New(secrets.Options{Store: e.st, Keeper: k})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var last secrets.RewrapProgress
	if err := m.Rewrap(as(editor), ns, secrets.RewrapOptions{Progress: func(p secrets.RewrapProgress) { last = p }}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(secrets.RewrapProgress{Scanned: 7, Current: 7}, last); diff != "" {
		t.Errorf("pass under the primary (-want +got):\n%s", diff)
	}
	if n := k.rewraps.Load(); n != 0 {
		t.Errorf("Rewrap asked the keeper about %d current ciphertexts, want 0", n)
	}
	if err := e.env.SetPrimary("new"); err != nil {
		t.Fatal(err)
	}
	if err := m.Rewrap(as(editor), ns, secrets.RewrapOptions{Progress: func(p secrets.RewrapProgress) { last = p }}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(secrets.RewrapProgress{Scanned: 7, Rewrapped: 7}, last); diff != "" {
		t.Errorf("pass after SetPrimary (-want +got):\n%s", diff)
	}
	if n := k.rewraps.Load(); n != 7 {
		t.Errorf("keeper Rewrap calls = %d, want 7", n)
	}
}

// TestKEKUsageAuthorized is the regression test for KEKUsage and KEKInUse
// reading the store without authorization: they are Manager calls now,
// refused without the read permission in every namespace they count.
func TestKEKUsageAuthorized(t *testing.T) {
	e := newRewrapEnv(t)
	mustCreateIn(t, e.m, "s")
	if _, err := e.m.KEKUsage(context.Background(), ns); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("KEKUsage without a principal = %v, want ErrPermissionDenied", err)
	}
	if _, err := e.m.KEKUsage(as(viewer), ns); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("KEKUsage as a viewer = %v, want ErrPermissionDenied", err)
	}
	use, err := e.m.KEKUsage(as(editor), "")
	if err != nil {
		t.Fatalf("KEKUsage of every namespace as an editor of the only one: %v", err)
	}
	if diff := cmp.Diff(map[string]int{"old": 1}, use); diff != "" {
		t.Errorf("KEKUsage (-want +got):\n%s", diff)
	}
	// A ciphertext in a namespace the editor may not read fails the scan
	// of all namespaces, and so RemoveKEK.
	other := rbac.Principal{Kind: rbac.KindUser, ID: "olga", Namespace: "team-other", Roles: []rbac.Role{rbac.RoleEditor}}
	if _, err := e.m.Create(as(other), "team-other", secrets.Spec{Name: "t", Value: secrets.NewValue(uniqueValue())}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.KEKUsage(as(editor), ""); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("KEKUsage of every namespace with one unreadable = %v, want ErrPermissionDenied", err)
	}
	if err := e.env.SetPrimary("new"); err != nil {
		t.Fatal(err)
	}
	if err := e.env.RemoveKEK(as(editor), "old", keeper.RemoveOptions{InUse: e.m.KEKInUse()}); err == nil {
		t.Error("RemoveKEK with an InUse check that cannot see every namespace removed the key")
	}
}

func mustCreateIn(t *testing.T, m *secrets.Manager, name string) {
	t.Helper()
	if _, err := m.Create(as(editor), ns, secrets.Spec{Name: name, Value: secrets.NewValue(uniqueValue()), Decrypters: []string{runner.ID}}); err != nil {
		t.Fatal(err)
	}
}

// plainKeeper hides every method but keeper.Keeper's.
type plainKeeper struct{ k keeper.Keeper }

func (p plainKeeper) Encrypt(ctx context.Context, pt, ad []byte) ([]byte, error) {
	return p.k.Encrypt(ctx, pt, ad)
}
func (p plainKeeper) Decrypt(ctx context.Context, ct, ad []byte) ([]byte, error) {
	return p.k.Decrypt(ctx, ct, ad)
}
func (p plainKeeper) Close() error { return nil }
