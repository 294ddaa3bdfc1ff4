package secretstest

import (
	"context"

	"github.com/strongbox-go/strongbox/rbac"
)

// EditorID is the ID of the user principal Editor puts in a context.
const EditorID = "secretstest-editor"

// Editor returns a copy of ctx carrying a user principal (ID EditorID)
// with rbac.RoleEditor in namespace: it may read, create, update and
// delete secrets there and choose their decrypters, but not decrypt.
func Editor(ctx context.Context, namespace string) context.Context {
	return rbac.WithPrincipal(ctx, rbac.Principal{
		Kind: rbac.KindUser, ID: EditorID, Namespace: namespace, Roles: []rbac.Role{rbac.RoleEditor},
	})
}

// Runner returns a copy of ctx carrying a service principal with ID
// identity and rbac.RoleDecrypter in namespace, as a test runner holds: it
// may reveal exactly the secrets of namespace whose decrypters list
// identity, and nothing else.
func Runner(ctx context.Context, namespace, identity string) context.Context {
	return rbac.WithPrincipal(ctx, rbac.Principal{
		Kind: rbac.KindService, ID: identity, Namespace: namespace, Roles: []rbac.Role{rbac.RoleDecrypter},
	})
}
