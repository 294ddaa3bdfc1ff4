package fleet

import (
	"context"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// kindWebSession is the record kind of the secrets page's sessions.
const kindWebSession = "webui.session"

// WebSessions returns a session store for the secrets page
// (webui.Options.Sessions, a webui.SessionStore) kept in st's records, so
// that every instance on st shares the page's sign-ins: a session made
// through one instance is used through any other, a sign-out through one
// ends it on all, and a restart keeps it. Records are of kind
// "webui.session", keyed by the SHA-256 of the session id (never the id),
// expiring with the session. st must stay open while it is used.
func WebSessions(st *storage.Store) *WebSessionStore { return &WebSessionStore{st: st} }

// WebSessionStore is the store WebSessions returns. It implements
// webui.SessionStore (this package does not import webui: the page's
// handler is not part of the fleet's state).
type WebSessionStore struct{ st *storage.Store }

// CreateSession stores a new session record expiring at expires.
func (w *WebSessionStore) CreateSession(ctx context.Context, key string, data []byte, expires time.Time) (int64, error) {
	out, err := w.st.PutRecord(ctx, &storage.Record{Kind: kindWebSession, Key: key, Data: data, ExpireTime: expires})
	if err != nil {
		return 0, err
	}
	return out.Revision, nil
}

// GetSession returns a session's data and revision; an expired session
// reads as secrets.ErrNotFound.
func (w *WebSessionStore) GetSession(ctx context.Context, key string) ([]byte, int64, error) {
	r, err := w.st.GetRecord(ctx, kindWebSession, key)
	if err != nil {
		return nil, 0, err
	}
	return r.Data, r.Revision, nil
}

// UpdateSession replaces a session's data at revision, keeping its
// expiry. It reads the record first: storage would update an expired
// record at its revision, and a session must not come back (the page also
// checks the expiry it encoded).
func (w *WebSessionStore) UpdateSession(ctx context.Context, key string, data []byte, revision int64) (int64, error) {
	const op = "fleet.WebSessions.UpdateSession"
	cur, err := w.st.GetRecord(ctx, kindWebSession, key)
	switch {
	case err != nil:
		return 0, err
	case cur.Revision != revision:
		return 0, errcode.New(errcode.Conflict, op, "the session changed")
	}
	out, err := w.st.PutRecord(ctx, &storage.Record{Kind: kindWebSession, Key: key, Data: data, Revision: revision, ExpireTime: cur.ExpireTime})
	if err != nil {
		return 0, err
	}
	return out.Revision, nil
}

// DeleteSession deletes a session's record; an absent one is no error.
func (w *WebSessionStore) DeleteSession(ctx context.Context, key string) error {
	for {
		r, err := w.st.GetRecord(ctx, kindWebSession, key)
		if errcode.Of(err) == errcode.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		err = w.st.DeleteRecord(ctx, kindWebSession, key, r.Revision)
		switch errcode.Of(err) {
		case errcode.Conflict:
			continue // changed between the read and the delete (a flash)
		case errcode.NotFound:
			return nil
		}
		return err
	}
}
