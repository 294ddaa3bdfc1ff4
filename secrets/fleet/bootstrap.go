package fleet

import (
	"context"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/storage"
)

// kindBootstrap is the record kind saying a store's admin token was made.
const kindBootstrap = "apitoken.bootstrap"

// bootstrapLease is how long a starting process may take to issue the
// bootstrap token before another may try: a process that died between
// taking the lease and issuing leaves no store without a way in.
const bootstrapLease = time.Minute

// BootstrapAPIToken runs toks.Bootstrap (toks over APITokenStore(st)) once
// per store, however many processes start on it at once: the one that
// creates the store's bootstrap record (storage's create-if-absent, of
// racing writers exactly one wins) issues the admin token; every other,
// and every later start, gets a zero Value and a nil record. So exactly
// one process prints the token. The record is a lease until the token is
// issued: if its holder dies first, a start a minute later tries again
// (and Bootstrap still issues nothing when any token exists).
func BootstrapAPIToken(ctx context.Context, st *storage.Store, toks *apitoken.Tokens, namespace string) (secrets.Value, *apitoken.Record, error) {
	lease, err := st.PutRecord(ctx, &storage.Record{Kind: kindBootstrap, Key: namespace, Data: []byte("issuing"),
		ExpireTime: time.Now().Add(bootstrapLease)})
	switch errcode.Of(err) {
	case errcode.OK:
	case errcode.AlreadyExists:
		return secrets.Value{}, nil, nil // another process has it, or had it
	default:
		return secrets.Value{}, nil, err
	}
	tok, rec, err := toks.Bootstrap(ctx, namespace)
	if err != nil {
		_ = st.DeleteRecord(context.WithoutCancel(ctx), kindBootstrap, namespace, lease.Revision)
		return secrets.Value{}, nil, err
	}
	// Done for good: the record no longer expires. If this write fails the
	// lease expires, and a later start's Bootstrap finds the token.
	lease.Data, lease.ExpireTime = []byte("issued"), time.Time{}
	_, _ = st.PutRecord(ctx, lease)
	return tok, rec, nil
}
