package runtoken

import (
	"context"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
)

// Guard authorizes and audits an operation for the caller in ctx;
// *secrets.Manager is one (secrets.Manager.Authorize), so that run tokens
// are decided by the deployment's Authorizer and recorded in its audit
// trail.
type Guard interface {
	Authorize(ctx context.Context, namespace string, action rbac.Action, operation string) (done func(err error, ids ...string), err error)
}

// IssueFor is Issue on behalf of the caller in ctx: guard must allow
// rbac.ActionIssueRunToken in g.Namespace (Admin, Editor or
// rbac.RoleTestAuthor, in the caller's own namespace), and the decision is
// audited as "IssueRunToken" with the token id. The lifetime is bounded as
// for Issue, by MaxTTL, which is the Issuer's Verifier's MaxLifetime.
func (i *Issuer) IssueFor(ctx context.Context, guard Guard, g Grant) (string, Claims, error) {
	done, err := guard.Authorize(ctx, g.Namespace, rbac.ActionIssueRunToken, "IssueRunToken")
	if err != nil {
		return "", Claims{}, err
	}
	tok, c, err := i.Issue(ctx, g)
	done(err, c.ID)
	return tok, c, err
}

// RevokeFor is Revoke on behalf of the caller in ctx, authorized and
// audited as IssueFor ("RevokeRunToken"). It fails with ErrInvalid
// (secrets) for an id that is not a token id. A revocation is by id only:
// the Issuer keeps no record of the tokens it issued, so it cannot check
// that id belongs to namespace; ids are random and appear only in audits.
func (i *Issuer) RevokeFor(ctx context.Context, guard Guard, namespace, id string) error {
	done, err := guard.Authorize(ctx, namespace, rbac.ActionIssueRunToken, "RevokeRunToken")
	if err != nil {
		return err
	}
	if !validID(id) {
		err = errcode.New(errcode.Invalid, "runtoken.RevokeFor", "not a run token id: want 22 base64url characters")
		done(err)
		return err
	}
	err = i.verifier.Revoke(ctx, id, time.Time{})
	done(err, id)
	return err
}
