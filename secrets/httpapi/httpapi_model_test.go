package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/internal/testing/modeltest"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestModelOverHTTP runs internal/testing/modeltest's sequences through the HTTP
// API: each sequence's Manager is served by a Handler, and the calls go
// through httpapi.Client, authenticated as the sequence's principals. The
// same model must hold, so the HTTP layer adds no behaviour of its own
// beyond what its doc lists.
func TestModelOverHTTP(t *testing.T) {
	modeltest.Run(t, func(t testing.TB) *storage.Store {
		s := docstorage.NewInMemory()
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{Sequences: 500, API: httpAPI})
}

func httpAPI(t *rapid.T, m *secrets.Manager) modeltest.API {
	h, err := httpapi.New(httpapi.Options{Manager: m, Authenticator: httpapi.AuthenticatorFunc(principalFromToken)})
	if err != nil {
		t.Fatal(err)
	}
	isDecrypt := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/decrypt") }
	srv := httptest.NewServer(leakcheck.Middleware(h, isDecrypt))
	t.Cleanup(srv.Close)
	return &clientAPI{base: srv.URL, hc: srv.Client()}
}

// The test authenticator: a bearer token is the principal as JSON,
// base64url-encoded.
func tokenOf(p rbac.Principal) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func principalFromToken(r *http.Request) (rbac.Principal, error) {
	tok, ok := httpapi.BearerToken(r)
	if !ok {
		return rbac.Principal{}, httpapi.ErrNoCredentials
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	var p rbac.Principal
	if err != nil || json.Unmarshal(b, &p) != nil {
		return rbac.Principal{}, httpapi.ErrUnauthenticated
	}
	return p, nil
}

// clientAPI calls the API as the principal in each call's context.
type clientAPI struct {
	base string
	hc   *http.Client
}

func (c *clientAPI) client(ctx context.Context) *httpapi.Client {
	var opts httpapi.ClientOptions
	opts.HTTPClient = c.hc
	if p, ok := rbac.PrincipalFrom(ctx); ok {
		opts.Token = secrets.NewValue(tokenOf(p))
	}
	cl, err := httpapi.NewClient(c.base, opts)
	if err != nil {
		panic(err)
	}
	return cl
}

func (c *clientAPI) Create(ctx context.Context, ns string, spec secrets.Spec) (*secrets.Secret, error) {
	return c.client(ctx).Create(ctx, ns, spec)
}
func (c *clientAPI) Get(ctx context.Context, ns, name string) (*secrets.Secret, error) {
	return c.client(ctx).Get(ctx, ns, name)
}
func (c *clientAPI) List(ctx context.Context, ns string, opts secrets.ListOptions) (*secrets.ListResult, error) {
	return c.client(ctx).List(ctx, ns, opts)
}
func (c *clientAPI) Update(ctx context.Context, ns string, s *secrets.Secret) (*secrets.Secret, error) {
	return c.client(ctx).Update(ctx, ns, s)
}
func (c *clientAPI) Reset(ctx context.Context, ns, name string, v secrets.Value, rev int64) (*secrets.Secret, error) {
	return c.client(ctx).Reset(ctx, ns, name, v, rev)
}
func (c *clientAPI) Revoke(ctx context.Context, ns, name string, rev int64) (*secrets.Secret, error) {
	return c.client(ctx).Revoke(ctx, ns, name, rev)
}
func (c *clientAPI) Delete(ctx context.Context, ns, name string, rev int64) error {
	return c.client(ctx).Delete(ctx, ns, name, rev)
}
func (c *clientAPI) RevealValue(ctx context.Context, ns, name string) (secrets.Value, error) {
	return c.client(ctx).RevealValue(ctx, ns, name)
}

// The value-history calls (modeltest.HistoryAPI): with them the sequences
// keep values, and Versions, Rollback, Destroy and pinned reveals go
// through the routes too.
func (c *clientAPI) Versions(ctx context.Context, ns, name string) ([]secrets.Version, error) {
	return c.client(ctx).Versions(ctx, ns, name)
}
func (c *clientAPI) Rollback(ctx context.Context, ns, name string, version, rev int64) (*secrets.Secret, error) {
	return c.client(ctx).Rollback(ctx, ns, name, version, rev)
}
func (c *clientAPI) Destroy(ctx context.Context, ns, name string, version, rev int64) (*secrets.Secret, error) {
	return c.client(ctx).Destroy(ctx, ns, name, version, rev)
}

var _ modeltest.HistoryAPI = (*clientAPI)(nil)
