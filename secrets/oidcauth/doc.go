// Package oidcauth authenticates people and automation to the management
// API of package httpapi with OIDC/JWT bearer tokens from an identity
// provider, verified against the issuer's JWKS (github.com/coreos/go-oidc),
// and maps their claims to an rbac.Principal.
//
//	a, err := oidcauth.New(ctx, oidcauth.Config{
//		Issuer:    "https://login.example.com/realms/acme",
//		Audience:  "strongbox",
//		Namespace: "team-a",
//		RoleMap: map[string][]rbac.Role{
//			"strongbox-admins":  {rbac.RoleAdmin},
//			"strongbox-editors": {rbac.RoleEditor},
//			"k6-authors":        {rbac.RoleTestAuthor},
//		},
//	})
//	h, _ := httpapi.New(httpapi.Options{Manager: m, Authenticator: a})
//
// # Claims
//
// A token is accepted when its signature verifies with a key of the
// issuer's JWKS (fetched from the discovery document's jwks_uri, and
// fetched again for an unknown "kid"), its "alg" is one of
// Config.Algorithms (asymmetric only: never "none" nor HMAC), "iss" equals
// Config.Issuer, "aud" contains Config.Audience, and "exp" has not passed.
// Its claims then map to the principal:
//
//   - ID: the string claim Config.SubjectClaim (default "sub");
//   - Namespace: the string claim Config.NamespaceClaim, which must be a
//     valid namespace, or the fixed Config.Namespace;
//   - Roles: each value of Config.RolesClaim (default "groups"; a string
//     or an array of strings; other elements are ignored) is looked up in
//     Config.RoleMap, and the roles found are united. Values absent from
//     the map grant nothing.
//   - Kind: always rbac.KindUser. Users never decrypt: test runs decrypt
//     with run tokens, never with an identity provider's token.
//
// Claim names may be dotted paths into nested objects
// ("realm_access.roles" for Keycloak). The claims are decoded strictly
// (internal/strictjson): a claim given twice, or twice under names that
// differ only in case, is refused.
//
// # Errors
//
// Authenticate returns httpapi.ErrNoCredentials for a request without a
// bearer token of the JWS compact form, so that it chains with other
// authenticators (httpapi.Chain). Every refusal matches
// httpapi.ErrUnauthenticated (answered 401): a token that does not verify,
// an expired one, claims that name no valid principal, and claims that
// grant no role (deny by default). New fails with code Invalid for an
// incomplete Config and Unavailable when discovery fails.
//
// # Security
//
// Errors are fixed texts: they never contain the token, a claim value or
// go-oidc's message. Tokens over MaxTokenLength are refused before
// decoding. The issuer is trusted for what its claims say: whoever may put
// a user in a group of RoleMap grants that role, so map only groups the
// identity provider's administrators manage. Prefer short-lived tokens;
// there is no revocation besides the issuer's key rotation and expiry.
// A token with an unknown "kid" makes go-oidc fetch the JWKS again (one
// fetch at a time); such tokens fail authentication, which httpapi's
// failed-authentication limit counts per client address, so a client
// cannot make the service hammer the issuer.
package oidcauth
