package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/bearer"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// Token route paths.
const (
	pathAPITokens = "/v1/namespaces/{namespace}/apitokens"
	pathAPIToken  = pathAPITokens + "/{id}"
	pathRunTokens = "/v1/namespaces/{namespace}/runtokens"
	pathRunToken  = pathRunTokens + "/{id}"
	pathJWKS      = "/.well-known/jwks.json"
)

// APITokens returns an Authenticator for the API tokens of toks: a bearer
// token starting with apitoken.Prefix ("sbx_") is verified and acts as
// the token's principal; any other request gets ErrNoCredentials, so it
// chains (Chain). A Handler with Options.APITokens uses it already.
func APITokens(toks *apitoken.Tokens) Authenticator {
	return authenticatorFunc(func(r *http.Request) (rbac.Principal, error) {
		tok, ok := bearer.Token(r)
		if !ok || !strings.HasPrefix(tok, apitoken.Prefix) {
			return rbac.Principal{}, ErrNoCredentials
		}
		p, err := toks.Verify(r.Context(), tok)
		if errors.Is(err, apitoken.ErrInvalidToken) {
			// The message is the handler's ("missing or invalid
			// credentials"); the error never holds the token.
			return rbac.Principal{}, errors.Join(ErrUnauthenticated, err)
		}
		return p, err
	})
}

// tokenRouteTable is the route table's part for tokens: the API-token
// routes with Options.APITokens, the run-token routes with
// Options.RunTokenIssuer, the key set whenever run tokens are verified.
func (h *Handler) tokenRouteTable() []route {
	var rs []route
	if h.apiTokens != nil {
		rs = append(rs,
			route{http.MethodPost, pathAPITokens, accessManage, h.createAPIToken},
			route{http.MethodGet, pathAPITokens, accessManage, h.listAPITokens},
			route{http.MethodDelete, pathAPIToken, accessManage, h.revokeAPIToken})
	}
	if h.issuer != nil {
		rs = append(rs,
			route{http.MethodPost, pathRunTokens, accessManage, h.createRunToken},
			route{http.MethodDelete, pathRunToken, accessManage, h.revokeRunToken})
	}
	if h.tokens != nil {
		jwks := h.tokens.JWKS()
		rs = append(rs, route{http.MethodGet, pathJWKS, accessPublic, func(_ context.Context, w http.ResponseWriter, _ *http.Request) error {
			// Public keys: caches may keep them a little while; a rotation
			// publishes the new key before it signs.
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Header().Set("Content-Type", "application/jwk-set+json")
			_, _ = w.Write(jwks)
			return nil
		}})
	}
	return rs
}

// ttl parses the "ttl" member: a Go duration such as "90m" or "720h"; ""
// means the default.
func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, apiError(http.StatusBadRequest, codeInvalid, `ttl must be a positive duration such as "1h" or "720h"`)
	}
	return d, nil
}

// apiTokenBody is the body of POST .../apitokens.
type apiTokenBody struct {
	Subject     string      `json:"subject"`
	Roles       []rbac.Role `json:"roles"`
	TTL         string      `json:"ttl"`
	Description string      `json:"description"`
}

// apiTokenJSON is an API token's metadata in responses: never the token
// nor its digest.
type apiTokenJSON struct {
	ID          string      `json:"id"`
	Namespace   string      `json:"namespace"`
	Subject     string      `json:"subject"`
	Roles       []rbac.Role `json:"roles"`
	Description string      `json:"description,omitempty"`
	CreatedBy   string      `json:"createdBy"`
	CreateTime  time.Time   `json:"createTime"`
	ExpireTime  time.Time   `json:"expireTime"`
}

func apiTokenOf(r apitoken.Record) apiTokenJSON {
	return apiTokenJSON{ID: r.ID, Namespace: r.Namespace, Subject: r.Subject, Roles: r.Roles,
		Description: r.Description, CreatedBy: r.CreatedBy, CreateTime: r.CreatedAt, ExpireTime: r.ExpiresAt}
}

func (h *Handler) createAPIToken(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var body apiTokenBody
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	ttl, err := parseTTL(body.TTL)
	if err != nil {
		return err
	}
	ns := r.PathValue("namespace")
	tok, rec, err := h.apiTokens.Issue(ctx, ns, apitoken.Grant{Subject: body.Subject, Roles: body.Roles, TTL: ttl, Description: body.Description})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/namespaces/"+url.PathEscape(ns)+"/apitokens/"+rec.ID)
	// The one response that holds the token: it is not stored and cannot
	// be read again.
	writeJSON(w, http.StatusCreated, struct {
		apiTokenJSON
		Token string `json:"token"`
	}{apiTokenOf(rec), tok.DangerouslyExpose()})
	return nil
}

func (h *Handler) listAPITokens(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	recs, err := h.apiTokens.List(ctx, r.PathValue("namespace"))
	if err != nil {
		return err
	}
	out := make([]apiTokenJSON, 0, len(recs))
	for _, rec := range recs {
		out = append(out, apiTokenOf(rec))
	}
	writeJSON(w, http.StatusOK, struct {
		APITokens []apiTokenJSON `json:"apiTokens"`
	}{out})
	return nil
}

func (h *Handler) revokeAPIToken(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if err := h.apiTokens.Revoke(ctx, r.PathValue("namespace"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runTokenBody is the body of POST .../runtokens.
type runTokenBody struct {
	// Names are the secrets the run may decrypt; absent or empty with
	// allNames true: the whole namespace.
	Names    []string `json:"names"`
	AllNames bool     `json:"allNames"`
	// Subject is the run identity the secrets list as a decrypter; ""
	// means Options.RunSubject.
	Subject string `json:"subject"`
	TTL     string `json:"ttl"`
}

func (h *Handler) createRunToken(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var body runTokenBody
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	ttl, err := parseTTL(body.TTL)
	if err != nil {
		return err
	}
	if body.Subject == "" {
		body.Subject = h.runSubject
	}
	tok, c, err := h.issuer.IssueFor(ctx, h.m, runtoken.Grant{Namespace: r.PathValue("namespace"), Subject: body.Subject,
		Names: body.Names, AllNames: body.AllNames, TTL: ttl})
	if err != nil {
		return err
	}
	stateOf(r).tokenID = c.ID
	names := c.Names
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusCreated, struct {
		ID         string    `json:"id"`
		Namespace  string    `json:"namespace"`
		Subject    string    `json:"subject"`
		Names      []string  `json:"names"`
		AllNames   bool      `json:"allNames"`
		IssueTime  time.Time `json:"issueTime"`
		ExpireTime time.Time `json:"expireTime"`
		Token      string    `json:"token"`
	}{c.ID, c.Namespace, c.Subject, names, c.Names == nil, c.IssuedAt, c.Expiry, tok})
	return nil
}

func (h *Handler) revokeRunToken(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.issuer.RevokeFor(ctx, h.m, r.PathValue("namespace"), id); err != nil {
		return err
	}
	stateOf(r).tokenID = id
	w.WriteHeader(http.StatusNoContent)
	return nil
}
