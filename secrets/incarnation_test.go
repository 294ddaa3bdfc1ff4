package secrets_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/strongbox-go/strongbox/internal/storehook"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// interloper is a driver that, once armed, runs a function just before
// the next UpdateMetadata reaches the store: between the Manager's read
// and its guarded write, as another instance would.
type interloper struct {
	driver.Store
	mu     sync.Mutex
	before func()
}

func (i *interloper) UpdateMetadata(ctx context.Context, m *driver.Metadata) error {
	i.mu.Lock()
	f := i.before
	i.before = nil
	i.mu.Unlock()
	if f != nil {
		f()
	}
	return i.Store.UpdateMetadata(ctx, m)
}

// Atomic is nil so that every write of metadata goes through
// UpdateMetadata above (the atomic writes' guard is in the conformance
// suite).
func (i *interloper) Atomic() driver.Atomic { return nil }

// TestWriteReadBeforeRecreate: a Reset, Update or Revoke whose read saw a
// secret that is then deleted and created again (at revision 1 again)
// must not land on the new secret with the old one's fields. Before
// writes were guarded by the secret's incarnation, the Reset wrote the
// deleted secret's description and decrypters over the new one's, and the
// Update pointed the new secret at the deleted one's ciphertext, so it
// could not be revealed. A write guarded by "whatever is current" (0) now
// fails with ErrConflict; one guarded by revision 1 applies to the new
// secret, which is at revision 1, as if it had come after the re-create.
func TestWriteReadBeforeRecreate(t *testing.T) {
	type want struct {
		conflict    bool
		description string
		revoked     bool
		newValue    bool // the value is the one written by the write
	}
	third := uniqueValue()
	writes := []struct {
		name  string
		write func(m *secrets.Manager) (*secrets.Secret, error)
		want  want
	}{
		{"reset-current", func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Reset(as(editor), ns, "s", secrets.NewValue(third), 0)
		}, want{conflict: true, description: "second life"}},
		{"reset-revision-1", func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Reset(as(editor), ns, "s", secrets.NewValue(third), 1)
		}, want{description: "second life", newValue: true}},
		{"update-revision-1", func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Update(as(editor), ns, &secrets.Secret{Name: "s", Description: "updated", Decrypters: []string{runner.ID}, Revision: 1})
		}, want{description: "updated"}},
		{"revoke-current", func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Revoke(as(editor), ns, "s", 0)
		}, want{conflict: true, description: "second life"}},
		{"revoke-revision-1", func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Revoke(as(editor), ns, "s", 1)
		}, want{description: "second life", revoked: true}},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tc := range writes {
			t.Run(tc.name, func(t *testing.T) {
				hook := &interloper{}
				st := storehook.Wrap(newStore(t, backend), func(d driver.Store) driver.Store {
					hook.Store = d
					return hook
				}).(*storage.Store)
				m, err := secrets.New(secrets.Options{Store: st, Keeper: newKeeper(t)})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if _, err := m.Create(as(editor), ns, secrets.Spec{Name: "s", Description: "first life", Value: secrets.NewValue(uniqueValue()), Decrypters: []string{other.ID}}); err != nil {
					t.Fatal(err)
				}
				second := uniqueValue()
				hook.mu.Lock()
				hook.before = func() {
					if err := m.Delete(as(editor), ns, "s", 0); err != nil {
						t.Errorf("delete in between: %v", err)
					}
					if _, err := m.Create(as(editor), ns, secrets.Spec{Name: "s", Description: "second life", Value: secrets.NewValue(second), Decrypters: []string{runner.ID}}); err != nil {
						t.Errorf("create in between: %v", err)
					}
				}
				hook.mu.Unlock()
				_, err = tc.write(m)
				if tc.want.conflict != errors.Is(err, secrets.ErrConflict) || (!tc.want.conflict && err != nil) {
					t.Fatalf("the write read before the re-create = %v, want conflict: %t", err, tc.want.conflict)
				}
				got, err := m.Get(as(editor), ns, "s")
				if err != nil {
					t.Fatal(err)
				}
				wantRev := int64(2)
				if tc.want.conflict {
					wantRev = 1
				}
				if got.Revision != wantRev || got.Description != tc.want.description || got.Revoked != tc.want.revoked ||
					len(got.Decrypters) != 1 || got.Decrypters[0] != runner.ID {
					t.Errorf("the new secret after the write: revision %d, description %q, revoked %t, decrypters %v; want %d, %q, %t, [%s]",
						got.Revision, got.Description, got.Revoked, got.Decrypters, wantRev, tc.want.description, tc.want.revoked, runner.ID)
				}
				v, err := m.RevealValue(as(runner), ns, "s")
				switch {
				case tc.want.revoked:
					if !errors.Is(err, secrets.ErrRevoked) {
						t.Errorf("reveal of the revoked secret: %v", err)
					}
				case tc.want.newValue:
					if err != nil || v.DangerouslyExpose() != third {
						t.Errorf("reveal after the reset: err %v, or not the reset's value", err)
					}
				default:
					if err != nil || v.DangerouslyExpose() != second {
						t.Errorf("reveal of the new secret: err %v, or not its value", err)
					}
				}
			})
		}
	})
}
