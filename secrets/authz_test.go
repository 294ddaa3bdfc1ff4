package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/strongbox-go/strongbox/internal/names"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

var (
	updaterOnly   = rbac.Principal{Kind: rbac.KindUser, ID: "upd", Namespace: ns, Roles: []rbac.Role{rbac.RoleUpdater}}
	updaterReader = rbac.Principal{Kind: rbac.KindUser, ID: "upd-r", Namespace: ns, Roles: []rbac.Role{rbac.RoleUpdater, rbac.RoleSecureValuesReader}}
	deleterOnly   = rbac.Principal{Kind: rbac.KindUser, ID: "del", Namespace: ns, Roles: []rbac.Role{rbac.RoleDeleter}}
	evilSvc       = rbac.Principal{Kind: rbac.KindService, ID: "evil-svc", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}}
	readingSvc    = rbac.Principal{Kind: rbac.KindService, ID: "reading-svc", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter, rbac.RoleSecureValuesReader}}
)

// TestUpdaterCannotGrantDecrypt: a principal holding only Secure Values
// Updater must not add a service identity it controls to a secret's
// decrypters and reveal through it (issue #11 item 8). Changing the
// decrypters of a stored value needs ActionSetDecrypters (Admin, Editor),
// and is audited with the ids before and after.
func TestUpdaterCannotGrantDecrypt(t *testing.T) { forEachBackend(t, testUpdaterCannotGrantDecrypt) }

func testUpdaterCannotGrantDecrypt(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	value := uniqueValue()
	created := mustCreate(t, e, "api-key", value, nil) // decrypters: runner

	for _, p := range []rbac.Principal{updaterOnly, updaterReader} {
		t.Run(p.ID, func(t *testing.T) {
			_, err := e.m.Update(as(p), ns, &secrets.Secret{Name: "api-key", Revision: created.Revision,
				Decrypters: []string{runner.ID, evilSvc.ID}})
			if err == nil {
				t.Fatal("an Updater added a decrypter")
			}
			// The updater without read must not learn that the secret
			// exists (item 9); the one with read is told why.
			want := secrets.ErrNotFound
			if p.ID == updaterReader.ID {
				want = secrets.ErrPermissionDenied
			}
			if !errors.Is(err, want) {
				t.Errorf("Update = %v, want %v", err, want)
			}
			got := e.lastAudit()
			wantAudit := rbac.AuditEvent{
				Principal: p.String(), Namespace: ns, Action: rbac.ActionSetDecrypters, Operation: "Update",
				Names: []string{"api-key"}, Outcome: "denied", Code: "permission denied",
				DecryptersBefore: []string{runner.ID}, DecryptersAfter: []string{runner.ID, evilSvc.ID},
			}
			got.Time = wantAudit.Time
			if d := cmp.Diff(wantAudit, got); d != "" {
				t.Errorf("audit (-want +got):\n%s", d)
			}
			if _, err := e.m.RevealValue(as(evilSvc), ns, "api-key"); err == nil {
				t.Fatal("evil-svc revealed the value")
			}
		})
	}
	cur, err := e.m.Get(as(editor), ns, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{runner.ID}, cur.Decrypters); d != "" || cur.Revision != created.Revision {
		t.Fatalf("denied updates changed the secret: revision %d, decrypters (-want +got):\n%s", cur.Revision, d)
	}

	// An Updater may still update what it may: description and labels,
	// with the same decrypters (in any order).
	cur.Description, cur.Decrypters = "rotated monthly", []string{runner.ID}
	if cur, err = e.m.Update(as(updaterReader), ns, cur); err != nil {
		t.Fatalf("Updater changing only the description: %v", err)
	}
	if a := e.lastAudit(); a.Action != rbac.ActionUpdate || a.DecryptersBefore != nil || a.DecryptersAfter != nil {
		t.Errorf("audit of an update that keeps the decrypters = %+v", a)
	}
	// An Editor may grant, and the grant is audited before and after.
	cur.Decrypters = []string{evilSvc.ID, runner.ID}
	if _, err = e.m.Update(as(editor), ns, cur); err != nil {
		t.Fatalf("Editor changing decrypters: %v", err)
	}
	a := e.lastAudit()
	if a.Action != rbac.ActionSetDecrypters || a.Outcome != "allowed" ||
		!slices.Equal(a.DecryptersBefore, []string{runner.ID}) || !slices.Equal(a.DecryptersAfter, cur.Decrypters) {
		t.Errorf("audit of a granted change = %+v", a)
	}
	if got, err := e.m.RevealValue(as(evilSvc), ns, "api-key"); err != nil || got.DangerouslyExpose() != value {
		t.Fatalf("granted decrypter: %v", err)
	}
	// A Creator supplies the value, so it chooses the decrypters.
	creator := rbac.Principal{Kind: rbac.KindUser, ID: "c", Namespace: ns, Roles: []rbac.Role{rbac.RoleCreator}}
	if _, err := e.m.Create(as(creator), ns, secrets.Spec{Name: "own", Value: secrets.NewValue(uniqueValue()), Decrypters: []string{evilSvc.ID}}); err != nil {
		t.Fatalf("Creator setting decrypters on its own value: %v", err)
	}
	if a := e.lastAudit(); !slices.Equal(a.DecryptersAfter, []string{evilSvc.ID}) || a.DecryptersBefore != nil {
		t.Errorf("audit of Create = %+v, want the decrypters after", a)
	}
}

// TestExistenceHiddenFromCallersWithoutRead: a caller that may not read the
// namespace gets the same ErrNotFound, with the same message, for a
// missing secret as for one it may not touch: not a decrypter, a stale
// revision, a decrypters change (issue #11 item 9). Callers with read get
// the precise code; the audit records the real one.
func TestExistenceHiddenFromCallersWithoutRead(t *testing.T) {
	forEachBackend(t, testExistenceHiddenFromCallersWithoutRead)
}

func testExistenceHiddenFromCallersWithoutRead(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	s := mustCreate(t, e, "exists", uniqueValue(), nil) // decrypters: runner
	stale := s.Revision + 7
	v := secrets.NewValue(uniqueValue())
	tests := []struct {
		name string
		p    rbac.Principal
		call func(p rbac.Principal, name string) error
		// wantExisting is the code for "exists" when the caller may read.
		wantExisting error
		auditCode    string
	}{
		{"reveal by a service not listed", other, func(p rbac.Principal, name string) error {
			_, err := e.m.RevealValue(as(p), ns, name)
			return err
		}, nil, "permission denied"},
		{"update at a stale revision", updaterOnly, func(p rbac.Principal, name string) error {
			_, err := e.m.Update(as(p), ns, &secrets.Secret{Name: name, Revision: stale, Decrypters: []string{runner.ID}})
			return err
		}, nil, "conflict"},
		{"update changing decrypters", updaterOnly, func(p rbac.Principal, name string) error {
			_, err := e.m.Update(as(p), ns, &secrets.Secret{Name: name, Revision: s.Revision})
			return err
		}, nil, "permission denied"},
		{"reset at a stale revision", updaterOnly, func(p rbac.Principal, name string) error {
			_, err := e.m.Reset(as(p), ns, name, v, stale)
			return err
		}, nil, "conflict"},
		{"revoke at a stale revision", updaterOnly, func(p rbac.Principal, name string) error {
			_, err := e.m.Revoke(as(p), ns, name, stale)
			return err
		}, nil, "conflict"},
		{"delete at a stale revision", deleterOnly, func(p rbac.Principal, name string) error {
			return e.m.Delete(as(p), ns, name, stale)
		}, nil, "conflict"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errExisting := tc.call(tc.p, "exists")
			if a := e.lastAudit(); a.Code != tc.auditCode {
				t.Errorf("audit code %q, want the real one %q", a.Code, tc.auditCode)
			}
			errMissing := tc.call(tc.p, "missing")
			for _, err := range []error{errExisting, errMissing} {
				if !errors.Is(err, secrets.ErrNotFound) {
					t.Errorf("err = %v, want ErrNotFound", err)
				}
			}
			if errExisting == nil || errMissing == nil {
				return
			}
			a, b := strings.ReplaceAll(errExisting.Error(), "exists", "NAME"), strings.ReplaceAll(errMissing.Error(), "missing", "NAME")
			if a != b {
				t.Errorf("messages differ:\n existing: %s\n missing:  %s", errExisting, errMissing)
			}
			if strings.Contains(a, "revision") {
				t.Errorf("message %q tells a caller without read about revisions", a)
			}
		})
	}
	// Callers that may read learn the truth.
	if _, err := e.m.RevealValue(as(readingSvc), ns, "exists"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("reveal by a reading service not listed = %v, want ErrPermissionDenied", err)
	}
	if _, err := e.m.Reset(as(updaterReader), ns, "exists", v, stale); !errors.Is(err, secrets.ErrConflict) {
		t.Errorf("reset at a stale revision by a reader = %v, want ErrConflict", err)
	}
	if cur, err := e.m.Get(as(editor), ns, "exists"); err != nil || cur.Revision != s.Revision {
		t.Fatalf("refused calls changed the secret: %v, %+v", err, cur)
	}
}

// TestAuditDoesNotEchoInvalidName: names and namespaces that fail
// validation reach the audit as a length and a hash, never as sent
// (issue #11 item 10): a newline or an escape forges audit lines, and a
// value pasted into the name field would be written out.
func TestAuditDoesNotEchoInvalidName(t *testing.T) {
	e := newEnv(t, "docstore", secrets.Options{})
	pasted := uniqueValue()
	bad := []string{"x\nforged audit line", "\x1b[2K" + pasted, pasted + " ", strings.Repeat("n", 300) + pasted}
	for _, name := range bad {
		calls := map[string]func(){
			"Get":    func() { _, _ = e.m.Get(as(editor), ns, name) },
			"Reveal": func() { _, _ = e.m.Reveal(as(runner), ns, name) },
			"Create": func() {
				_, _ = e.m.Create(as(editor), ns, secrets.Spec{Name: name, Value: secrets.NewValue(uniqueValue())})
			},
			"denied Get": func() { _, _ = e.m.Get(as(viewer), ns, name) },
			"namespace":  func() { _, _ = e.m.Get(as(editor), name, "api-key") },
		}
		for cname, call := range calls {
			t.Run(cname, func(t *testing.T) {
				call()
				a := e.lastAudit()
				fields := append([]string{a.Namespace, a.Principal}, a.Names...)
				for _, f := range fields {
					if f == name || strings.Contains(f, pasted) || strings.ContainsAny(f, "\n\x1b") || len(f) > 253 {
						t.Errorf("audit %+v echoes the rejected input", a)
					}
				}
				if !slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, "invalid ") }) {
					t.Errorf("audit %+v does not describe the rejected input", a)
				}
			})
		}
	}
	// A Reveal of too many names records at most maxRevealNames of them.
	names := make([]string, 5*secrets.MaxRevealNames)
	for i := range names {
		names[i] = "n"
	}
	_, _ = e.m.Reveal(as(runner), ns, names...)
	if a := e.lastAudit(); len(a.Names) > secrets.MaxRevealNames {
		t.Errorf("audit holds %d names", len(a.Names))
	}
}

// TestErrorsDoNotQuoteRejectedDecrypters: an error names the position and
// the rule a rejected entry breaks, never the entry (issue #11 item 10).
func TestErrorsDoNotQuoteRejectedDecrypters(t *testing.T) {
	const marker = "Zq7pasted"
	long := strings.Repeat("k", 70) + marker
	tests := []struct {
		name string
		err  error
	}{
		{"duplicate decrypter", secrets.Validate(secrets.Spec{Decrypters: []string{"svc-" + marker, "svc-" + marker}})},
		{"decrypter with newline", secrets.Validate(secrets.Spec{Decrypters: []string{"svc\n" + marker}})},
		{"long decrypter", secrets.Validate(secrets.Spec{Decrypters: []string{strings.Repeat("d", 300) + marker}})},
		{"long label key", secrets.Validate(secrets.Spec{Labels: map[string]string{long: "v"}})},
		{"bad label key", secrets.Validate(secrets.Spec{Labels: map[string]string{"k " + marker: "v"}})},
		{"bad label value", secrets.Validate(secrets.Spec{Labels: map[string]string{"env": "v " + marker}})},
		{"long label value", secrets.Validate(secrets.Spec{Labels: map[string]string{"env": long}})},
		{"selector long key", selectorErr(long + "=v")},
		{"selector bad value", selectorErr("env=a b" + marker)},
		{"selector without =", selectorErr("env" + marker)},
		{"name", names.Name("", "n\n"+marker)},
		{"namespace", names.Namespace("", marker+"\x1b")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, secrets.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", tc.err)
			}
			if msg := tc.err.Error(); strings.Contains(msg, marker) || strings.Contains(msg, "kkkk") || strings.ContainsAny(msg, "\n\x1b") {
				t.Errorf("error %q quotes rejected input", msg)
			}
		})
	}
}

func selectorErr(s string) error { _, err := secrets.ParseSelector(s); return err }

// recordingKeeper keeps the plaintext buffers the Manager hands to Encrypt
// and gets back from Decrypt, to check afterwards that they were cleared.
type recordingKeeper struct {
	keeper.Keeper
	mu      sync.Mutex
	buffers [][]byte
}

func (k *recordingKeeper) Encrypt(ctx context.Context, pt, aad []byte) ([]byte, error) {
	k.mu.Lock()
	k.buffers = append(k.buffers, pt)
	k.mu.Unlock()
	return k.Keeper.Encrypt(ctx, pt, aad)
}

func (k *recordingKeeper) Decrypt(ctx context.Context, ct, aad []byte) ([]byte, error) {
	pt, err := k.Keeper.Decrypt(ctx, ct, aad)
	k.mu.Lock()
	k.buffers = append(k.buffers, pt)
	k.mu.Unlock()
	return pt, err
}

// TestPlaintextBuffersCleared: the byte copies of a value that the Manager
// makes for the keeper (Create, Reset) and gets from it (Reveal) are zeroed
// once the Value holds its one copy (issue #11 item 15). The keeper is a
// plain Options.Keeper, no hook: a keeper must not keep these buffers.
func TestPlaintextBuffersCleared(t *testing.T) {
	k := &recordingKeeper{Keeper: newKeeper(t)}
	m, err := secrets.New(secrets.Options{Store: newStore(t, "docstore"), Keeper: k})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v1, v2 := uniqueValue(), uniqueValue()
	if _, err := m.Create(as(editor), ns, secrets.Spec{Name: "api-key", Value: secrets.NewValue(v1), Decrypters: []string{runner.ID}}); err != nil {
		t.Fatal(err)
	}
	if got, err := m.RevealValue(as(runner), ns, "api-key"); err != nil || got.DangerouslyExpose() != v1 {
		t.Fatalf("RevealValue = %v: wrong value", err)
	}
	if _, err := m.Reset(as(editor), ns, "api-key", secrets.NewValue(v2), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := m.RevealValue(as(runner), ns, "api-key"); err != nil || got.DangerouslyExpose() != v2 {
		t.Fatalf("RevealValue after Reset = %v: wrong value", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.buffers) != 4 {
		t.Fatalf("keeper saw %d plaintext buffers, want 4", len(k.buffers))
	}
	for i, b := range k.buffers {
		if len(b) == 0 || !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("buffer %d (%d bytes) was not cleared", i, len(b))
		}
	}
}

// TestWritesShowNoMoreThanReadAllows: an Updater without read learns from a
// successful Reset or Revoke what its write decided, not the metadata Get
// would refuse it (issue #11 item 9: Reset at revision 0 would otherwise
// read out description, labels and decrypters).
func TestWritesShowNoMoreThanReadAllows(t *testing.T) {
	forEachBackend(t, testWritesShowNoMoreThanReadAllows)
}

func testWritesShowNoMoreThanReadAllows(t *testing.T, backend string) {
	e := newEnv(t, backend, secrets.Options{})
	if _, err := e.m.Create(as(editor), ns, secrets.Spec{Name: "meta", Description: "private notes",
		Labels: map[string]string{"team": "payments"}, Value: secrets.NewValue(uniqueValue()),
		Decrypters: []string{runner.ID}}); err != nil {
		t.Fatal(err)
	}
	hidden := func(t *testing.T, s *secrets.Secret) {
		t.Helper()
		if s.Description != "" || s.Labels != nil || s.Decrypters != nil || s.CreatedBy != "" || !s.CreateTime.IsZero() {
			t.Errorf("a caller without read got metadata it may not Get: %+v", s)
		}
		if s.Name != "meta" || s.Revision == 0 || s.Version == 0 {
			t.Errorf("the result lacks what the write decided: %+v", s)
		}
	}
	reset, err := e.m.Reset(as(updaterOnly), ns, "meta", secrets.NewValue(uniqueValue()), 0)
	if err != nil {
		t.Fatal(err)
	}
	hidden(t, reset)
	revoked, err := e.m.Revoke(as(updaterOnly), ns, "meta", reset.Revision)
	if err != nil {
		t.Fatal(err)
	}
	hidden(t, revoked)
	if !revoked.Revoked {
		t.Error("Revoke's result does not say revoked")
	}
	full, err := e.m.Reset(as(updaterReader), ns, "meta", secrets.NewValue(uniqueValue()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if full.Description != "private notes" || full.Labels["team"] != "payments" {
		t.Errorf("a caller with read lost metadata: %+v", full)
	}
}
