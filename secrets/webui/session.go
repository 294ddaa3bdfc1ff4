package webui

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
)

// SessionStore keeps the page's sessions on the server. Keys are the
// base64url SHA-256 of a session id (the cookie's value), never the id, so
// that whoever reads the store cannot take a session over; data is the
// page's own encoding of a session (principal, CSRF token, one-time
// message, a reference to the credential: never a token in clear), at
// most MaxSessionBytes.
//
// Implementations must be safe for concurrent use and answer with the
// secrets error codes: ErrNotFound for an absent or expired session,
// ErrAlreadyExists for a create of a key that holds an unexpired session,
// ErrConflict for an update at a revision that is not the current one,
// ErrUnavailable when the backend cannot answer. Reads must ignore
// sessions past their expiry (the page checks the expiry it encoded too).
//
// NewMemorySessionStore keeps them in one process; fleet.WebSessions keeps
// them in a storage.Store's records, shared by every instance on it.
// Package webuitest checks an implementation against this contract.
type SessionStore interface {
	// CreateSession stores a new session, expiring at expires, and
	// returns its revision.
	CreateSession(ctx context.Context, key string, data []byte, expires time.Time) (revision int64, err error)
	// GetSession returns a session's data and its revision.
	GetSession(ctx context.Context, key string) (data []byte, revision int64, err error)
	// UpdateSession replaces a session's data if revision is the current
	// one (ErrConflict if it moved, ErrNotFound if the session is gone or
	// expired), and returns the new revision. The expiry stays: an update
	// never extends a session, nor brings an expired one back.
	UpdateSession(ctx context.Context, key string, data []byte, revision int64) (newRevision int64, err error)
	// DeleteSession removes a session; deleting an absent one succeeds.
	DeleteSession(ctx context.Context, key string) error
}

// MaxSessionBytes bounds the data of one session. A one-time message that
// would not fit (a form shown again with very long fields) is stored
// without its form.
const MaxSessionBytes = 16 << 10

// maxSessions bounds the in-memory session store: when it is full, the
// session closest to its expiry is dropped to make room.
const maxSessions = 10000

// newToken returns 32 random bytes, base64url-encoded: a session id or
// a CSRF token.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand crashes the program rather than return an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokensEqual compares two tokens in time that does not depend on where
// they first differ.
func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sessionKey is the store key of a session id: its SHA-256, so that
// neither a store dump nor lookup timing gives the id away.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// session is what the server remembers about one signed-in browser.
type session struct {
	key string // SessionStore key
	rev int64  // SessionStore revision it was read at

	principal rbac.Principal
	// direct is true for a session made for a principal the Authenticator
	// accepted from the request itself: it carries only the CSRF token and
	// flashes, and is dropped if the request's principal changes.
	direct bool
	// tokenID and tokenDigest name the API token (of Options.APITokens)
	// the session was signed in with; it is verified by them on every
	// request.
	tokenID     string
	tokenDigest []byte
	// sealed is any other bearer credential the session was signed in
	// with, encrypted under a key derived from the session id (which the
	// store never sees), presented to the Authenticator on every request.
	// OIDC sessions have neither.
	sealed  []byte
	csrf    string
	expires time.Time
	flash   *flash
}

// sessionJSON is a session's encoding in the SessionStore.
type sessionJSON struct {
	Kind        rbac.Kind   `json:"kind"`
	ID          string      `json:"id"`
	Namespace   string      `json:"namespace"`
	Roles       []rbac.Role `json:"roles"`
	Direct      bool        `json:"direct,omitempty"`
	TokenID     string      `json:"tokenId,omitempty"`
	TokenDigest []byte      `json:"tokenDigest,omitempty"`
	Sealed      []byte      `json:"sealed,omitempty"`
	CSRF        string      `json:"csrf"`
	Expires     time.Time   `json:"expires"`
	Flash       *flash      `json:"flash,omitempty"`
}

// encodeSession encodes s, dropping a flash's form (then the whole flash)
// if the result would exceed MaxSessionBytes.
func encodeSession(s *session) ([]byte, error) {
	j := sessionJSON{Kind: s.principal.Kind, ID: s.principal.ID, Namespace: s.principal.Namespace, Roles: s.principal.Roles,
		Direct: s.direct, TokenID: s.tokenID, TokenDigest: s.tokenDigest, Sealed: s.sealed, CSRF: s.csrf, Expires: s.expires.UTC(), Flash: s.flash}
	for {
		data, err := json.Marshal(j)
		if err != nil {
			return nil, errcode.Wrap(errcode.Internal, "webui.session", err)
		}
		switch {
		case len(data) <= MaxSessionBytes:
			return data, nil
		case j.Flash != nil && j.Flash.Form != nil:
			f := *j.Flash
			f.Form, f.FormFor = nil, ""
			j.Flash = &f
		case j.Flash != nil:
			j.Flash = nil
		default:
			return nil, errcode.New(errcode.Internal, "webui.session", "a session does not fit in MaxSessionBytes")
		}
	}
}

// decodeSession is the strict reader of encodeSession's output: unknown
// fields, a missing or invalid principal, a CSRF token of another form or
// a credential of the wrong size make the session unusable (the caller
// treats it as absent).
func decodeSession(data []byte) (*session, error) {
	bad := errcode.New(errcode.Internal, "webui.session", "a stored session does not decode")
	if len(data) > MaxSessionBytes {
		return nil, bad
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var j sessionJSON
	if err := dec.Decode(&j); err != nil || dec.More() {
		return nil, bad
	}
	s := &session{principal: rbac.Principal{Kind: j.Kind, ID: j.ID, Namespace: j.Namespace, Roles: j.Roles},
		direct: j.Direct, tokenID: j.TokenID, tokenDigest: j.TokenDigest, sealed: j.Sealed, csrf: j.CSRF, expires: j.Expires, flash: j.Flash}
	switch {
	case !s.principal.Valid(), len(s.csrf) != len(newToken()), s.expires.IsZero(),
		s.tokenID != "" && (len(s.tokenDigest) != sha256.Size || len(s.sealed) != 0),
		s.tokenID == "" && len(s.tokenDigest) != 0,
		len(s.sealed) != 0 && len(s.sealed) < sealOverhead,
		s.direct && (s.tokenID != "" || len(s.sealed) != 0):
		return nil, bad
	}
	return s, nil
}

// Sealing a bearer credential: AES-256-GCM under HMAC-SHA256(session id,
// label), with the store key as additional data. The store holds the
// SHA-256 of the id, from which this key cannot be derived: a store reader
// learns nothing of the credential; the browser's cookie opens it.
const (
	sealLabel    = "strongbox webui session credential v1"
	sealOverhead = 12 + 16 // nonce and tag
)

func sealAEAD(sid string) cipher.AEAD {
	m := hmac.New(sha256.New, []byte(sid))
	m.Write([]byte(sealLabel))
	block, _ := aes.NewCipher(m.Sum(nil)) // 32 bytes: never fails
	aead, _ := cipher.NewGCM(block)       // standard sizes: never fails
	return aead
}

func sealCredential(sid, key, cred string) []byte {
	aead := sealAEAD(sid)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, []byte(cred), []byte(key))
}

func openCredential(sid, key string, sealed []byte) (string, bool) {
	aead := sealAEAD(sid)
	if len(sealed) < sealOverhead {
		return "", false
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(key))
	return string(out), err == nil
}

// sessions is the page's use of its SessionStore.
type sessions struct {
	store     SessionStore
	now       func() time.Time
	lifetime  time.Duration
	apiTokens *apitoken.Tokens // nil: API tokens are sealed like any credential
}

// create stores a new session for p and returns its id. cred is the
// bearer credential signed in with ("" for direct and OIDC sessions): an
// API token of s.apiTokens is kept as its id and digest, any other sealed.
func (s *sessions) create(ctx context.Context, p rbac.Principal, direct bool, cred string) (string, *session, error) {
	for {
		id := newToken()
		sess := &session{key: sessionKey(id), principal: p, direct: direct, csrf: newToken(), expires: s.now().Add(s.lifetime)}
		switch tid, ok := apitoken.IDOf(cred); {
		case cred == "":
		case ok && s.apiTokens != nil:
			sum := sha256.Sum256([]byte(cred))
			sess.tokenID, sess.tokenDigest = tid, sum[:]
		default:
			sess.sealed = sealCredential(id, sess.key, cred)
		}
		data, err := encodeSession(sess)
		if err != nil {
			return "", nil, err
		}
		rev, err := s.store.CreateSession(ctx, sess.key, data, sess.expires)
		if errors.Is(err, secrets.ErrAlreadyExists) {
			continue // 256 random bits collided: not in this universe, but be correct
		}
		if err != nil {
			return "", nil, err
		}
		sess.rev = rev
		return id, sess, nil
	}
}

// get returns the session with the given id, nil when there is none, it
// expired or it does not decode, or an error when the store cannot answer.
func (s *sessions) get(ctx context.Context, id string) (*session, error) {
	if id == "" || len(id) > 2*len(newToken()) {
		return nil, nil
	}
	key := sessionKey(id)
	data, rev, err := s.store.GetSession(ctx, key)
	switch {
	case errors.Is(err, secrets.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	sess, err := decodeSession(data)
	if err != nil || !s.now().Before(sess.expires) {
		// Expired by the page's clock, or not a session this page wrote:
		// unusable either way, so gone.
		s.store.DeleteSession(ctx, key)
		return nil, nil
	}
	sess.key, sess.rev = key, rev
	return sess, nil
}

// setFlash replaces the session's one-time message (f nil clears it),
// rereading the session if another request changed it meanwhile.
func (s *sessions) setFlash(ctx context.Context, id string, sess *session, f *flash) error {
	for range 5 {
		sess.flash = f
		data, err := encodeSession(sess)
		if err != nil {
			return err
		}
		rev, err := s.store.UpdateSession(ctx, sess.key, data, sess.rev)
		if err == nil {
			sess.rev = rev
			return nil
		}
		if !errors.Is(err, secrets.ErrConflict) {
			return err
		}
		cur, err := s.get(ctx, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return secrets.ErrNotFound
		}
		*sess = *cur
	}
	return errcode.New(errcode.Unavailable, "webui.session", "the session kept changing")
}

// takeFlash returns the session's one-time message and clears it.
func (s *sessions) takeFlash(ctx context.Context, id string, sess *session) (*flash, error) {
	f := sess.flash
	if f == nil {
		return nil, nil
	}
	if err := s.setFlash(ctx, id, sess, nil); err != nil {
		return nil, err
	}
	return f, nil
}

// delete ends the session with the given id.
func (s *sessions) delete(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, sessionKey(id))
}

// NewMemorySessionStore returns a SessionStore in this process's memory,
// for tests and single-process embeddings: its sessions are private to
// the process and end with it. It holds at most 10,000 sessions; when
// full, the one closest to its expiry is dropped.
func NewMemorySessionStore() SessionStore { return newMemorySessionStore(time.Now) }

func newMemorySessionStore(now func() time.Time) *memorySessionStore {
	return &memorySessionStore{sessions: map[string]*memorySession{}, now: now}
}

type memorySessionStore struct {
	mu       sync.Mutex
	sessions map[string]*memorySession
	now      func() time.Time
}

type memorySession struct {
	data    []byte
	rev     int64
	expires time.Time
}

func checkSession(op, key string, data []byte) error {
	if key == "" || len(key) > 512 {
		return errcode.New(errcode.Invalid, op, "session key must be 1 to 512 bytes")
	}
	if len(data) > MaxSessionBytes {
		return errcode.New(errcode.Invalid, op, "session data exceeds MaxSessionBytes")
	}
	return nil
}

// CreateSession implements SessionStore.
func (m *memorySessionStore) CreateSession(ctx context.Context, key string, data []byte, expires time.Time) (int64, error) {
	const op = "webui.MemorySessionStore.CreateSession"
	if err := checkSession(op, key, data); err != nil {
		return 0, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var rev int64
	if old, ok := m.sessions[key]; ok {
		if now.Before(old.expires) {
			return 0, errcode.New(errcode.AlreadyExists, op, "a session with this key exists")
		}
		rev = old.rev
	}
	if len(m.sessions) >= maxSessions {
		for k, v := range m.sessions {
			if !now.Before(v.expires) {
				delete(m.sessions, k)
			}
		}
	}
	if len(m.sessions) >= maxSessions {
		var oldest string
		var first time.Time
		for k, v := range m.sessions {
			if first.IsZero() || v.expires.Before(first) {
				oldest, first = k, v.expires
			}
		}
		delete(m.sessions, oldest)
	}
	m.sessions[key] = &memorySession{data: slices.Clone(data), rev: rev + 1, expires: expires}
	return rev + 1, nil
}

// GetSession implements SessionStore.
func (m *memorySessionStore) GetSession(ctx context.Context, key string) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.sessions[key]
	if !ok || !m.now().Before(v.expires) {
		return nil, 0, errcode.New(errcode.NotFound, "webui.MemorySessionStore.GetSession", "no such session")
	}
	return slices.Clone(v.data), v.rev, nil
}

// UpdateSession implements SessionStore.
func (m *memorySessionStore) UpdateSession(ctx context.Context, key string, data []byte, revision int64) (int64, error) {
	const op = "webui.MemorySessionStore.UpdateSession"
	if err := checkSession(op, key, data); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.sessions[key]
	switch {
	case !ok || !m.now().Before(v.expires):
		return 0, errcode.New(errcode.NotFound, op, "no such session")
	case v.rev != revision:
		return 0, errcode.New(errcode.Conflict, op, "the session changed")
	}
	v.data, v.rev = slices.Clone(data), v.rev+1
	return v.rev, nil
}

// DeleteSession implements SessionStore.
func (m *memorySessionStore) DeleteSession(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, key)
	return nil
}
