package linearize_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestFleetStaleWriteAfterRecreate is the history TestFleetLinearizable
// found, made deterministic: instance A reads a secret for a write, B
// deletes the secret and creates it again (revision 1 again, a new
// value), then A's write, guarded by the revision 1 it read, reaches the
// store. A write from the deleted incarnation must not land on the new
// one with the old incarnation's fields: either it fails (conflict or not
// found) or it acts on the new secret as if made after B's create.
//
// A's link to PostgreSQL gets 150 ms of latency each way, so its guarded
// statement reaches the server 300 ms or more after its read; B's delete
// and create run in between, with margins of about 100 ms on both sides.
func TestFleetStaleWriteAfterRecreate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(ctx context.Context, a *instance) (*secrets.Secret, error)
	}{
		{"reset", func(ctx context.Context, a *instance) (*secrets.Secret, error) {
			return a.mgmt.Reset(ctx, ns, "recreated", secrets.NewValue(leakcheck.NewValue("third")), 0)
		}},
		{"update", func(ctx context.Context, a *instance) (*secrets.Secret, error) {
			return a.mgmt.Update(ctx, ns, &secrets.Secret{Name: "recreated", Description: "from A", Decrypters: []string{runner}, Revision: 1})
		}},
		{"revoke", func(ctx context.Context, a *instance) (*secrets.Secret, error) {
			return a.mgmt.Revoke(ctx, ns, "recreated", 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFleet(t, postgresSchema(t), fleetOptions{instances: 2, requestTimeout: 10 * time.Second, clientTimeout: 10 * time.Second})
			a, b := f.insts[0], f.insts[1]
			ctx := context.Background()
			first, second := leakcheck.NewValue("first"), leakcheck.NewValue("second")
			if _, err := b.mgmt.Create(ctx, ns, secrets.Spec{Name: "recreated", Description: "first incarnation", Value: secrets.NewValue(first), Decrypters: []string{runner}}); err != nil {
				t.Fatal(err)
			}
			// Warm A's pool, so its write needs no new connection.
			if _, err := a.mgmt.Get(ctx, ns, "recreated"); err != nil {
				t.Fatal(err)
			}
			a.proxy.SetLatency(150 * time.Millisecond)
			type result struct {
				s   *secrets.Secret
				err error
			}
			done := make(chan result, 1)
			go func() {
				s, err := tc.write(ctx, a)
				done <- result{s, err}
			}()
			time.Sleep(250 * time.Millisecond) // A's read reached the server at ~150 ms
			if err := b.mgmt.Delete(ctx, ns, "recreated", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := b.mgmt.Create(ctx, ns, secrets.Spec{Name: "recreated", Description: "second incarnation", Value: secrets.NewValue(second), Decrypters: []string{runner}}); err != nil {
				t.Fatal(err)
			}
			res := <-done
			a.proxy.SetLatency(0)
			got, err := b.mgmt.Get(ctx, ns, "recreated")
			if err != nil {
				t.Fatal(err)
			}
			v, revealErr := b.reveal.RevealValue(ctx, ns, "recreated")
			t.Logf("A's %s: %v; then B reads rev %d, version %d, revoked %t, description %q; reveal error %v",
				tc.name, res.err, got.Revision, got.Version, got.Revoked, got.Description, revealErr)
			if res.err != nil {
				if !errors.Is(res.err, secrets.ErrConflict) && !errors.Is(res.err, secrets.ErrNotFound) {
					t.Fatalf("A's %s = %v, want a conflict, not found, or success", tc.name, res.err)
				}
				// It failed: the second incarnation is untouched.
				if got.Revision != 1 || got.Description != "second incarnation" || revealErr != nil || v.DangerouslyExpose() != second {
					t.Errorf("A's failed %s changed the new secret: rev %d, description %q, reveal error %v", tc.name, got.Revision, got.Description, revealErr)
				}
				return
			}
			// It succeeded: then it acted on the second incarnation, after
			// B's create, and kept that incarnation's other fields.
			if got.Revision != 2 || res.s.Revision != 2 {
				t.Errorf("after A's %s: revision %d (A got %d), want 2", tc.name, got.Revision, res.s.Revision)
			}
			switch tc.name {
			case "reset":
				if got.Description != "second incarnation" {
					t.Errorf("A's reset, made on the deleted secret, wrote its description %q over the new secret's", got.Description)
				}
			case "update":
				if got.Description != "from A" {
					t.Errorf("description %q, want A's", got.Description)
				}
				if revealErr != nil || v.DangerouslyExpose() != second {
					t.Errorf("A's update, made on the deleted secret, left the new secret unrevealable: %v", revealErr)
				}
			case "revoke":
				if !got.Revoked || !errors.Is(revealErr, secrets.ErrRevoked) {
					t.Errorf("after A's revoke: revoked %t, reveal error %v", got.Revoked, revealErr)
				}
				if got.Description != "second incarnation" {
					t.Errorf("A's revoke, made on the deleted secret, wrote its description %q over the new secret's", got.Description)
				}
			}
		})
	}
}
