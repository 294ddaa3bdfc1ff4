package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/oidcauth"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/service"
)

const (
	// adminNamespace is the namespace of the bootstrap admin token.
	adminNamespace = "default"
	// runSubject is the run identity of run tokens whose request names
	// none: the decrypter a secret lists for k6 runs.
	runSubject = "k6"
	// apiTokensFile keeps the API tokens' records (digests, never tokens)
	// in the data directory.
	apiTokensFile = "apitokens.json"
)

// openAPITokens opens the API tokens kept in the data directory, decided
// and audited by the Manager.
func openAPITokens(dir *service.DataDir, m *secrets.Manager) (*apitoken.Tokens, error) {
	fs, err := apitoken.OpenFileStore(filepath.Join(dir.Path(), apiTokensFile))
	if err != nil {
		return nil, err
	}
	return apitoken.New(apitoken.Options{Store: fs, Guard: m})
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
