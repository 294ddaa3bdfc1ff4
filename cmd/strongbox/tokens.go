package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/oidcauth"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/service"
	"github.com/strongbox-go/strongbox/storage"
)

const (
	// adminNamespace is the namespace of the bootstrap admin token.
	adminNamespace = "default"
	// runSubject is the run identity of run tokens whose request names
	// none: the decrypter a secret lists for k6 runs.
	runSubject = "k6"
	// apiTokensFile kept the API tokens' records (digests, never tokens)
	// in the data directory before they moved to the store; a start
	// imports it and renames it to apiTokensFile+importedSuffix.
	apiTokensFile  = "apitokens.json"
	importedSuffix = ".imported"
	// runTokenKeyID names the run-token signing key every instance on a
	// store shares (fleet.RunTokenKey).
	runTokenKeyID = "strongbox-1"
)

// openAPITokens opens the API tokens kept in the store, shared by every
// instance on it, decided and audited by the Manager. It first imports the
// data directory's apitokens.json of an earlier version, if any, and
// renames the file, so that a token revoked later is not imported again.
func openAPITokens(ctx context.Context, dir *service.DataDir, st *storage.Store, m *secrets.Manager, logger *slog.Logger) (*apitoken.Tokens, error) {
	store := fleet.APITokenStore(st)
	file := filepath.Join(dir.Path(), apiTokensFile)
	if _, err := os.Stat(file); err == nil {
		n, err := importAPITokens(ctx, file, store)
		if err != nil {
			return nil, fmt.Errorf("importing %s into the store: %s", file, oneLine(err.Error()))
		}
		if err := os.Rename(file, file+importedSuffix); err != nil {
			return nil, fmt.Errorf("%s was imported into the store but cannot be renamed (%s): rename it to %s", file, reasonOf(err), apiTokensFile+importedSuffix)
		}
		logger.Info("strongbox imported the data directory's API tokens into the store", "tokens", n, "file", apiTokensFile+importedSuffix)
	}
	return apitoken.New(apitoken.Options{Store: store, Guard: m})
}

// importAPITokens copies every record of the file store into store; a
// record already there (an interrupted import) is kept.
func importAPITokens(ctx context.Context, file string, store apitoken.Store) (int, error) {
	fs, err := apitoken.OpenFileStore(file)
	if err != nil {
		return 0, err
	}
	recs, err := fs.List(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		r.Revision = 0
		if _, err := store.Put(ctx, r); err != nil && !errors.Is(err, secrets.ErrAlreadyExists) {
			return n, err
		}
		n++
	}
	return n, nil
}

// instanceName names this process in the shared key configuration's
// heartbeats, which RemoveKEK and SetPrimary quote when they refuse:
// host and process id, so that an operator can find it, and a random
// suffix, since containers may share both.
func instanceName() string {
	h, _ := os.Hostname()
	if h == "" {
		h = "strongbox"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", h, os.Getpid(), b)
}

// openOIDC returns the OIDC authenticator the --oidc-* flags describe, or
// nil without --oidc-issuer. The issuer must answer now: a wrong URL is
// refused at startup, not at the first request.
func openOIDC(ctx context.Context, cfg serveConfig) (*oidcauth.Authenticator, error) {
	if cfg.oidcIssuer == "" {
		if cfg.oidcAudience != "" || len(cfg.oidcRoles) > 0 {
			return nil, errors.New("--oidc-audience and --oidc-role need --oidc-issuer")
		}
		return nil, nil
	}
	if cfg.oidcAudience == "" || len(cfg.oidcRoles) == 0 {
		return nil, errors.New("--oidc-issuer needs --oidc-audience and at least one --oidc-role GROUP=ROLE")
	}
	known := rbac.DefaultRoles()
	roleMap := map[string][]rbac.Role{}
	for _, gr := range cfg.oidcRoles {
		group, role, ok := strings.Cut(gr, "=")
		if _, isRole := known[rbac.Role(role)]; !ok || group == "" || !isRole || rbac.Role(role) == rbac.RoleDecrypter {
			return nil, fmt.Errorf("--oidc-role %q: want GROUP=ROLE with ROLE one of %s", gr, roleNames(known))
		}
		roleMap[group] = append(roleMap[group], rbac.Role(role))
	}
	ns := cfg.oidcNamespace
	if cfg.oidcNamespaceClaim != "" {
		ns = ""
	}
	a, err := oidcauth.New(ctx, oidcauth.Config{Issuer: cfg.oidcIssuer, Audience: cfg.oidcAudience, Namespace: ns,
		NamespaceClaim: cfg.oidcNamespaceClaim, SubjectClaim: cfg.oidcSubjectClaim, RolesClaim: cfg.oidcRolesClaim, RoleMap: roleMap})
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer %s: %s: check the URL and that the issuer serves /.well-known/openid-configuration", storeName(cfg.oidcIssuer), oneLine(err.Error()))
	}
	return a, nil
}

func roleNames(roles map[rbac.Role][]rbac.Action) string {
	var names []string
	for r := range roles {
		if r != rbac.RoleDecrypter {
			names = append(names, string(r))
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
