package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage"
)

// kindRunTokenKey is the record kind of run-token signing keys.
const kindRunTokenKey = "runtoken.key"

// runTokenKeyAD binds a stored signing key's ciphertext to its place.
func runTokenKeyAD(id string) []byte { return []byte("strongbox/runtoken-key/v1\x00" + id) }

// RunTokenKey returns the run-token signing key named id that every
// instance on st shares: the first caller makes an Ed25519 key and stores
// its private half encrypted by kp (bound to the id, like any value),
// later callers, in any process, read and decrypt it. So tokens issued by
// one instance verify on every other. kp must hold the KEK the key was
// stored under (in a fleet: every instance holds the shared KEKs, see
// Keys); a key under an unknown KEK fails with keeper.ErrUnknownKEK.
func RunTokenKey(ctx context.Context, st *storage.Store, kp keeper.Keeper, id string) (*runtoken.Key, error) {
	const op = "fleet.RunTokenKey"
	for {
		r, err := st.GetRecord(ctx, kindRunTokenKey, id)
		switch errcode.Of(err) {
		case errcode.OK:
			seed, err := kp.Decrypt(ctx, r.Data, runTokenKeyAD(id))
			if err != nil {
				return nil, err
			}
			defer clear(seed)
			if len(seed) != ed25519.SeedSize {
				return nil, errcode.New(errcode.Internal, op, "the stored run-token key has the wrong size")
			}
			priv := ed25519.NewKeyFromSeed(seed)
			defer clear(priv)
			return runtoken.NewEd25519Key(id, priv)
		case errcode.NotFound:
		default:
			return nil, err
		}
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, errcode.Wrap(errcode.Internal, op, err)
		}
		ct, err := kp.Encrypt(ctx, seed, runTokenKeyAD(id))
		if err != nil {
			clear(seed)
			return nil, err
		}
		_, err = st.PutRecord(ctx, &storage.Record{Kind: kindRunTokenKey, Key: id, Data: ct})
		if err == nil {
			priv := ed25519.NewKeyFromSeed(seed)
			clear(seed)
			defer clear(priv)
			return runtoken.NewEd25519Key(id, priv)
		}
		clear(seed)
		if errcode.Of(err) != errcode.AlreadyExists {
			return nil, err
		}
		// Another instance made it first: read theirs.
	}
}
