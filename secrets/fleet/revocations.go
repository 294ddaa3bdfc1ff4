package fleet

import (
	"context"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage"
)

// kindRunTokenRevoked is the record kind of run-token revocations.
const kindRunTokenRevoked = "runtoken.revoked"

// RunTokenRevocations returns a runtoken.RevocationSet kept in st's
// records, shared by every process on st and durable. st must stay open
// while the set is used.
func RunTokenRevocations(st *storage.Store) runtoken.RevocationSet {
	return &revocations{st: st}
}

type revocations struct{ st *storage.Store }

// Revoke implements runtoken.RevocationSet: it creates the revocation
// record, or extends an existing one to the later expiry.
func (r *revocations) Revoke(ctx context.Context, id string, expiry time.Time) error {
	const op = "fleet.Revoke"
	if !expiry.After(time.Now()) {
		return errcode.New(errcode.Invalid, op, "expiry must be in the future: a revocation until now revokes nothing")
	}
	for {
		_, err := r.st.PutRecord(ctx, &storage.Record{Kind: kindRunTokenRevoked, Key: id, Data: []byte("revoked"), ExpireTime: expiry})
		if errcode.Of(err) != errcode.AlreadyExists {
			return err
		}
		cur, err := r.st.GetRecord(ctx, kindRunTokenRevoked, id)
		switch {
		case errcode.Of(err) == errcode.NotFound:
			continue // expired or deleted meanwhile: create again
		case err != nil:
			return err
		case !cur.ExpireTime.IsZero() && !expiry.After(cur.ExpireTime):
			return nil // already revoked at least as long
		}
		cur.ExpireTime = expiry
		_, err = r.st.PutRecord(ctx, cur)
		if c := errcode.Of(err); c != errcode.Conflict && c != errcode.NotFound {
			return err
		}
	}
}

// Revoked implements runtoken.RevocationSet with one read of the store.
func (r *revocations) Revoked(ctx context.Context, id string) (bool, error) {
	_, err := r.st.GetRecord(ctx, kindRunTokenRevoked, id)
	switch errcode.Of(err) {
	case errcode.OK:
		return true, nil
	case errcode.NotFound:
		return false, nil
	}
	return false, err
}
