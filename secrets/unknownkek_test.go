package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestUnknownKEKNamesID: two Managers on one store, the second without the
// KEK the first wrote under (a fleet mid-rotation). Reveal through the
// second fails with ErrUnknownKEK naming the KEK id, code Unavailable, and
// not ErrDecryptionFailed, which stays for tampered data (issue #14 item
// 3). Before the fix Reveal said "decryption failed".
func TestUnknownKEKNamesID(t *testing.T) {
	ctx := context.Background()
	st := docstorage.NewInMemory()
	t.Cleanup(func() { st.Close() })
	open := func(id string) *secrets.Manager {
		u, err := keeper.NewThrowawayKEKURL()
		if err != nil {
			t.Fatal(err)
		}
		k, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: id, URL: u}}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := secrets.New(secrets.Options{Store: st, Keeper: k})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close(); k.Close() })
		return m
	}
	a, b := open("kek-a-2026"), open("kek-b-2025")
	if _, err := a.Create(as(editor), ns, secrets.Spec{Name: "db", Value: secrets.NewValue(uniqueValue()), Decrypters: []string{runner.ID}}); err != nil {
		t.Fatal(err)
	}
	_, err := b.RevealValue(as(runner), ns, "db")
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"matches ErrUnknownKEK", errors.Is(err, keeper.ErrUnknownKEK)},
		{"has code Unavailable", secrets.ErrorCode(err) == secrets.ErrorCode(secrets.ErrUnavailable)},
		{"does not match ErrDecryptionFailed", !errors.Is(err, keeper.ErrDecrypt)},
		{"names the KEK id", err != nil && strings.Contains(err.Error(), `"kek-a-2026"`)},
	} {
		if !c.ok {
			t.Errorf("RevealValue through the instance without the KEK = %v: want it %s", err, c.name)
		}
	}
	if _, err := a.RevealValue(as(runner), ns, "db"); err != nil {
		t.Errorf("RevealValue through the writer: %v", err)
	}
}
