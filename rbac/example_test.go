package rbac_test

import (
	"context"
	"fmt"

	"github.com/strongbox-go/strongbox/rbac"
)

// Two principals of namespace team-a, a person with the Editor role and a
// test runner with the Decrypter role, and the default authorizer's
// decisions for them.
func Example() {
	ctx := context.Background()
	alice := rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a",
		Roles: []rbac.Role{rbac.RoleEditor}}
	runner := rbac.Principal{Kind: rbac.KindService, ID: "k6-runner", Namespace: "team-a",
		Roles: []rbac.Role{rbac.RoleDecrypter}}

	authz := rbac.NewRoleAuthorizer(nil) // the DefaultRoles table
	for _, q := range []struct {
		p      rbac.Principal
		ns     string
		action rbac.Action
	}{
		{alice, "team-a", rbac.ActionCreate},
		{alice, "team-a", rbac.ActionDecrypt},  // users never decrypt
		{alice, "team-b", rbac.ActionRead},     // nor act outside their namespace
		{runner, "team-a", rbac.ActionDecrypt}, // the Manager also checks the secret's decrypters
		{runner, "team-a", rbac.ActionRead},
		{rbac.Principal{}, "team-a", rbac.ActionRead}, // nobody
	} {
		err := authz.Authorize(ctx, q.p, q.ns, q.action)
		verdict := "allowed"
		if err != nil { // it matches secrets.ErrPermissionDenied
			verdict = "denied"
		}
		fmt.Printf("%s %s in %s: %s\n", q.p, q.action, q.ns, verdict)
	}

	// The caller travels in the context of every secrets.Manager call.
	ctx = rbac.WithPrincipal(ctx, alice)
	p, ok := rbac.PrincipalFrom(ctx)
	fmt.Println(p, ok)
	// Output:
	// user:team-a/alice create in team-a: allowed
	// user:team-a/alice decrypt in team-a: denied
	// user:team-a/alice read in team-b: denied
	// service:team-a/k6-runner decrypt in team-a: allowed
	// service:team-a/k6-runner read in team-a: denied
	// anonymous read in team-a: denied
	// user:team-a/alice true
}

// A custom role table: a "rotator" role that may read and update (reset a
// value) but not create or delete.
func ExampleNewRoleAuthorizer() {
	const rotator rbac.Role = "rotator"
	roles := rbac.DefaultRoles()
	roles[rotator] = []rbac.Action{rbac.ActionRead, rbac.ActionUpdate}
	authz := rbac.NewRoleAuthorizer(roles)

	bot := rbac.Principal{Kind: rbac.KindService, ID: "rotation-bot", Namespace: "team-a",
		Roles: []rbac.Role{rotator}}
	for _, a := range []rbac.Action{rbac.ActionRead, rbac.ActionUpdate, rbac.ActionDelete} {
		err := authz.Authorize(context.Background(), bot, "team-a", a)
		fmt.Println(a, err == nil)
	}
	// Output:
	// read true
	// update true
	// delete false
}
