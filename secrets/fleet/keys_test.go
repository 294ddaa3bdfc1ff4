package fleet_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage"
)

const ns = "team-a"

var (
	editor = rbac.Principal{Kind: rbac.KindUser, ID: "ed", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}
	runner = rbac.Principal{Kind: rbac.KindService, ID: "k6-runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}}
)

func as(p rbac.Principal) context.Context { return rbac.WithPrincipal(context.Background(), p) }

// instance is one process of a fleet: its own store connection, keeper
// and Manager, following the shared key configuration.
type instance struct {
	name string
	st   *storage.Store
	env  *keeper.Envelope
	keys *fleet.Keys
	m    *secrets.Manager
}

func newInstance(t *testing.T, name, storeURL string, keks ...keeper.KEK) *instance {
	t.Helper()
	ctx := context.Background()
	in := &instance{name: name, st: open(t, storeURL)}
	var err error
	in.env, err = keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: keks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.env.Close() })
	in.keys, err = fleet.OpenKeys(ctx, in.st, in.env, fleet.KeysOptions{Instance: name, Heartbeat: 500 * time.Millisecond, RemoveGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.keys.Close() })
	in.m, err = secrets.New(secrets.Options{Store: in.st, Keeper: in.env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.m.Close() })
	return in
}

func localKEK(t *testing.T, id string) keeper.KEK {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(u)
	return keeper.KEK{ID: id, URL: u}
}

// eventually polls cond for up to a second: what the fleet promises.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 1s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFleetKEKRotation: a rotation through instance A reaches instance B
// without a restart; promoting a key B lacks is refused naming B; removing
// the old key is refused while it is the primary, while instances switched
// only moments ago, and while data remains under it; a local key never
// enters the store; at the end every secret is readable by both (issue #14
// item 1). Before, A's RemoveKEK succeeded while B still wrote under k1.
func TestFleetKEKRotation(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			u := b.url(t)
			k1, k2 := localKEK(t, "k1"), localKEK(t, "k2")
			a, bb := newInstance(t, "a", u, k1), newInstance(t, "b", u, k1)
			create := func(in *instance, name string) {
				t.Helper()
				if _, err := in.m.Create(as(editor), ns, secrets.Spec{Name: name, Value: secrets.NewValue("v-" + name), Decrypters: []string{runner.ID}}); err != nil {
					t.Fatalf("%s: Create(%s): %v", in.name, name, err)
				}
			}
			create(a, "before")
			// The shared run-token signing key is stored under k1 too.
			rtKey, err := fleet.RunTokenKey(ctx, a.st, a.env, "rt-1")
			if err != nil {
				t.Fatal(err)
			}

			if err := a.keys.AddKEK(ctx, k2); err != nil {
				t.Fatal(err)
			}
			// The local key's material is not in the store: only its id.
			recs, _, err := a.st.ListRecords(ctx, "keeper.config", 10, "")
			if err != nil || len(recs) != 1 {
				t.Fatalf("config records = %v, %v", recs, err)
			}
			if cfg := string(recs[0].Data); strings.Contains(cfg, k2.URL[len("base64key://"):]) || strings.Contains(cfg, "base64key") || !strings.Contains(cfg, `"k2"`) {
				t.Errorf("stored configuration %s: want k2's id and no key material", cfg)
			}
			status, insts, err := a.keys.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []fleet.KEKStatus{{ID: "k1", Primary: true}, {ID: "k2", Lacking: []string{"b"}}}
			if diff := cmp.Diff(want, status); diff != "" || !slices.Equal(insts, []string{"b"}) {
				t.Errorf("Status (-want +got):\n%s\ninstances %v, want [b]", diff, insts)
			}
			err = a.keys.SetPrimary(ctx, "k2")
			if !errors.Is(err, secrets.ErrFailedPrecondition) || !strings.Contains(err.Error(), `"b"`) {
				t.Fatalf("SetPrimary(k2) while b lacks it = %v, want FailedPrecondition naming b", err)
			}
			// B is given k2 by its own configuration.
			if err := bb.keys.AddKEK(ctx, k2); err != nil {
				t.Fatal(err)
			}
			if err := a.keys.SetPrimary(ctx, "k2"); err != nil {
				t.Fatal(err)
			}
			eventually(t, "b uses k2 as primary", func() bool { p, _ := bb.env.KEKIDs(); return p == "k2" })
			create(bb, "after-b")
			create(a, "after-a")

			adminCtx := as(rbac.Principal{Kind: rbac.KindUser, ID: "ed", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}})
			inUse := a.m.KEKInUse()
			if err := a.keys.RemoveKEK(adminCtx, "k2", inUse); !errors.Is(err, secrets.ErrFailedPrecondition) {
				t.Errorf("RemoveKEK of the primary = %v, want FailedPrecondition", err)
			}
			if err := a.keys.RemoveKEK(adminCtx, "k1", inUse); !errors.Is(err, secrets.ErrFailedPrecondition) {
				t.Errorf("RemoveKEK(k1) right after the switch, with data under k1 = %v, want FailedPrecondition", err)
			}
			time.Sleep(350 * time.Millisecond) // RemoveGrace
			if err := a.keys.RemoveKEK(adminCtx, "k1", inUse); !errors.Is(err, secrets.ErrFailedPrecondition) || !strings.Contains(err.Error(), "stored data") {
				t.Errorf("RemoveKEK(k1) with data under k1 = %v, want FailedPrecondition (stored data)", err)
			}
			if err := a.keys.RemoveKEK(adminCtx, "k1", nil); !errors.Is(err, secrets.ErrFailedPrecondition) {
				t.Errorf("RemoveKEK without inUse = %v, want FailedPrecondition", err)
			}
			if err := a.m.Rewrap(adminCtx, ns, secrets.RewrapOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := a.keys.RemoveKEK(adminCtx, "k1", inUse); err != nil {
				t.Fatalf("RemoveKEK(k1) after the rewrap: %v", err)
			}
			eventually(t, "b drops k1", func() bool { _, all := bb.env.KEKIDs(); return !slices.Contains(all, "k1") })
			for _, in := range []*instance{a, bb} {
				for _, name := range []string{"before", "after-a", "after-b"} {
					v, err := in.m.RevealValue(as(runner), ns, name)
					if err != nil || v.DangerouslyExpose() != "v-"+name {
						t.Errorf("%s: RevealValue(%s) = %v; want its value", in.name, name, err)
					}
				}
			}
			// RemoveKEK moved the run-token key to k2: an instance started
			// with k2 alone reads it. One without the shared primary is
			// refused at OpenKeys, before it could write under its own key.
			c := newInstance(t, "c", u, k2)
			rtC, err := fleet.RunTokenKey(ctx, c.st, c.env, "rt-1")
			if err != nil {
				t.Fatalf("c: RunTokenKey after the removal of k1: %v", err)
			}
			iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: rtKey})
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := iss.Issue(ctx, runtoken.Grant{Namespace: ns, Subject: runner.ID, AllNames: true})
			if err != nil {
				t.Fatal(err)
			}
			leakcheck.Register(tok)
			if v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{rtC}}); err != nil {
				t.Fatal(err)
			} else if _, err := v.Verify(ctx, tok); err != nil {
				t.Errorf("c's run-token key does not verify a's token: %v", err)
			}
			env, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{localKEK(t, "k3")}})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			if _, err := fleet.OpenKeys(ctx, c.st, env, fleet.KeysOptions{Instance: "d"}); !errors.Is(err, secrets.ErrFailedPrecondition) || !strings.Contains(err.Error(), `"k2"`) {
				t.Errorf("OpenKeys without the shared primary = %v, want FailedPrecondition naming k2", err)
			}
			// A re-added retired id is refused: a new key needs a new id.
			if err := a.keys.AddKEK(ctx, localKEK(t, "k1")); !errors.Is(err, secrets.ErrFailedPrecondition) {
				t.Errorf("AddKEK of a retired id = %v, want FailedPrecondition", err)
			}
			if _, all := a.env.KEKIDs(); slices.Contains(all, "k1") {
				t.Errorf("a refused AddKEK left k1 in a's keeper: %v", all)
			}
		})
	}
}
