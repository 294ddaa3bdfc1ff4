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

// TestWriteReadBeforeRecreateConflicts: a Reset, Update or Revoke whose
// read saw a secret that is then deleted and created again (revision 1
// again) must not land on the new secret with the old one's fields.
// Before writes were guarded by the secret's incarnation, the Reset wrote
// the deleted secret's description and decrypters over the new one's, and
// the Update pointed the new secret at the deleted one's ciphertext, so it
// could not be revealed.
func TestWriteReadBeforeRecreateConflicts(t *testing.T) {
	writes := map[string]func(m *secrets.Manager) (*secrets.Secret, error){
		"reset": func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Reset(as(editor), ns, "s", secrets.NewValue(uniqueValue()), 0)
		},
		"update": func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Update(as(editor), ns, &secrets.Secret{Name: "s", Description: "from the old read", Decrypters: []string{runner.ID}, Revision: 1})
		},
		"revoke": func(m *secrets.Manager) (*secrets.Secret, error) {
			return m.Revoke(as(editor), ns, "s", 1)
		},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for name, write := range writes {
			t.Run(name, func(t *testing.T) {
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
				_, err = write(m)
				if !errors.Is(err, secrets.ErrConflict) {
					t.Fatalf("the %s read before the re-create = %v, want ErrConflict", name, err)
				}
				got, err := m.Get(as(editor), ns, "s")
				if err != nil {
					t.Fatal(err)
				}
				if got.Revision != 1 || got.Description != "second life" || got.Revoked || len(got.Decrypters) != 1 || got.Decrypters[0] != runner.ID {
					t.Errorf("the new secret after the refused %s: %+v", name, got)
				}
				v, err := m.RevealValue(as(runner), ns, "s")
				if err != nil || v.DangerouslyExpose() != second {
					t.Errorf("the new secret's value after the refused %s: err %v", name, err)
				}
			})
		}
	})
}
