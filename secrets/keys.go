package secrets

import (
	"context"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
)

// KEKUsage counts the ciphertexts of a store by the id of the
// key-encryption key that protects them, reading only their non-secret
// headers (keeper.ParseHeader). namespace "" counts every namespace.
// Ciphertexts that are not envelope ciphertexts are counted under "".
//
// It works on the store directly, for operators rotating keys: it reveals
// no value, but it reads every namespace, so keep it behind whatever guards
// direct store access.
func KEKUsage(ctx context.Context, st *storage.Store, namespace string) (map[string]int, error) {
	use := map[string]int{}
	err := eachCiphertext(ctx, st, namespace, func(ct *storage.Ciphertext) (bool, error) {
		h, err := keeper.ParseHeader(ct.Data)
		if err != nil {
			use[""]++
		} else {
			use[h.KEKID]++
		}
		return true, nil
	})
	return use, err
}

// KEKInUse returns the keeper.RemoveOptions.InUse function that refuses to
// remove a key-encryption key while any ciphertext of st, in any namespace,
// still names it:
//
//	err := envelope.RemoveKEK(ctx, "kek-2025", keeper.RemoveOptions{InUse: secrets.KEKInUse(st)})
func KEKInUse(st *storage.Store) func(ctx context.Context, kekID string) (bool, error) {
	return func(ctx context.Context, kekID string) (bool, error) {
		found := false
		err := eachCiphertext(ctx, st, "", func(ct *storage.Ciphertext) (bool, error) {
			h, err := keeper.ParseHeader(ct.Data)
			found = err == nil && h.KEKID == kekID
			return !found, nil
		})
		return found, err
	}
}

// eachCiphertext calls fn for every stored ciphertext of namespace ("" for
// all) until fn returns false or an error. Ciphertexts deleted during the
// scan are skipped.
func eachCiphertext(ctx context.Context, st *storage.Store, namespace string, fn func(*storage.Ciphertext) (bool, error)) error {
	token := ""
	for {
		refs, next, err := st.ListCiphertexts(ctx, namespace, storage.MaxPageSize, token)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			ct, err := st.GetCiphertext(ctx, ref.Namespace, ref.Name, ref.ValueID)
			if errcode.Of(err) == errcode.NotFound {
				continue
			}
			if err != nil {
				return err
			}
			if more, err := fn(ct); err != nil || !more {
				return err
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}
