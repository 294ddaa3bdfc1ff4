package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// RunTokenRequest asks for a run token (POST .../runtokens).
type RunTokenRequest struct {
	// Names are the secrets the run may decrypt; AllNames instead allows
	// the whole namespace. One of them is required.
	Names    []string
	AllNames bool
	// Subject is the run identity the secrets list as a decrypter; ""
	// means the server's default ("k6").
	Subject string
	// TTL is the token's lifetime; 0 means the server's default. The
	// server refuses one over its maximum.
	TTL time.Duration
}

// Token is an issued or listed token's metadata: a run token (from
// Client.IssueRunToken) or an API token (Client.CreateAPIToken and
// Client.ListAPITokens; Roles, Description and CreatedBy are theirs, Names
// and AllNames a run token's). Secret is set only in the answer to an issue,
// the one response that holds it; it prints as [REDACTED].
type Token struct {
	ID          string      `json:"id"`
	Namespace   string      `json:"namespace"`
	Subject     string      `json:"subject"`
	Names       []string    `json:"names,omitempty"`
	AllNames    bool        `json:"allNames,omitempty"`
	Roles       []rbac.Role `json:"roles,omitempty"`
	Description string      `json:"description,omitempty"`
	CreatedBy   string      `json:"createdBy,omitempty"`
	IssueTime   time.Time   `json:"issueTime"`
	ExpireTime  time.Time   `json:"expireTime"`
	// Secret is the bearer token itself; never in JSON.
	Secret secrets.Value `json:"-"`
}

// tokenAnswer is the wire form of a token in answers: the server names the
// issue time createTime for API tokens and issueTime for run tokens.
type tokenAnswer struct {
	ID          string      `json:"id"`
	Namespace   string      `json:"namespace"`
	Subject     string      `json:"subject"`
	Names       []string    `json:"names"`
	AllNames    bool        `json:"allNames"`
	Roles       []rbac.Role `json:"roles"`
	Description string      `json:"description"`
	CreatedBy   string      `json:"createdBy"`
	IssueTime   time.Time   `json:"issueTime"`
	CreateTime  time.Time   `json:"createTime"`
	ExpireTime  time.Time   `json:"expireTime"`
	Token       string      `json:"token"`
}

func (a *tokenAnswer) token() *Token {
	t := &Token{ID: a.ID, Namespace: a.Namespace, Subject: a.Subject, Names: a.Names, AllNames: a.AllNames,
		Roles: a.Roles, Description: a.Description, CreatedBy: a.CreatedBy, IssueTime: a.IssueTime, ExpireTime: a.ExpireTime}
	if t.IssueTime.IsZero() {
		t.IssueTime = a.CreateTime
	}
	if a.Token != "" {
		t.Secret = secrets.NewValue(a.Token)
	}
	return t
}

func ttlString(op string, d time.Duration) (string, error) {
	if d < 0 {
		return "", errcode.New(errcode.Invalid, op, "ttl is negative")
	}
	if d == 0 {
		return "", nil
	}
	return d.String(), nil
}

// IssueRunToken issues a decrypt-only run token in namespace (POST
// .../runtokens); the caller needs rbac.ActionIssueRunToken there (Admin,
// Editor, Test author). The answer's Secret is the token: it is shown
// once and cannot be read again.
func (c *Client) IssueRunToken(ctx context.Context, namespace string, req RunTokenRequest) (*Token, error) {
	ttl, err := ttlString("httpapi.Client.IssueRunToken", req.TTL)
	if err != nil {
		return nil, err
	}
	in := runTokenBody{Names: req.Names, AllNames: req.AllNames, Subject: req.Subject, TTL: ttl}
	var out tokenAnswer
	if _, err := c.do(ctx, http.MethodPost, "/v1/namespaces/"+url.PathEscape(namespace)+"/runtokens", &in, 0, &out); err != nil {
		return nil, err
	}
	if out.Token == "" {
		return nil, errcode.New(errcode.Internal, "httpapi.Client.IssueRunToken", "the answer holds no token")
	}
	return out.token(), nil
}

// RevokeRunToken revokes the run token with id in namespace (DELETE
// .../runtokens/{id}); from then on every process on the store refuses it.
func (c *Client) RevokeRunToken(ctx context.Context, namespace, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/namespaces/"+url.PathEscape(namespace)+"/runtokens/"+url.PathEscape(id), nil, 0, nil)
	return err
}

// APITokenRequest asks for an API token (POST .../apitokens, Admin only).
type APITokenRequest struct {
	Subject     string
	Roles       []rbac.Role
	TTL         time.Duration // 0: the server's default
	Description string
}

// CreateAPIToken creates an API token in namespace; the answer's Secret is
// the token, shown once.
func (c *Client) CreateAPIToken(ctx context.Context, namespace string, req APITokenRequest) (*Token, error) {
	ttl, err := ttlString("httpapi.Client.CreateAPIToken", req.TTL)
	if err != nil {
		return nil, err
	}
	in := apiTokenBody{Subject: req.Subject, Roles: req.Roles, TTL: ttl, Description: req.Description}
	var out tokenAnswer
	if _, err := c.do(ctx, http.MethodPost, "/v1/namespaces/"+url.PathEscape(namespace)+"/apitokens", &in, 0, &out); err != nil {
		return nil, err
	}
	if out.Token == "" {
		return nil, errcode.New(errcode.Internal, "httpapi.Client.CreateAPIToken", "the answer holds no token")
	}
	return out.token(), nil
}

// ListAPITokens lists the API tokens of namespace (metadata only).
func (c *Client) ListAPITokens(ctx context.Context, namespace string) ([]Token, error) {
	var out struct {
		APITokens []tokenAnswer `json:"apiTokens"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/v1/namespaces/"+url.PathEscape(namespace)+"/apitokens", nil, 0, &out); err != nil {
		return nil, err
	}
	toks := make([]Token, 0, len(out.APITokens))
	for i := range out.APITokens {
		if out.APITokens[i].Token != "" {
			return nil, errcode.New(errcode.Internal, "httpapi.Client.ListAPITokens", "the answer holds a token")
		}
		toks = append(toks, *out.APITokens[i].token())
	}
	return toks, nil
}

// RevokeAPIToken revokes the API token with id in namespace.
func (c *Client) RevokeAPIToken(ctx context.Context, namespace, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/namespaces/"+url.PathEscape(namespace)+"/apitokens/"+url.PathEscape(id), nil, 0, nil)
	return err
}
