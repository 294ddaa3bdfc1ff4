package secrets

import (
	"context"

	"github.com/strongbox-go/strongbox/rbac"
)

// Authorize decides, with the Manager's Authorizer, whether the caller in
// ctx may perform action in namespace, for an operation the Manager does
// not perform itself (issuing a run token or an API token), so that every
// decision of a deployment goes through one Authorizer and one audit trail.
// A denial fails with ErrPermissionDenied and is audited at once. When it
// allows, the caller must call done exactly once with the operation's
// outcome (nil for success): done records the audit event, with operation
// as its Operation and ids (token ids, never tokens) as its Names.
func (m *Manager) Authorize(ctx context.Context, namespace string, action rbac.Action, operation string) (done func(err error, ids ...string), err error) {
	c, err := m.begin(ctx, operation, namespace, action)
	if err != nil {
		return nil, err
	}
	return func(err error, ids ...string) {
		defer c.end()
		c.audit(ctx, ids, err)
	}, nil
}
