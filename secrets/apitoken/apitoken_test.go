package apitoken_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/apitoken/apitokentest"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

func TestMemoryStoreConformance(t *testing.T) {
	apitokentest.RunConformance(t, func(*testing.T) apitoken.Store { return apitoken.NewMemoryStore() })
}

// auditLog collects the Manager's audit events.
type auditLog struct {
	mu sync.Mutex
	ev []rbac.AuditEvent
}

func (a *auditLog) Audit(_ context.Context, e rbac.AuditEvent) {
	leakcheck.Checkf("audit event", e)
	a.mu.Lock()
	a.ev = append(a.ev, e)
	a.mu.Unlock()
}

func (a *auditLog) last() rbac.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.ev) == 0 {
		return rbac.AuditEvent{}
	}
	return a.ev[len(a.ev)-1]
}

type fixture struct {
	toks  *apitoken.Tokens
	store *apitoken.MemoryStore
	audit *auditLog
	now   *time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := docstorage.NewInMemory()
	t.Cleanup(func() { st.Close() })
	kekURL, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(kekURL)
	kp, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kp.Close() })
	f := &fixture{store: apitoken.NewMemoryStore(), audit: &auditLog{}}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.now = &now
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, Auditor: f.audit.Audit, Clock: func() time.Time { return *f.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	f.toks, err = apitoken.New(apitoken.Options{Store: f.store, Guard: m, Now: func() time.Time { return *f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func as(roles ...rbac.Role) context.Context {
	return rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: roles})
}

func TestIssueVerifyRevoke(t *testing.T) {
	f := newFixture(t)
	admin := as(rbac.RoleAdmin)
	tok, rec, err := f.toks.Issue(admin, "team-a", apitoken.Grant{Subject: "ci", Roles: []rbac.Role{rbac.RoleEditor}, TTL: time.Hour, Description: "deploys"})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok.DangerouslyExpose())
	text := tok.DangerouslyExpose()
	if id, ok := apitoken.IDOf(text); !ok || id != rec.ID {
		t.Errorf("IDOf = %q, %v; want %s", id, ok, rec.ID)
	}
	if !strings.HasPrefix(text, apitoken.Prefix) || len(text) != 73 || !strings.Contains(text, "_"+rec.ID+"_") {
		t.Errorf("token has the wrong form (%d bytes, id %s)", len(text), rec.ID)
	}
	want := apitoken.Record{ID: rec.ID, Namespace: "team-a", Subject: "ci", Roles: []rbac.Role{rbac.RoleEditor}, Description: "deploys",
		CreatedBy: "user:team-a/alice", CreatedAt: *f.now, ExpiresAt: f.now.Add(time.Hour), Revision: rec.Revision}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if e := f.audit.last(); e.Operation != "IssueAPIToken" || e.Action != rbac.ActionManageAPITokens || e.Outcome != "allowed" || !cmp.Equal(e.Names, []string{rec.ID}) {
		t.Errorf("audit = %+v", e)
	}
	stored, err := f.store.Get(context.Background(), rec.ID)
	if err != nil || len(stored.Hash) != 32 {
		t.Fatalf("stored record = %+v, %v; want a 32-byte digest", stored, err)
	}
	p, err := f.toks.Verify(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rbac.Principal{Kind: rbac.KindUser, ID: "ci", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}}, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	list, err := f.toks.List(admin, "team-a")
	if err != nil || len(list) != 1 || list[0].Hash != nil || list[0].ID != rec.ID {
		t.Errorf("List = %+v, %v; want the one record without its digest", list, err)
	}
	if err := f.toks.Revoke(admin, "team-a", rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.toks.Verify(context.Background(), text); !errors.Is(err, apitoken.ErrInvalidToken) {
		t.Errorf("Verify after Revoke = %v, want ErrInvalidToken", err)
	}
	if err := f.toks.Revoke(admin, "team-a", rec.ID); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("second Revoke = %v, want ErrNotFound", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t)
	tok, rec, err := f.toks.Issue(as(rbac.RoleAdmin), "team-a", apitoken.Grant{Roles: []rbac.Role{rbac.RoleViewer}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	good := tok.DangerouslyExpose()
	leakcheck.Register(good)
	if rec.Subject != "apitoken-"+rec.ID {
		t.Errorf("default subject = %q", rec.Subject)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name, token string
	}{
		{"empty", ""},
		{"prefix only", apitoken.Prefix},
		{"wrong secret", flip(good, len(good)-1)},
		{"wrong id", flip(good, 5)},
		{"upper case", strings.ToUpper(good)},
		{"truncated", good[:len(good)-1]},
		{"extended", good + "a"},
		{"other prefix", "sbz_" + good[4:]},
		{"separator moved", good[:20] + "a" + good[21:]},
		{"padding", good[:len(good)-2] + "=="},
		{"space", good[:30] + " " + good[31:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.toks.Verify(context.Background(), tc.token)
			if !errors.Is(err, apitoken.ErrInvalidToken) || !errors.Is(err, secrets.ErrPermissionDenied) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
			if strings.Contains(err.Error(), good[21:]) || (len(tc.token) > 8 && strings.Contains(err.Error(), tc.token)) {
				t.Errorf("error quotes the token")
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		*f.now = f.now.Add(time.Hour)
		defer func() { *f.now = f.now.Add(-time.Hour) }()
		if _, err := f.toks.Verify(context.Background(), good); !errors.Is(err, apitoken.ErrExpired) {
			t.Fatalf("Verify at expiry = %v, want ErrExpired", err)
		}
	})
	t.Run("store down", func(t *testing.T) {
		toks, _ := apitoken.New(apitoken.Options{Store: failingStore{}, Guard: guardFunc(nil)})
		_, err := toks.Verify(context.Background(), good)
		if !errors.Is(err, secrets.ErrUnavailable) || errors.Is(err, apitoken.ErrInvalidToken) {
			t.Fatalf("Verify with the store down = %v, want ErrUnavailable", err)
		}
	})
}

type failingStore struct{ apitoken.Store }

func (failingStore) Get(context.Context, string) (apitoken.Record, error) {
	return apitoken.Record{}, errors.New("connection refused")
}
func (failingStore) List(context.Context, string) ([]apitoken.Record, error) {
	return nil, errors.New("connection refused")
}

type guardFunc func(ctx context.Context, ns string, a rbac.Action, op string) (func(error, ...string), error)

func (g guardFunc) Authorize(ctx context.Context, ns string, a rbac.Action, op string) (func(error, ...string), error) {
	return g(ctx, ns, a, op)
}

func TestOnlyAdminsManageTokens(t *testing.T) {
	f := newFixture(t)
	_, rec, err := f.toks.Issue(as(rbac.RoleAdmin), "team-a", apitoken.Grant{Roles: []rbac.Role{rbac.RoleViewer}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		ns   string
	}{
		{"editor", as(rbac.RoleEditor), "team-a"},
		{"test author", as(rbac.RoleTestAuthor), "team-a"},
		{"nobody", context.Background(), "team-a"},
		{"admin of another namespace", as(rbac.RoleAdmin), "team-b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.toks.Issue(tc.ctx, tc.ns, apitoken.Grant{Roles: []rbac.Role{rbac.RoleAdmin}})
			if !errors.Is(err, secrets.ErrPermissionDenied) {
				t.Errorf("Issue = %v, want ErrPermissionDenied", err)
			}
			if e := f.audit.last(); e.Outcome != "denied" || e.Operation != "IssueAPIToken" {
				t.Errorf("denial audit = %+v", e)
			}
			if _, err := f.toks.List(tc.ctx, tc.ns); !errors.Is(err, secrets.ErrPermissionDenied) {
				t.Errorf("List = %v, want ErrPermissionDenied", err)
			}
			if err := f.toks.Revoke(tc.ctx, tc.ns, rec.ID); !errors.Is(err, secrets.ErrPermissionDenied) {
				t.Errorf("Revoke = %v, want ErrPermissionDenied", err)
			}
		})
	}
	if _, err := f.store.Get(context.Background(), rec.ID); err != nil {
		t.Errorf("a refused Revoke removed the token: %v", err)
	}
}

func TestRevokeOtherNamespaceIsNotFound(t *testing.T) {
	f := newFixture(t)
	_, rec, err := f.toks.Issue(as(rbac.RoleAdmin), "team-a", apitoken.Grant{Roles: []rbac.Role{rbac.RoleViewer}})
	if err != nil {
		t.Fatal(err)
	}
	adminB := rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindUser, ID: "bob", Namespace: "team-b", Roles: []rbac.Role{rbac.RoleAdmin}})
	if err := f.toks.Revoke(adminB, "team-b", rec.ID); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Revoke from another namespace = %v, want ErrNotFound", err)
	}
	if list, _ := f.toks.List(adminB, "team-b"); len(list) != 0 {
		t.Errorf("team-b lists team-a's token: %+v", list)
	}
	if err := f.toks.Revoke(as(rbac.RoleAdmin), "team-a", "not an id\n"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Revoke of a malformed id = %v, want ErrNotFound", err)
	}
}

func TestIssueRefusesBadGrants(t *testing.T) {
	f := newFixture(t)
	editor := []rbac.Role{rbac.RoleEditor}
	many := make([]rbac.Role, 17)
	for i := range many {
		many[i] = rbac.Role("r" + strings.Repeat("x", i))
	}
	for _, tc := range []struct {
		name string
		g    apitoken.Grant
	}{
		{"no roles", apitoken.Grant{}},
		{"too many roles", apitoken.Grant{Roles: many}},
		{"decrypter", apitoken.Grant{Roles: []rbac.Role{rbac.RoleDecrypter}}},
		{"duplicate role", apitoken.Grant{Roles: []rbac.Role{rbac.RoleEditor, rbac.RoleEditor}}},
		{"empty role", apitoken.Grant{Roles: []rbac.Role{""}}},
		{"ttl too long", apitoken.Grant{Roles: editor, TTL: apitoken.DefaultMaxTTL + time.Hour}},
		{"ttl negative", apitoken.Grant{Roles: editor, TTL: -time.Hour}},
		{"subject with newline", apitoken.Grant{Roles: editor, Subject: "ci\nadmin"}},
		{"description with escape", apitoken.Grant{Roles: editor, Description: "\x1b[2J"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, _, err := f.toks.Issue(as(rbac.RoleAdmin), "team-a", tc.g)
			if !errors.Is(err, secrets.ErrInvalid) || tok.Len() != 0 {
				t.Fatalf("Issue = %v, want ErrInvalid and no token", err)
			}
			if e := f.audit.last(); e.Outcome != "failed" || e.Code != "invalid" {
				t.Errorf("audit = %+v", e)
			}
		})
	}
	if recs, _ := f.store.List(context.Background(), ""); len(recs) != 0 {
		t.Errorf("refused grants stored %d records", len(recs))
	}
}

func TestBootstrapOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, rec, err := f.toks.Bootstrap(ctx, "default")
	if err != nil || rec == nil {
		t.Fatalf("Bootstrap = %v, %v; want a token", rec, err)
	}
	leakcheck.Register(tok.DangerouslyExpose())
	p, err := f.toks.Verify(ctx, tok.DangerouslyExpose())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rbac.Principal{Kind: rbac.KindUser, ID: "admin", Namespace: "default", Roles: []rbac.Role{rbac.RoleAdmin}}, p); diff != "" {
		t.Errorf("bootstrap principal (-want +got):\n%s", diff)
	}
	if rec.CreatedBy != "bootstrap" || !rec.ExpiresAt.Equal(f.now.Add(apitoken.DefaultMaxTTL)) {
		t.Errorf("bootstrap record = %+v", rec)
	}
	again, rec2, err := f.toks.Bootstrap(ctx, "default")
	if err != nil || rec2 != nil || again.Len() != 0 {
		t.Errorf("second Bootstrap = %v, %v, %d-byte token; want nothing", rec2, err, again.Len())
	}
	toks, _ := apitoken.New(apitoken.Options{Store: failingStore{}, Guard: guardFunc(nil)})
	if _, _, err := toks.Bootstrap(ctx, "default"); !errors.Is(err, secrets.ErrInternal) && err == nil {
		t.Errorf("Bootstrap with the store down = %v, want an error", err)
	}
}

func TestNewRequiresStoreAndGuard(t *testing.T) {
	for _, o := range []apitoken.Options{{}, {Store: apitoken.NewMemoryStore()}, {Guard: guardFunc(nil)}} {
		if _, err := apitoken.New(o); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("New(%+v) = %v, want ErrInvalid", o, err)
		}
	}
}

// TestTokenHiddenInEveryRendering: the issued token is a secrets.Value and
// neither it nor the record, the Tokens or a Verify error shows it.
func TestTokenHiddenInEveryRendering(t *testing.T) {
	f := newFixture(t)
	tok, rec, err := f.toks.Issue(as(rbac.RoleAdmin), "team-a", apitoken.Grant{Roles: []rbac.Role{rbac.RoleViewer}})
	if err != nil {
		t.Fatal(err)
	}
	text := tok.DangerouslyExpose()
	secretPart := text[21:]
	leakcheck.CheckRenderings(t, tok, text, secretPart)
	leakcheck.CheckRenderings(t, rec, text, secretPart)
	leakcheck.CheckRenderings(t, f.toks, text, secretPart)
	_, err = f.toks.Verify(context.Background(), text[:len(text)-1]+"2")
	leakcheck.CheckRenderings(t, err, text, secretPart)
}

func FuzzVerify(f *testing.F) {
	store := apitoken.NewMemoryStore()
	toks, _ := apitoken.New(apitoken.Options{Store: store, Guard: guardFunc(nil)})
	tok, _, err := toks.Bootstrap(context.Background(), "ns")
	if err != nil {
		f.Fatal(err)
	}
	good := tok.DangerouslyExpose()
	f.Add(good)
	f.Add(good[:len(good)-1] + "a")
	f.Add("sbx_")
	f.Add("sbx_aaaaaaaaaaaaaaaa_" + strings.Repeat("a", 52))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := toks.Verify(context.Background(), s)
		if (err == nil) != (s == good) {
			t.Fatalf("Verify accepted=%v for a token that is %v the issued one", err == nil, s == good)
		}
		if err == nil && p.ID != "admin" {
			t.Fatalf("principal %v", p)
		}
		if err != nil && len(s) >= 8 && strings.Contains(err.Error(), s) {
			t.Fatal("error quotes the input")
		}
	})
}

func TestFileStoreConformance(t *testing.T) {
	apitokentest.RunConformance(t, func(t *testing.T) apitoken.Store {
		s, err := apitoken.OpenFileStore(filepath.Join(t.TempDir(), "apitokens.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestFileStoreKeepsTokensAcrossRestarts: a token issued (the bootstrap
// one) verifies after the store is reopened, Bootstrap does not issue
// another, the file has mode 0600 and holds the digest, never the token.
func TestFileStoreKeepsTokensAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "apitokens.json")
	open := func() *apitoken.Tokens {
		s, err := apitoken.OpenFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		toks, err := apitoken.New(apitoken.Options{Store: s, Guard: guardFunc(nil)})
		if err != nil {
			t.Fatal(err)
		}
		return toks
	}
	tok, rec, err := open().Bootstrap(ctx, "default")
	if err != nil || rec == nil {
		t.Fatalf("Bootstrap = %v, %v", rec, err)
	}
	text := tok.DangerouslyExpose()
	leakcheck.Register(text)
	again := open()
	if p, err := again.Verify(ctx, text); err != nil || p.ID != "admin" {
		t.Fatalf("Verify after reopening = %v, %v", p, err)
	}
	if _, rec2, err := again.Bootstrap(ctx, "default"); err != nil || rec2 != nil {
		t.Errorf("second Bootstrap = %v, %v; want nothing", rec2, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), text[21:]) || !strings.Contains(string(b), rec.ID) || !strings.Contains(string(b), `"hash"`) {
		t.Errorf("file holds the token or misses the record: %s", b)
	}
	// A revision survives reopening: a stale write still conflicts.
	s, _ := apitoken.OpenFileStore(path)
	got, err := s.Get(ctx, rec.ID)
	if err != nil || got.Revision != rec.Revision {
		t.Fatalf("Get after reopening = %+v, %v; want revision %d", got, err, rec.Revision)
	}
	if err := s.Delete(ctx, rec.ID, rec.Revision+1); !errors.Is(err, secrets.ErrConflict) {
		t.Errorf("stale Delete = %v, want ErrConflict", err)
	}
}

func TestOpenFileStoreRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"newer version":   `{"version":2,"records":[]}`,
		"not json":        `{"version":1,`,
		"duplicate":       `{"version":1,"records":[],"records":[]}`,
		"unknown members": `{"version":1,"records":[],"extra":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := apitoken.OpenFileStore(path); !errors.Is(err, secrets.ErrInvalid) {
				t.Errorf("OpenFileStore = %v, want ErrInvalid", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Errorf("the refused file was rewritten")
			}
		})
	}
	if _, err := apitoken.OpenFileStore(dir); !errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("OpenFileStore(a directory) = %v, want ErrUnavailable", err)
	}
}

func TestFileStoreWriteFailureKeepsMemoryAsFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "apitokens.json") // "sub" does not exist: every save fails
	s, err := apitoken.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, apitoken.Record{ID: "aaaaaaaaaaaaaaaa", Namespace: "ns"})
	if !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("Put with an unwritable file = %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(ctx, "aaaaaaaaaaaaaaaa"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("a record whose save failed is still served: %v", err)
	}
}

// FuzzOpenFileStore: any file content is refused with ErrInvalid or opened
// into a store that lists without error.
func FuzzOpenFileStore(f *testing.F) {
	f.Add(`{"version":1,"records":[{"id":"aaaaaaaaaaaaaaaa","namespace":"ns","subject":"s","roles":["admin"],"createdBy":"x","createdAt":"2026-01-01T00:00:00Z","expiresAt":"2027-01-01T00:00:00Z","hash":"AAAA","revision":3}]}`)
	f.Add(`{"version":1,"records":null}`)
	f.Add(`{"version":2}`)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "f.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := apitoken.OpenFileStore(path)
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("OpenFileStore = %v, want ErrInvalid", err)
			}
			return
		}
		if _, err := s.List(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVerifyDigest: a token known by its id and digest verifies as the
// token does, and is refused once revoked or expired, or with another
// digest or a malformed id.
func TestVerifyDigest(t *testing.T) {
	f := newFixture(t)
	admin := as(rbac.RoleAdmin)
	tok, rec, err := f.toks.Issue(admin, "team-a", apitoken.Grant{Subject: "ci", Roles: []rbac.Role{rbac.RoleEditor}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok.DangerouslyExpose())
	sum := sha256.Sum256([]byte(tok.DangerouslyExpose()))
	ctx := context.Background()
	p, err := f.toks.VerifyDigest(ctx, rec.ID, sum[:])
	if err != nil || p.ID != "ci" || p.Namespace != "team-a" {
		t.Fatalf("VerifyDigest = %v, %v; want ci in team-a", p, err)
	}
	other := sum
	other[0] ^= 1
	for name, c := range map[string]struct {
		id     string
		digest []byte
	}{"other digest": {rec.ID, other[:]}, "short digest": {rec.ID, sum[:16]}, "malformed id": {"not-an-id", sum[:]}} {
		if _, err := f.toks.VerifyDigest(ctx, c.id, c.digest); !errors.Is(err, apitoken.ErrInvalidToken) {
			t.Errorf("%s: error %v, want ErrInvalidToken", name, err)
		}
	}
	*f.now = f.now.Add(time.Hour)
	if _, err := f.toks.VerifyDigest(ctx, rec.ID, sum[:]); !errors.Is(err, apitoken.ErrExpired) {
		t.Errorf("expired: error %v, want ErrExpired", err)
	}
	*f.now = f.now.Add(-time.Minute)
	if err := f.toks.Revoke(admin, "team-a", rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.toks.VerifyDigest(ctx, rec.ID, sum[:]); !errors.Is(err, apitoken.ErrInvalidToken) {
		t.Errorf("revoked: error %v, want ErrInvalidToken", err)
	}
}
