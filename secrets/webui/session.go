package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/rbac"
)

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

// credential is a bearer token kept with its session, in this process's
// memory only. It formats as "[redacted]", so a session printed by
// mistake does not show it.
type credential string

func (credential) String() string   { return "[redacted]" }
func (credential) GoString() string { return "[redacted]" }

// session is what the server remembers about one signed-in browser.
type session struct {
	principal rbac.Principal
	// direct is true for a session made for a principal the Authenticator
	// accepted from the request itself: it carries only the CSRF token and
	// flashes, and is dropped if the request's principal changes.
	direct bool
	// cred is the API token the session was signed in with, presented to
	// the Authenticator again on every request ("" for OIDC sessions).
	cred    credential
	csrf    string
	expires time.Time
	flash   *flash
}

// memorySessionStore is the server-side session store: an in-memory map
// with absolute expiry, keyed by the SHA-256 of the session id so that
// neither a map dump nor lookup timing gives the id away. It is private to
// one process: several instances behind one address need a shared store
// (see the package documentation).
type memorySessionStore struct {
	mu       sync.Mutex
	sessions map[[sha256.Size]byte]*session
	now      func() time.Time
	lifetime time.Duration
}

func newMemorySessionStore(now func() time.Time, lifetime time.Duration) *memorySessionStore {
	return &memorySessionStore{sessions: map[[sha256.Size]byte]*session{}, now: now, lifetime: lifetime}
}

func sessionKey(id string) [sha256.Size]byte { return sha256.Sum256([]byte(id)) }

// create stores a new session for p and returns its id.
func (s *memorySessionStore) create(p rbac.Principal, direct bool, cred credential) (id string, sess session) {
	id = newToken()
	now := s.now()
	sess = session{principal: p, direct: direct, cred: cred, csrf: newToken(), expires: now.Add(s.lifetime)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= maxSessions {
		s.sweepLocked(now)
	}
	if len(s.sessions) >= maxSessions {
		var oldest [sha256.Size]byte
		var first time.Time
		for k, v := range s.sessions {
			if first.IsZero() || v.expires.Before(first) {
				oldest, first = k, v.expires
			}
		}
		delete(s.sessions, oldest)
	}
	c := sess
	s.sessions[sessionKey(id)] = &c
	return id, sess
}

func (s *memorySessionStore) sweepLocked(now time.Time) {
	for k, v := range s.sessions {
		if !now.Before(v.expires) {
			delete(s.sessions, k)
		}
	}
}

// get returns a copy of the session with the given id (without its
// flash), and false when there is none or it expired.
func (s *memorySessionStore) get(id string) (session, bool) {
	if id == "" {
		return session{}, false
	}
	k := sessionKey(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.sessions[k]
	if !ok {
		return session{}, false
	}
	if !s.now().Before(v.expires) {
		delete(s.sessions, k)
		return session{}, false
	}
	c := *v
	c.flash = nil
	return c, true
}

// setFlash replaces the session's one-time message.
func (s *memorySessionStore) setFlash(id string, f *flash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.sessions[sessionKey(id)]; ok {
		v.flash = f
	}
}

// takeFlash returns the session's one-time message and clears it.
func (s *memorySessionStore) takeFlash(id string) *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.sessions[sessionKey(id)]
	if !ok {
		return nil
	}
	f := v.flash
	v.flash = nil
	return f
}

func (s *memorySessionStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sessionKey(id))
}
