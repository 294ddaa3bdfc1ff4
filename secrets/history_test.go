package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

// Value history (issue #18): Versions, Rollback, Destroy and pinned
// reveals, on every backend.

func keep(n int) *int { return &n }

// createKept creates name keeping k earlier values, with values[0], then
// resets it to each of values[1:], so its version is len(values).
func createKept(t *testing.T, e *env, name string, k int, values ...string) *secrets.Secret {
	t.Helper()
	s, err := e.m.Create(as(editor), ns, secrets.Spec{Name: name, Value: secrets.NewValue(values[0]),
		Decrypters: []string{runner.ID}, KeepVersions: keep(k)})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	for _, v := range values[1:] {
		if s, err = e.m.Reset(as(editor), ns, name, secrets.NewValue(v), 0); err != nil {
			t.Fatalf("Reset(%s): %v", name, err)
		}
	}
	return s
}

// versionsSummary renders Versions compactly: "6c 5 4d 3r".
func versionsSummary(t *testing.T, e *env, name string) string {
	t.Helper()
	vs, err := e.m.Versions(as(editor), ns, name)
	if err != nil {
		t.Fatalf("Versions(%s): %v", name, err)
	}
	var parts []string
	for _, v := range vs {
		p := fmt.Sprint(v.Version)
		if v.Current {
			p += "c"
		}
		if v.Revoked {
			p += "r"
		}
		if v.Destroyed {
			p += "d"
		}
		if v.CreateTime.IsZero() || !strings.HasPrefix(v.CreatedBy, "user:") {
			t.Errorf("version %d: created %v by %q, want a time and a user", v.Version, v.CreateTime, v.CreatedBy)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func revealRef(e *env, ref string) (string, error) {
	v, err := e.m.RevealValue(as(runner), ns, ref)
	return v.DangerouslyExpose(), err
}

// wantNotFoundNaming checks err is ErrNotFound and names the version: in
// words, or as the name@N reference a caller without read (a runner) gets
// back in the one not-found message that hides whether it exists.
func wantNotFoundNaming(t *testing.T, what string, err error, version int64) {
	t.Helper()
	if !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("%s: %v, want ErrNotFound", what, err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("version %d", version)) && !strings.Contains(err.Error(), fmt.Sprintf("@%d\"", version)) {
		t.Errorf("%s: %q does not name version %d", what, err, version)
	}
}

// kept returns the value IDs of ns/name's stored ciphertexts, sorted.
func keptIDs(t *testing.T, e *env, name string) []string {
	t.Helper()
	var ids []string
	for _, r := range storedCiphertexts(t, e.store.Store, ns) {
		if r.Name == name {
			ids = append(ids, r.ValueID)
		}
	}
	slices.Sort(ids)
	return ids
}

// referencedIDs returns the value IDs ns/name's metadata references,
// sorted: what must be stored, and all that may be.
func referencedIDs(t *testing.T, e *env, name string) []string {
	t.Helper()
	md, err := e.store.GetMetadata(context.Background(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	if md.ValueID != "" {
		ids = append(ids, md.ValueID)
	}
	for _, h := range md.History {
		if h.ValueID != "" && !slices.Contains(ids, h.ValueID) {
			ids = append(ids, h.ValueID)
		}
	}
	slices.Sort(ids)
	return ids
}

func checkStoredIsReferenced(t *testing.T, e *env, name string) {
	t.Helper()
	if d := cmp.Diff(referencedIDs(t, e, name), keptIDs(t, e, name)); d != "" {
		t.Errorf("stored ciphertexts of %s are not the referenced ones (-referenced +stored):\n%s", name, d)
	}
}

func TestHistory(t *testing.T) { forAllBackends(t, testHistory) }

func testHistory(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	v := []string{uniqueValue(), uniqueValue(), uniqueValue(), uniqueValue(), uniqueValue()}
	s := createKept(t, e, "api-key", 3, v...)
	if s.Version != 5 || s.KeepVersions != 3 {
		t.Fatalf("after 4 resets: version %d keeping %d, want 5 keeping 3", s.Version, s.KeepVersions)
	}
	if got := versionsSummary(t, e, "api-key"); got != "5c 4 3 2" {
		t.Errorf("Versions = %q, want 5c 4 3 2 (1 fell out of the window)", got)
	}
	checkStoredIsReferenced(t, e, "api-key")
	if n := len(keptIDs(t, e, "api-key")); n != 4 {
		t.Errorf("%d ciphertexts stored, want 4", n)
	}
	for i := int64(2); i <= 5; i++ {
		got, err := revealRef(e, fmt.Sprintf("api-key@%d", i))
		if err != nil || got != v[i-1] {
			t.Errorf("reveal of version %d: err %v, right value %v", i, err, got == v[i-1])
		}
	}
	_, err := revealRef(e, "api-key@1")
	wantNotFoundNaming(t, "reveal of a version out of the window", err, 1)
	_, err = revealRef(e, "api-key@6")
	wantNotFoundNaming(t, "reveal of a version that never existed", err, 6)

	// Rollback: version 3's value becomes version 6, bound to version 6.
	s, err = e.m.Rollback(as(editor), ns, "api-key", 3, s.Revision)
	if err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if ev := e.lastAudit(); ev.Operation != "Rollback" || ev.Action != rbac.ActionUpdate || ev.Outcome != "allowed" {
		t.Errorf("audit of Rollback: %+v", ev)
	}
	if s.Version != 6 || s.Revoked {
		t.Errorf("after Rollback: version %d revoked %v, want 6, false", s.Version, s.Revoked)
	}
	if got := mustReveal(t, e, "api-key"); got != v[2] {
		t.Error("after Rollback to 3 the current value is not version 3's")
	}
	if got, err := revealRef(e, "api-key@3"); err != nil || got != v[2] {
		t.Errorf("version 3 after the rollback: %v", err)
	}
	if got := versionsSummary(t, e, "api-key"); got != "6c 5 4 3" {
		t.Errorf("Versions after Rollback = %q, want 6c 5 4 3", got)
	}
	md, ct := currentCiphertext(t, e.store.Store, ns, "api-key")
	if ct.Version != 6 || md.History[3].Version != 3 || md.History[3].ValueID == ct.ValueID {
		t.Errorf("the rolled-back value is stored as version %d under %s; want version 6 under a new value ID", ct.Version, ct.ValueID)
	}
	checkStoredIsReferenced(t, e, "api-key")

	// A stale revision changes nothing.
	if _, err := e.m.Rollback(as(editor), ns, "api-key", 4, s.Revision-1); !errors.Is(err, secrets.ErrConflict) {
		t.Errorf("Rollback at a stale revision: %v, want ErrConflict", err)
	}

	// Destroy: the value goes, the version stays listed.
	rev := s.Revision
	s, err = e.m.Destroy(as(editor), ns, "api-key", 4, 0)
	if err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if s.Version != 6 || s.Revision != rev+1 {
		t.Errorf("Destroy returned version %d revision %d, want 6 and %d (a destroy is not a new value)", s.Version, s.Revision, rev+1)
	}
	if ev := e.lastAudit(); ev.Operation != "Destroy" || ev.Action != rbac.ActionDelete || ev.Outcome != "allowed" {
		t.Errorf("audit of Destroy: %+v", ev)
	}
	if got := versionsSummary(t, e, "api-key"); got != "6c 5 4d 3" {
		t.Errorf("Versions after Destroy = %q, want 6c 5 4d 3", got)
	}
	checkStoredIsReferenced(t, e, "api-key")
	if n := len(keptIDs(t, e, "api-key")); n != 3 {
		t.Errorf("%d ciphertexts after Destroy, want 3", n)
	}
	_, err = revealRef(e, "api-key@4")
	wantNotFoundNaming(t, "reveal of a destroyed version", err, 4)
	_, err = e.m.Destroy(as(editor), ns, "api-key", 4, 0)
	wantNotFoundNaming(t, "Destroy of a destroyed version", err, 4)
	_, err = e.m.Rollback(as(editor), ns, "api-key", 4, 0)
	wantNotFoundNaming(t, "Rollback to a destroyed version", err, 4)
	if _, err := e.m.Destroy(as(editor), ns, "api-key", 6, 0); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Errorf("Destroy of the current version: %v, want ErrFailedPrecondition", err)
	}
	if _, err := e.m.Rollback(as(editor), ns, "api-key", 6, 0); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Errorf("Rollback to the current version: %v, want ErrFailedPrecondition", err)
	}

	// Revoke drops the current value only; a rollback restores a kept one.
	if _, err := e.m.Revoke(as(editor), ns, "api-key", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := revealRef(e, "api-key"); !errors.Is(err, secrets.ErrRevoked) {
		t.Errorf("reveal after Revoke: %v, want ErrRevoked", err)
	}
	_, err = revealRef(e, "api-key@6")
	wantNotFoundNaming(t, "pinned reveal of the revoked version", err, 6)
	if got, err := revealRef(e, "api-key@5"); err != nil || got != v[4] {
		t.Errorf("a kept version after Revoke: %v", err)
	}
	if got := versionsSummary(t, e, "api-key"); got != "6cr 5 4d 3" {
		t.Errorf("Versions after Revoke = %q, want 6cr 5 4d 3", got)
	}
	s, err = e.m.Rollback(as(editor), ns, "api-key", 5, 0)
	if err != nil || s.Revoked || s.Version != 7 {
		t.Fatalf("Rollback of a revoked secret: %+v, %v", s, err)
	}
	if got := mustReveal(t, e, "api-key"); got != v[4] {
		t.Error("after Rollback to 5 the current value is not version 5's")
	}
	if got := versionsSummary(t, e, "api-key"); got != "7c 6r 5 4d" {
		t.Errorf("Versions after the second Rollback = %q, want 7c 6r 5 4d", got)
	}
	checkStoredIsReferenced(t, e, "api-key")

	// A smaller window drops what falls out; a larger one keeps more.
	s.KeepVersions = 1
	s, err = e.m.Update(as(editor), ns, s)
	if err != nil {
		t.Fatalf("Update keeping 1: %v", err)
	}
	if s.KeepVersions != 1 {
		t.Errorf("Update returned KeepVersions %d, want 1", s.KeepVersions)
	}
	if got := versionsSummary(t, e, "api-key"); got != "7c 6r" {
		t.Errorf("Versions keeping 1 = %q, want 7c 6r", got)
	}
	checkStoredIsReferenced(t, e, "api-key")
	if n := len(keptIDs(t, e, "api-key")); n != 1 {
		t.Errorf("%d ciphertexts keeping 1 with the previous value revoked, want 1", n)
	}
	_, err = revealRef(e, "api-key@5")
	wantNotFoundNaming(t, "reveal of a version the smaller window dropped", err, 5)

	// Delete removes every ciphertext of the name.
	if err := e.m.Delete(as(editor), ns, "api-key", 0); err != nil {
		t.Fatal(err)
	}
	if ids := keptIDs(t, e, "api-key"); len(ids) != 0 {
		t.Errorf("%d ciphertexts after Delete, want none", len(ids))
	}
	checkConsistent(t, e.store.Store, ns)
}

// TestHistoryDefaults: Options.KeepVersions is the default of new secrets,
// Spec.KeepVersions overrides it, and without history a reset drops the
// old value (today's behaviour).
func TestHistoryDefaults(t *testing.T) { forAllBackends(t, testHistoryDefaults) }

func testHistoryDefaults(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{KeepVersions: 2})
	s := mustCreate(t, e, "default", uniqueValue(), nil)
	if s.KeepVersions != 2 {
		t.Errorf("KeepVersions of a new secret = %d, want Options.KeepVersions 2", s.KeepVersions)
	}
	s = createKept(t, e, "none", 0, uniqueValue(), uniqueValue(), uniqueValue())
	if s.KeepVersions != 0 {
		t.Errorf("Spec.KeepVersions 0 gave %d", s.KeepVersions)
	}
	if got := versionsSummary(t, e, "none"); got != "3c" {
		t.Errorf("Versions without history = %q, want 3c", got)
	}
	if n := len(keptIDs(t, e, "none")); n != 1 {
		t.Errorf("%d ciphertexts without history, want 1", n)
	}
	_, err := revealRef(e, "none@2")
	wantNotFoundNaming(t, "reveal of an earlier version without history", err, 2)
	_, err = e.m.Rollback(as(editor), ns, "none", 2, 0)
	wantNotFoundNaming(t, "Rollback without history", err, 2)
	got, err := e.m.Get(as(editor), ns, "default")
	if err != nil || got.KeepVersions != 2 {
		t.Errorf("Get: keep %d, %v", got.KeepVersions, err)
	}
	if _, err := secrets.New(secrets.Options{Store: e.store.Store, Keeper: e.keeper, KeepVersions: secrets.MaxKeepVersions + 1}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("New with KeepVersions 101: %v, want ErrInvalid", err)
	}
	if _, err := secrets.New(secrets.Options{Store: e.store.Store, Keeper: e.keeper, KeepVersions: -1}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("New with KeepVersions -1: %v, want ErrInvalid", err)
	}
}

// TestHistoryLegacyMetadata: a secret stored before value history (no
// History in its metadata) lists its current version, and starts keeping
// values once its window is widened.
func TestHistoryLegacyMetadata(t *testing.T) {
	e := newEnv(t, "sqlite", secrets.Options{})
	mustCreate(t, e, "old", uniqueValue(), nil)
	if _, err := e.m.Reset(as(editor), ns, "old", secrets.NewValue(uniqueValue()), 0); err != nil {
		t.Fatal(err)
	}
	md, err := e.store.GetMetadata(context.Background(), ns, "old")
	if err != nil {
		t.Fatal(err)
	}
	md.History = nil // as written before history
	if _, err := e.store.UpdateMetadata(context.Background(), md); err != nil {
		t.Fatal(err)
	}
	if got := versionsSummary(t, e, "old"); got != "2c" {
		t.Errorf("Versions of legacy metadata = %q, want 2c", got)
	}
	s, err := e.m.Get(as(editor), ns, "old")
	if err != nil {
		t.Fatal(err)
	}
	s.KeepVersions = 2
	if _, err := e.m.Update(as(editor), ns, s); err != nil {
		t.Fatal(err)
	}
	v3 := uniqueValue()
	if _, err := e.m.Reset(as(editor), ns, "old", secrets.NewValue(v3), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Reset(as(editor), ns, "old", secrets.NewValue(uniqueValue()), 0); err != nil {
		t.Fatal(err)
	}
	if got := versionsSummary(t, e, "old"); got != "4c 3 2" {
		t.Errorf("Versions after widening = %q, want 4c 3 2", got)
	}
	if got, err := revealRef(e, "old@3"); err != nil || got != v3 {
		t.Errorf("reveal of version 3: %v", err)
	}
	checkStoredIsReferenced(t, e, "old")
}

func TestHistoryBadInput(t *testing.T) { forEachBackend(t, testHistoryBadInput) }

func testHistoryBadInput(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	createKept(t, e, "s", 2, uniqueValue(), uniqueValue(), uniqueValue(), uniqueValue(), uniqueValue())
	before := allMetadata(t, e.store.Store, ns)
	beforeCT := storedCiphertexts(t, e.store.Store, ns)
	for _, v := range []int64{0, -1} {
		if _, err := e.m.Rollback(as(editor), ns, "s", v, 0); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("Rollback to version %d: %v, want ErrInvalid", v, err)
		}
		if _, err := e.m.Destroy(as(editor), ns, "s", v, 0); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("Destroy of version %d: %v, want ErrInvalid", v, err)
		}
	}
	for _, v := range []int64{1, 2, 6, 99} { // fell out of the window (keeps 3..5), never existed
		_, err := e.m.Rollback(as(editor), ns, "s", v, 0)
		wantNotFoundNaming(t, fmt.Sprintf("Rollback to version %d", v), err, v)
		_, err = e.m.Destroy(as(editor), ns, "s", v, 0)
		wantNotFoundNaming(t, fmt.Sprintf("Destroy of version %d", v), err, v)
		_, err = revealRef(e, fmt.Sprintf("s@%d", v))
		wantNotFoundNaming(t, fmt.Sprintf("reveal of version %d", v), err, v)
	}
	if _, err := e.m.Rollback(as(editor), ns, "s", 3, -1); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("Rollback at revision -1: %v, want ErrInvalid", err)
	}
	if _, err := e.m.Rollback(as(editor), ns, "missing", 1, 0); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Rollback of a missing secret: %v", err)
	}
	if _, err := e.m.Versions(as(editor), ns, "missing"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Versions of a missing secret: %v", err)
	}
	if _, err := e.m.Versions(as(editor), ns, "bad name"); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("Versions of a bad name: %v", err)
	}
	for _, ref := range []string{"s@01", "s@", "s@x", "s@0", "s@-1", "s@+1", "s@1.0", "s@ 3", "s@3@4", "@3", "s@99999999999999999999", "bad name@3"} {
		_, err := revealRef(e, ref)
		if !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("reveal of %q: %v, want ErrInvalid", ref, err)
		}
	}
	if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "big", Value: secrets.NewValue(uniqueValue()), KeepVersions: keep(secrets.MaxKeepVersions + 1)}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("Create keeping 101: %v, want ErrInvalid", err)
	}
	s, err := e.m.Get(as(editor), ns, "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{-1, secrets.MaxKeepVersions + 1} {
		s.KeepVersions = k
		if _, err := e.m.Update(as(editor), ns, s); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("Update keeping %d: %v, want ErrInvalid", k, err)
		}
	}
	if d := cmp.Diff(before, allMetadata(t, e.store.Store, ns)); d != "" {
		t.Errorf("bad input changed the metadata (-before +after):\n%s", d)
	}
	if d := cmp.Diff(beforeCT, storedCiphertexts(t, e.store.Store, ns)); d != "" {
		t.Errorf("bad input changed the ciphertexts (-before +after):\n%s", d)
	}
}

// TestHistoryAuthorization: Versions is a read, Rollback an update,
// Destroy (and a smaller window that drops kept values) a delete, and a
// pinned reveal is authorized like any reveal.
func TestHistoryAuthorization(t *testing.T) { forEachBackend(t, testHistoryAuthorization) }

func testHistoryAuthorization(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	role := func(id string, roles ...rbac.Role) context.Context {
		return as(rbac.Principal{Kind: rbac.KindUser, ID: id, Namespace: ns, Roles: roles})
	}
	reader := role("reader", rbac.RoleSecureValuesReader)
	updater := role("updater", rbac.RoleUpdater)
	readUpdater := role("read-updater", rbac.RoleSecureValuesReader, rbac.RoleUpdater)
	deleter := role("deleter", rbac.RoleDeleter)
	createKept(t, e, "s", 3, uniqueValue(), uniqueValue(), uniqueValue())

	denied := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, secrets.ErrPermissionDenied) {
			t.Errorf("%s: %v, want ErrPermissionDenied", what, err)
		}
	}
	_, err := e.m.Versions(updater, ns, "s")
	denied("Versions by an updater", err)
	_, err = e.m.Versions(as(viewer), ns, "s")
	denied("Versions by a viewer", err)
	if _, err := e.m.Versions(reader, ns, "s"); err != nil {
		t.Errorf("Versions by a reader: %v", err)
	}
	_, err = e.m.Rollback(reader, ns, "s", 1, 0)
	denied("Rollback by a reader", err)
	_, err = e.m.Rollback(deleter, ns, "s", 1, 0)
	denied("Rollback by a deleter", err)
	_, err = e.m.Destroy(updater, ns, "s", 1, 0)
	denied("Destroy by an updater", err)
	_, err = e.m.Destroy(reader, ns, "s", 1, 0)
	denied("Destroy by a reader", err)
	if ev := e.lastAudit(); ev.Operation != "Destroy" || ev.Outcome != "denied" {
		t.Errorf("audit of a denied Destroy: %+v", ev)
	}
	if got := versionsSummary(t, e, "s"); got != "3c 2 1" {
		t.Fatalf("denied calls changed the history: %q", got)
	}
	// Pinned reveal: decrypters only.
	_, err = e.m.RevealValue(as(editor), ns, "s@2")
	denied("pinned reveal by an editor", err)
	_, err = e.m.RevealValue(as(other), ns, "s@2")
	if !errors.Is(err, secrets.ErrPermissionDenied) && !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("pinned reveal by a service not listed: %v", err)
	}
	if _, err := revealRef(e, "s@2"); err != nil {
		t.Errorf("pinned reveal by the runner: %v", err)
	}

	// An updater rolls back; without read it sees the trimmed result.
	s, err := e.m.Rollback(updater, ns, "s", 1, 0)
	if err != nil || s.Version != 4 {
		t.Fatalf("Rollback by an updater: %+v, %v", s, err)
	}
	if s.Description != "" || s.Decrypters != nil {
		t.Errorf("an updater without read sees %+v", s)
	}
	// A caller without read gets not found for a version it may not see
	// exist, as for a missing secret.
	_, err = e.m.Rollback(updater, ns, "s", 99, 0)
	if !errors.Is(err, secrets.ErrNotFound) || strings.Contains(err.Error(), "99") {
		t.Errorf("Rollback to a missing version by an updater without read: %v, want the plain not found", err)
	}
	if _, err := e.m.Destroy(deleter, ns, "s", 1, 0); err != nil {
		t.Errorf("Destroy by a deleter: %v", err)
	}
	// A smaller window destroys kept values: update alone is not enough.
	cur, err := e.m.Get(reader, ns, "s")
	if err != nil {
		t.Fatal(err)
	}
	cur.KeepVersions = 0
	_, err = e.m.Update(readUpdater, ns, cur)
	denied("a window shrunk by an updater without delete", err)
	if got := versionsSummary(t, e, "s"); got != "4c 3 2 1d" {
		t.Errorf("a refused shrink changed the history: %q", got)
	}
	cur.KeepVersions = 5 // growing drops nothing
	if cur, err = e.m.Update(readUpdater, ns, cur); err != nil {
		t.Errorf("a window grown by an updater: %v", err)
	}
	cur.KeepVersions = 0
	if _, err := e.m.Update(as(editor), ns, cur); err != nil {
		t.Errorf("a window shrunk by an editor: %v", err)
	}
	if got := versionsSummary(t, e, "s"); got != "4c" {
		t.Errorf("Versions after the shrink = %q, want 4c", got)
	}
	checkStoredIsReferenced(t, e, "s")
}

// TestHistoryCrashLeavesNoExtraValues: a reset, rollback, destroy or
// smaller window with history on, failing or crashing at each store call,
// leaves no metadata pointing at a missing value, and after garbage
// collection no ciphertext the metadata does not reference.
func TestHistoryCrashLeavesNoExtraValues(t *testing.T) { forEachBackend(t, testHistoryCrash) }

func testHistoryCrash(t *testing.T, backend string) {
	writes := []struct {
		name string
		run  func(e *env) error
	}{
		{"Reset", func(e *env) error {
			_, err := e.m.Reset(as(editor), ns, "victim", secrets.NewValue(uniqueValue()), 0)
			return err
		}},
		{"Rollback", func(e *env) error { _, err := e.m.Rollback(as(editor), ns, "victim", 2, 0); return err }},
		{"Destroy", func(e *env) error { _, err := e.m.Destroy(as(editor), ns, "victim", 2, 0); return err }},
		{"Shrink", func(e *env) error {
			s, err := e.m.Get(as(editor), ns, "victim")
			if err != nil {
				return err
			}
			s.KeepVersions = 0
			_, err = e.m.Update(as(editor), ns, s)
			return err
		}},
	}
	for _, w := range writes {
		for _, mode := range []string{"fail", "crash"} {
			for step := 1; step <= 5; step++ {
				t.Run(fmt.Sprintf("%s/%s-at-call-%d", w.name, mode, step), func(t *testing.T) {
					e := newEnv(t, backend, secrets.Options{})
					// Version 3 keeping 2: the window is full, so a reset
					// or rollback lets version 1 fall out.
					createKept(t, e, "victim", 2, uniqueValue(), uniqueValue(), uniqueValue())
					if mode == "crash" {
						e.store.In.CrashAfter(step - 1)
					} else {
						e.store.In.FailNth("", step, nil)
					}
					err := w.run(e)
					e.store.In.Reset()
					if err != nil && !errors.Is(err, secrets.ErrUnavailable) {
						t.Fatalf("failed %s returned %v, want ErrUnavailable", w.name, err)
					}
					checkConsistent(t, e.store.Store, ns)
					// Every value the history references is stored.
					stored := keptIDs(t, e, "victim")
					for _, id := range referencedIDs(t, e, "victim") {
						if !slices.Contains(stored, id) {
							t.Fatalf("the history references %s, which is not stored", id)
						}
					}
					if _, err := e.m.CollectGarbage(as(editor), ns, -1); err != nil {
						t.Fatal(err)
					}
					checkStoredIsReferenced(t, e, "victim")
					// The kept versions all reveal.
					vs, err := e.m.Versions(as(editor), ns, "victim")
					if err != nil {
						t.Fatal(err)
					}
					for _, v := range vs {
						if v.Revoked || v.Destroyed {
							continue
						}
						if _, err := revealRef(e, fmt.Sprintf("victim@%d", v.Version)); err != nil {
							t.Errorf("version %d after a failed %s: %v", v.Version, w.name, err)
						}
					}
				})
			}
		}
	}
}

// TestGarbageCollectionKeepsKeptValues: kept values are live, a
// ciphertext of the name the history does not reference is an orphan.
func TestGarbageCollectionKeepsKeptValues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, secrets.Options{})
		createKept(t, e, "s", 3, uniqueValue(), uniqueValue(), uniqueValue())
		orphan := &storage.Ciphertext{Namespace: ns, Name: "s", ValueID: "0123456789abcdef0123456789abcdef", Version: 2, Data: []byte("x")}
		if err := e.store.PutCiphertext(context.Background(), orphan); err != nil {
			t.Fatal(err)
		}
		n, err := e.m.CollectGarbage(as(editor), ns, -1)
		if err != nil || n != 1 {
			t.Fatalf("CollectGarbage = %d, %v; want the one orphan", n, err)
		}
		checkStoredIsReferenced(t, e, "s")
		if got := versionsSummary(t, e, "s"); got != "3c 2 1" {
			t.Errorf("Versions after GC = %q", got)
		}
		for _, ref := range []string{"s@1", "s@2", "s@3"} {
			if _, err := revealRef(e, ref); err != nil {
				t.Errorf("reveal of %s after GC: %v", ref, err)
			}
		}
	})
}
