package secrets_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestAuthorizeAuditsTokenOperations: Manager.Authorize decides with the
// Manager's Authorizer and records one audit event per decision: a denial
// at once, an allowed operation when done reports its outcome, with the
// token ids as names.
func TestAuthorizeAuditsTokenOperations(t *testing.T) {
	e := newEnv(t, "docstore", secrets.Options{})
	author := rbac.Principal{Kind: rbac.KindUser, ID: "tess", Namespace: ns, Roles: []rbac.Role{rbac.RoleTestAuthor}}
	reader := rbac.Principal{Kind: rbac.KindUser, ID: "rita", Namespace: ns, Roles: []rbac.Role{rbac.RoleSecureValuesReader}}
	ignoreTime := cmpopts.IgnoreFields(rbac.AuditEvent{}, "Time")

	done, err := e.m.Authorize(as(author), ns, rbac.ActionIssueRunToken, "IssueRunToken")
	if err != nil {
		t.Fatal(err)
	}
	done(nil, "tok-id-1")
	want := rbac.AuditEvent{Principal: author.String(), Namespace: ns, Action: rbac.ActionIssueRunToken,
		Operation: "IssueRunToken", Names: []string{"tok-id-1"}, Outcome: "allowed"}
	if diff := cmp.Diff(want, e.lastAudit(), ignoreTime); diff != "" {
		t.Errorf("allowed audit (-want +got):\n%s", diff)
	}

	done, err = e.m.Authorize(as(author), ns, rbac.ActionIssueRunToken, "IssueRunToken")
	if err != nil {
		t.Fatal(err)
	}
	done(secrets.ErrInvalid)
	if got := e.lastAudit(); got.Outcome != "failed" || got.Code != "invalid" {
		t.Errorf("failed audit = %+v", got)
	}

	for _, tc := range []struct {
		name   string
		p      rbac.Principal
		ns     string
		action rbac.Action
	}{
		{"reader issues a run token", reader, ns, rbac.ActionIssueRunToken},
		{"test author manages API tokens", author, ns, rbac.ActionManageAPITokens},
		{"test author of another namespace", author, "other", rbac.ActionIssueRunToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done, err := e.m.Authorize(as(tc.p), tc.ns, tc.action, "Op")
			if !errors.Is(err, secrets.ErrPermissionDenied) || done != nil {
				t.Fatalf("Authorize = %v, want ErrPermissionDenied and no done", err)
			}
			if got := e.lastAudit(); got.Outcome != "denied" || got.Action != tc.action || got.Operation != "Op" {
				t.Errorf("denial audit = %+v", got)
			}
		})
	}
}
