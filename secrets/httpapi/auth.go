package httpapi

import (
	"crypto/sha256"
	"errors"
	"net/http"

	"github.com/strongbox-go/strongbox/internal/bearer"
	"github.com/strongbox-go/strongbox/rbac"
)

// Authenticator turns a request's credentials into the principal it acts
// as. It returns an error matching ErrUnauthenticated when the credentials
// are missing or not valid (ErrNoCredentials when there are none it
// recognises), and any other error when it could not decide (its code picks
// the status, e.g. 503 for Unavailable). Implementations must be safe for
// concurrent use and must not put the credential in errors.
//
// Run tokens are not checked by an Authenticator but by Options.RunTokens,
// because they carry more than a principal: the names they may decrypt.
type Authenticator interface {
	Authenticate(r *http.Request) (rbac.Principal, error)
}

// authenticatorFunc adapts a function to Authenticator.
type authenticatorFunc func(r *http.Request) (rbac.Principal, error)

// Authenticate calls f.
func (f authenticatorFunc) Authenticate(r *http.Request) (rbac.Principal, error) { return f(r) }

// StaticTokens returns an Authenticator that maps fixed bearer tokens to
// principals, for tests, examples and development servers. It keeps only
// SHA-256 digests of the tokens. Use your identity provider in production.
func StaticTokens(tokens map[string]rbac.Principal) Authenticator {
	byDigest := make(map[[sha256.Size]byte]rbac.Principal, len(tokens))
	for tok, p := range tokens {
		byDigest[sha256.Sum256([]byte(tok))] = p
	}
	return authenticatorFunc(func(r *http.Request) (rbac.Principal, error) {
		tok, ok := bearer.Token(r)
		if !ok {
			return rbac.Principal{}, ErrNoCredentials
		}
		// A map lookup by digest does not reveal, by its timing, how much
		// of a token matched.
		p, ok := byDigest[sha256.Sum256([]byte(tok))]
		if !ok {
			return rbac.Principal{}, errUnknownToken
		}
		return p, nil
	})
}

var errUnknownToken = errors.Join(ErrUnauthenticated, errors.New("unknown bearer token"))

// Chain returns an Authenticator that asks each of auths in turn and
// answers with the first that recognises the request's credentials (does
// not return ErrNoCredentials).
func Chain(auths ...Authenticator) Authenticator {
	return authenticatorFunc(func(r *http.Request) (rbac.Principal, error) {
		for _, a := range auths {
			p, err := a.Authenticate(r)
			if !errors.Is(err, ErrNoCredentials) {
				return p, err
			}
		}
		return rbac.Principal{}, ErrNoCredentials
	})
}
