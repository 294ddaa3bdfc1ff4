package secrets_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestLostAcknowledgements is the regression test of a bug issue #8's model
// test found: a metadata write that commits but reports a failure (a
// dropped connection, a timeout racing the commit) made the Manager delete
// the new ciphertext the committed metadata pointed at. Every call of
// Create and Reset, on every backend, loses its acknowledgement in turn;
// the secret must then reveal either its old or its new value, and
// CollectGarbage must leave exactly the live ciphertexts.
func TestLostAcknowledgements(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, op := range []string{"Create", "Reset"} {
			for nth := 1; nth <= 6; nth++ {
				t.Run(fmt.Sprintf("%s/call-%d", op, nth), func(t *testing.T) {
					ctx := context.Background()
					fst := fault.NewStore(newStore(t, backend))
					in := fst.In
					m, err := secrets.New(secrets.Options{Store: fst.Store, Keeper: &fault.Keeper{Keeper: newKeeper(t), In: in}})
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					const ns, name = "team-a", "victim"
					ed := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "ed", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}})
					run := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindService, ID: "runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}})
					old, next := leakcheck.NewValue("old"), leakcheck.NewValue("new")
					if op == "Reset" {
						if _, err := m.Create(ed, ns, secrets.Spec{Name: name, Value: secrets.NewValue(old), Decrypters: []string{"runner"}}); err != nil {
							t.Fatal(err)
						}
					}
					in.FailAfterNth("", nth, nil)
					if op == "Create" {
						_, err = m.Create(ed, ns, secrets.Spec{Name: name, Value: secrets.NewValue(next), Decrypters: []string{"runner"}})
					} else {
						_, err = m.Reset(ed, ns, name, secrets.NewValue(next), 0)
					}
					in.Reset()
					v, rerr := m.RevealValue(run, ns, name)
					switch {
					case rerr == nil && (v.DangerouslyExpose() == next || (op == "Reset" && err != nil && v.DangerouslyExpose() == old)):
					case rerr != nil && op == "Create" && err != nil && secrets.ErrorCode(rerr) == secrets.ErrorCode(secrets.ErrNotFound):
					default:
						t.Fatalf("%s failed with %v; the secret then reveals: err %v (old value: %v, new: %v)",
							op, err, rerr, v.DangerouslyExpose() == old, v.DangerouslyExpose() == next)
					}
					gc := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "gc", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}})
					if _, err := m.CollectGarbage(gc, ns, -1); err != nil {
						t.Fatal(err)
					}
					live := 0
					if rerr == nil {
						live = 1
					}
					if n := len(storedCiphertexts(t, fst.Store, ns)); n != live {
						t.Fatalf("%d ciphertexts after CollectGarbage, want %d", n, live)
					}
				})
			}
		}
	})
}
