package rbac

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

func TestRoleAuthorizer(t *testing.T) {
	a := NewRoleAuthorizer(nil)
	user := func(roles ...Role) Principal {
		return Principal{Kind: KindUser, ID: "alice", Namespace: "ns", Roles: roles}
	}
	svc := func(roles ...Role) Principal {
		return Principal{Kind: KindService, ID: "runner", Namespace: "ns", Roles: roles}
	}
	editor := []Action{ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionSetDecrypters, ActionIssueRunToken}
	all := append(editor[:len(editor):len(editor)], ActionManageAPITokens)
	tests := []struct {
		name  string
		p     Principal
		ns    string
		allow []Action // every other action is denied
	}{
		{"nobody", Principal{}, "ns", nil},
		{"no kind", Principal{ID: "x", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"no id", Principal{Kind: KindUser, Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"admin", user(RoleAdmin), "ns", all},
		{"editor", user(RoleEditor), "ns", editor},
		{"test author", user(RoleTestAuthor), "ns", []Action{ActionIssueRunToken}},
		{"test author other namespace", user(RoleTestAuthor), "other", nil},
		{"viewer+reader does not issue run tokens", user(RoleViewer, RoleSecureValuesReader, RoleCreator, RoleUpdater), "ns", []Action{ActionRead, ActionCreate, ActionUpdate}},
		{"viewer", user(RoleViewer), "ns", nil},
		{"viewer+reader", user(RoleViewer, RoleSecureValuesReader), "ns", []Action{ActionRead}},
		{"creator", user(RoleCreator), "ns", []Action{ActionCreate}},
		{"updater", user(RoleUpdater), "ns", []Action{ActionUpdate}},
		{"deleter", user(RoleDeleter), "ns", []Action{ActionDelete}},
		{"admin other namespace", user(RoleAdmin), "other", nil},
		{"user with decrypter role", user(RoleDecrypter), "ns", nil},
		{"service decrypter", svc(RoleDecrypter), "ns", []Action{ActionDecrypt}},
		{"service decrypter other namespace", svc(RoleDecrypter), "other", nil},
		{"service without role", svc(), "ns", nil},
		{"unknown role", user("root"), "ns", nil},
		{"updater does not set decrypters", user(RoleUpdater, RoleSecureValuesReader), "ns", []Action{ActionRead, ActionUpdate}},
		{"id with newline", Principal{Kind: KindUser, ID: "alice\nadmin", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"id with escape", Principal{Kind: KindUser, ID: "\x1b[2Kroot", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"id not utf-8", Principal{Kind: KindUser, ID: "al\xffice", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"id with bidi override", Principal{Kind: KindUser, ID: "ali\u202ece", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"id too long", Principal{Kind: KindUser, ID: strings.Repeat("a", maxIDLength+1), Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", nil},
		{"id with space and plus", Principal{Kind: KindUser, ID: "Alice Smith+qa@example.com", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns", all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, act := range actions {
				want := false
				for _, a := range tc.allow {
					want = want || a == act
				}
				err := a.Authorize(context.Background(), tc.p, tc.ns, act)
				if (err == nil) != want {
					t.Errorf("Authorize(%s) = %v, want allowed=%v", act, err, want)
				}
				if err != nil && !errors.Is(err, errcode.PermissionDenied) {
					t.Errorf("denial %v does not match errcode.PermissionDenied", err)
				}
			}
		})
	}
}

func TestRoleTableIsCopied(t *testing.T) {
	roles := map[Role][]Action{"custom": {ActionRead}}
	a := NewRoleAuthorizer(roles)
	roles["custom"][0] = ActionDelete
	p := Principal{Kind: KindUser, ID: "u", Namespace: "ns", Roles: []Role{"custom"}}
	if err := a.Authorize(context.Background(), p, "ns", ActionRead); err != nil {
		t.Fatalf("custom role lost read after caller mutated its table: %v", err)
	}
	if err := a.Authorize(context.Background(), p, "ns", ActionDelete); err == nil {
		t.Fatal("custom role gained delete through the caller's table")
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("empty context has a principal")
	}
	p := Principal{Kind: KindService, ID: "r", Namespace: "ns"}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), p))
	if !ok || got.String() != "service:ns/r" {
		t.Fatalf("PrincipalFrom = %v, %v", got, ok)
	}
	if (Principal{}).String() != "anonymous" {
		t.Fatal("zero principal must print as anonymous")
	}
}

// TestDenialDoesNotEchoInput: the namespace a caller asks for and a
// principal's id are caller input; a denial names them only when they are
// well formed (issue #11 item 10).
func TestDenialDoesNotEchoInput(t *testing.T) {
	a := NewRoleAuthorizer(nil)
	const pasted = "p4ss-pasted-Zq81"
	tests := []struct {
		name string
		p    Principal
		ns   string
	}{
		{"namespace with newline", Principal{Kind: KindUser, ID: "alice", Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns\n" + pasted},
		{"namespace with escape", Principal{Kind: KindUser, ID: "alice", Namespace: "ns", Roles: []Role{RoleAdmin}}, "\x1b[31m" + pasted},
		{"principal id with newline", Principal{Kind: KindUser, ID: "alice\n" + pasted, Namespace: "ns", Roles: []Role{RoleAdmin}}, "ns"},
		{"principal namespace with escape", Principal{Kind: KindUser, ID: "alice", Namespace: "\x1b" + pasted, Roles: []Role{RoleAdmin}}, "ns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Authorize(context.Background(), tc.p, tc.ns, ActionRead)
			if !errors.Is(err, errcode.PermissionDenied) {
				t.Fatalf("Authorize = %v, want errcode.PermissionDenied", err)
			}
			for _, text := range []string{err.Error(), tc.p.String()} {
				if strings.Contains(text, pasted) || strings.ContainsAny(text, "\n\x1b") {
					t.Errorf("%q echoes rejected input", text)
				}
			}
		})
	}
	if got := (Principal{Kind: KindUser, ID: "bad\nid", Namespace: "ns"}).String(); !strings.HasPrefix(got, "invalid principal (len ") {
		t.Errorf("String of an invalid principal = %q, want a description", got)
	}
}
