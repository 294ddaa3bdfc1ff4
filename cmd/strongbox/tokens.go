package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// apiTokens is what serve needs of API tokens (issue #13 item 3): an
// Authenticator for the management API and, on the first start, the admin
// token. Serve depends on this narrow interface only, so the API-token
// package replaces interimTokens without other changes.
type apiTokens interface {
	httpapi.Authenticator
	// Bootstrap creates the admin token when none exists and returns it
	// (shown once); otherwise it returns "", false.
	Bootstrap(ctx context.Context) (token string, created bool, err error)
}

// adminNamespace is the namespace the bootstrap admin token acts in.
const adminNamespace = "default"

// interimTokens is a stand-in until the API-token package lands: one admin
// token whose SHA-256 is kept in a 0600 file of the data directory, so the
// token itself is never stored. It is a 256-bit random string, so an
// unsalted hash is enough.
type interimTokens struct {
	path string
	hash [sha256.Size]byte
	set  bool
}

const interimTokenPrefix = "sbat1_"

func newInterimTokens(dataDir string) (*interimTokens, error) {
	t := &interimTokens{path: filepath.Join(dataDir, "admin-token.sha256")}
	b, err := os.ReadFile(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("file %s cannot be read: fix its permissions", t.path)
	}
	h, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(h) != sha256.Size {
		return nil, fmt.Errorf("file %s is not a token hash: restore it from a backup", t.path)
	}
	copy(t.hash[:], h)
	t.set = true
	return t, nil
}

func (t *interimTokens) Bootstrap(context.Context) (string, bool, error) {
	if t.set {
		return "", false, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	tok := interimTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(tok))
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("file %s cannot be made: %w", t.path, errors.Unwrap(err))
	}
	_, err = fmt.Fprintf(f, "%x\n", h)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.path)
		return "", false, fmt.Errorf("file %s cannot be written", t.path)
	}
	t.hash, t.set = h, true
	return tok, true, nil
}

func (t *interimTokens) Authenticate(r *http.Request) (rbac.Principal, error) {
	tok, ok := httpapi.BearerToken(r)
	if !ok || !strings.HasPrefix(tok, interimTokenPrefix) {
		return rbac.Principal{}, httpapi.ErrNoCredentials
	}
	h := sha256.Sum256([]byte(tok))
	if !t.set || subtle.ConstantTimeCompare(h[:], t.hash[:]) != 1 {
		return rbac.Principal{}, httpapi.ErrUnauthenticated
	}
	return rbac.Principal{Kind: rbac.KindUser, ID: "admin", Namespace: adminNamespace, Roles: []rbac.Role{rbac.RoleAdmin}}, nil
}
