package fleet

import (
	"context"
	"encoding/json"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/storage"
)

// kindAPIToken is the record kind of API tokens.
const kindAPIToken = "apitoken"

// APITokenStore returns an apitoken.Store kept in st's records, shared by
// every process on st and durable. st must stay open while it is used.
func APITokenStore(st *storage.Store) apitoken.Store { return &apiTokens{st: st} }

type apiTokens struct{ st *storage.Store }

// Put implements apitoken.Store.
func (a *apiTokens) Put(ctx context.Context, rec apitoken.Record) (int64, error) {
	const op = "fleet.APITokenStore.Put"
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, errcode.Wrap(errcode.Internal, op, err)
	}
	out, err := a.st.PutRecord(ctx, &storage.Record{Kind: kindAPIToken, Key: rec.ID, Data: data, Revision: rec.Revision})
	if err != nil {
		return 0, err
	}
	return out.Revision, nil
}

// Get implements apitoken.Store.
func (a *apiTokens) Get(ctx context.Context, id string) (apitoken.Record, error) {
	r, err := a.st.GetRecord(ctx, kindAPIToken, id)
	if err != nil {
		return apitoken.Record{}, err
	}
	return decodeToken(r)
}

func decodeToken(r *storage.Record) (apitoken.Record, error) {
	var rec apitoken.Record
	if err := json.Unmarshal(r.Data, &rec); err != nil {
		// The record's bytes are not quoted: they hold a digest.
		return apitoken.Record{}, errcode.New(errcode.Internal, "fleet.APITokenStore", "an API token record does not decode")
	}
	rec.Revision = r.Revision
	return rec, nil
}

// List implements apitoken.Store. Records are listed in key order, which
// is id order.
func (a *apiTokens) List(ctx context.Context, namespace string) ([]apitoken.Record, error) {
	out := []apitoken.Record{}
	token := ""
	for {
		page, next, err := a.st.ListRecords(ctx, kindAPIToken, storage.MaxPageSize, token)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			rec, err := decodeToken(r)
			if err != nil {
				return nil, err
			}
			if namespace == "" || rec.Namespace == namespace {
				out = append(out, rec)
			}
		}
		if next == "" {
			return out, nil
		}
		token = next
	}
}

// Delete implements apitoken.Store.
func (a *apiTokens) Delete(ctx context.Context, id string, revision int64) error {
	for {
		rev := revision
		if rev == 0 {
			r, err := a.st.GetRecord(ctx, kindAPIToken, id)
			if err != nil {
				return err
			}
			rev = r.Revision
		}
		err := a.st.DeleteRecord(ctx, kindAPIToken, id, rev)
		if revision == 0 && errcode.Of(err) == errcode.Conflict {
			continue // changed between the read and the delete
		}
		return err
	}
}
