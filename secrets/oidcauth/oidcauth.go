package oidcauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/strongbox-go/strongbox/internal/bearer"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/strictjson"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// MaxTokenLength is the longest bearer token Authenticate reads; longer
// ones are refused before any decoding.
const MaxTokenLength = 16 << 10

// DefaultAlgorithms are the signing algorithms accepted when
// Config.Algorithms is nil: asymmetric only (never "none" nor HMAC).
var DefaultAlgorithms = []string{oidc.RS256, oidc.PS256, oidc.ES256, oidc.EdDSA}

// Config configures an Authenticator. Issuer, Audience, RoleMap and one of
// Namespace or NamespaceClaim are required.
type Config struct {
	// Issuer is the issuer URL: it must equal the tokens' "iss" and serve
	// Issuer + "/.well-known/openid-configuration", whose jwks_uri gives
	// the signing keys.
	Issuer string
	// Audience must be among the tokens' "aud".
	Audience string
	// Algorithms are the accepted "alg" values; nil means
	// DefaultAlgorithms.
	Algorithms []string
	// SubjectClaim holds the principal ID; "" means "sub". A dotted name
	// ("realm_access.roles") walks nested objects, for every claim option.
	SubjectClaim string
	// NamespaceClaim holds the namespace; "" means every principal is in
	// Namespace.
	NamespaceClaim string
	Namespace      string
	// RolesClaim holds the caller's groups or roles, a string or an array
	// of strings; "" means "groups".
	RolesClaim string
	// RoleMap maps each value of RolesClaim to the rbac roles it grants.
	// Values absent from the map grant nothing; a token whose values grant
	// no role is refused.
	RoleMap map[string][]rbac.Role
	// HTTPClient fetches discovery and keys; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now returns the current time, for expiry; nil means time.Now.
	Now func() time.Time
}

// Authenticator verifies OIDC/JWT bearer tokens and maps their claims to a
// principal; it implements httpapi.Authenticator. It is safe for
// concurrent use.
type Authenticator struct {
	verifier *oidc.IDTokenVerifier
	cfg      Config
}

var _ httpapi.Authenticator = (*Authenticator)(nil)

// New fetches the issuer's discovery document and returns an
// Authenticator. It fails with secrets.ErrInvalid for an incomplete
// Config and with code Unavailable when discovery fails (the issuer must
// answer at startup).
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	const op = "oidcauth.New"
	switch {
	case cfg.Issuer == "" || cfg.Audience == "":
		return nil, errcode.New(errcode.Invalid, op, "Config.Issuer and Config.Audience are required")
	case (cfg.Namespace == "") == (cfg.NamespaceClaim == ""):
		return nil, errcode.New(errcode.Invalid, op, "set one of Config.Namespace and Config.NamespaceClaim")
	case cfg.Namespace != "" && names.Namespace("", cfg.Namespace) != nil:
		return nil, errcode.New(errcode.Invalid, op, "Config.Namespace is not a valid namespace")
	case len(cfg.RoleMap) == 0:
		return nil, errcode.New(errcode.Invalid, op, "Config.RoleMap is required: it says which claim values grant which roles")
	}
	if slices.Contains(cfg.Algorithms, "none") || slices.ContainsFunc(cfg.Algorithms, func(a string) bool { return strings.HasPrefix(a, "HS") }) {
		return nil, errcode.New(errcode.Invalid, op, `Config.Algorithms may not hold "none" or an HMAC algorithm`)
	}
	if cfg.SubjectClaim == "" {
		cfg.SubjectClaim = "sub"
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "groups"
	}
	if cfg.Algorithms == nil {
		cfg.Algorithms = DefaultAlgorithms
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	rm := make(map[string][]rbac.Role, len(cfg.RoleMap))
	for k, v := range cfg.RoleMap {
		rm[k] = slices.Clone(v)
	}
	cfg.RoleMap = rm
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		// The error names the issuer URL and the HTTP failure, no token.
		return nil, errcode.Wrap(errcode.Unavailable, op, err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	v := p.VerifierContext(ctx, &oidc.Config{ClientID: cfg.Audience, SupportedSigningAlgs: cfg.Algorithms, Now: now})
	return &Authenticator{verifier: v, cfg: cfg}, nil
}

// Errors of Authenticate and Verify: each matches httpapi.ErrUnauthenticated.
var (
	errInvalid = errors.Join(httpapi.ErrUnauthenticated, errors.New("oidcauth: token signature, issuer, audience or algorithm does not verify"))
	errExpired = errors.Join(httpapi.ErrUnauthenticated, errors.New("oidcauth: token expired"))
	errClaims  = errors.Join(httpapi.ErrUnauthenticated, errors.New("oidcauth: token claims name no valid principal"))
	errNoRole  = errors.Join(httpapi.ErrUnauthenticated, errors.New("oidcauth: token claims grant no role"))
)

// Authenticate implements httpapi.Authenticator: a bearer token in the
// JWS compact form (three dot-separated parts) is verified; any other
// request gets httpapi.ErrNoCredentials, so Authenticator chains
// (httpapi.Chain) with others.
func (a *Authenticator) Authenticate(r *http.Request) (rbac.Principal, error) {
	tok, ok := bearer.Token(r)
	if !ok || strings.Count(tok, ".") != 2 {
		return rbac.Principal{}, httpapi.ErrNoCredentials
	}
	return a.Verify(r.Context(), tok)
}

// Verify checks a raw JWT (signature against the issuer's keys, "iss",
// "aud", "exp", algorithm) and returns the principal its claims map to, as
// the package documentation describes. Errors match
// httpapi.ErrUnauthenticated and never contain the token or a claim value.
func (a *Authenticator) Verify(ctx context.Context, token string) (rbac.Principal, error) {
	if len(token) > MaxTokenLength {
		return rbac.Principal{}, errInvalid
	}
	idt, err := a.verifier.Verify(ctx, token)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return rbac.Principal{}, errExpired
		}
		if errcode.IsContext(err) {
			return rbac.Principal{}, err
		}
		return rbac.Principal{}, errInvalid
	}
	var raw json.RawMessage
	if err := idt.Claims(&raw); err != nil {
		return rbac.Principal{}, errClaims
	}
	return a.principal(raw)
}

// principal maps a verified token's claims (JSON) to a principal.
func (a *Authenticator) principal(raw []byte) (rbac.Principal, error) {
	// Strictly: a claim given twice ("sub" and "sub", or "groups" and
	// "GROUPS") is refused rather than read one way here and another way
	// by the issuer's audit or a gateway.
	var claims map[string]any
	if err := strictjson.Decode(raw, &claims); err != nil || claims == nil {
		return rbac.Principal{}, errClaims
	}
	sub, ok := lookup(claims, a.cfg.SubjectClaim).(string)
	if !ok {
		return rbac.Principal{}, errClaims
	}
	ns := a.cfg.Namespace
	if a.cfg.NamespaceClaim != "" {
		ns, ok = lookup(claims, a.cfg.NamespaceClaim).(string)
		if !ok || names.Namespace("", ns) != nil {
			return rbac.Principal{}, errClaims
		}
	}
	var values []string
	switch v := lookup(claims, a.cfg.RolesClaim).(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	var roles []rbac.Role
	for _, v := range values {
		for _, r := range a.cfg.RoleMap[v] {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	p := rbac.Principal{Kind: rbac.KindUser, ID: sub, Namespace: ns, Roles: roles}
	switch {
	case !p.Valid():
		return rbac.Principal{}, errClaims
	case len(roles) == 0:
		return rbac.Principal{}, errNoRole
	}
	return p, nil
}

// lookup returns the claim at a dotted path, or nil.
func lookup(claims map[string]any, path string) any {
	var cur any = claims
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// String describes the Authenticator by issuer and audience.
func (a *Authenticator) String() string {
	return fmt.Sprintf("oidcauth.Authenticator(%s, aud %s)", a.cfg.Issuer, a.cfg.Audience)
}
