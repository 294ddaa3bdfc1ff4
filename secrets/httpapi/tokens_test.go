package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// Static tokens of the token-route tests.
const (
	tokAdmin      = "tok-admin"
	tokTestAuthor = "tok-test-author"
)

type tokenEnv struct {
	h      http.Handler // the Handler inside leakcheck.Middleware
	m      *secrets.Manager
	logs   *syncBuffer
	audits []rbac.AuditEvent
	events []httpapi.RequestEvent
}

func newTokenEnv(t testing.TB) *tokenEnv {
	t.Helper()
	ctx := context.Background()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	e := &tokenEnv{logs: &syncBuffer{}}
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	logger := slog.New(leakcheck.Handler(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e.m, err = secrets.New(secrets.Options{Store: st, Keeper: kp, Auditor: func(ctx context.Context, ev rbac.AuditEvent) {
		leakcheck.Checkf("manager audit", ev)
		e.audits = append(e.audits, ev)
		logger.InfoContext(ctx, "manager audit", "event", ev)
	}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := runtoken.NewEd25519Key("ed-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, MaxTTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := apitoken.New(apitoken.Options{Store: apitoken.NewMemoryStore(), Guard: e.m})
	if err != nil {
		t.Fatal(err)
	}
	static := map[string]rbac.Principal{
		tokAdmin:      {Kind: rbac.KindUser, ID: "ada", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}},
		tokTestAuthor: {Kind: rbac.KindUser, ID: "tess", Namespace: ns, Roles: []rbac.Role{rbac.RoleTestAuthor}},
	}
	for k, v := range principals {
		static[k] = v
	}
	h, err := httpapi.New(httpapi.Options{Manager: e.m, Authenticator: httpapi.StaticTokens(static),
		RunTokenIssuer: iss, APITokens: toks, Logger: logger, AuthFailures: httpapi.AuthFailureLimit{Disabled: true},
		Auditor: httpapi.RequestAuditor(func(ctx context.Context, ev httpapi.RequestEvent) {
			leakcheck.Checkf("request event", ev)
			e.events = append(e.events, ev)
			httpapi.LogAuditor(logger)(ctx, ev)
		})})
	if err != nil {
		t.Fatal(err)
	}
	// Tokens are registered once received: only their create response (and
	// decrypt's value) may show them.
	e.h = leakcheck.Middleware(h, func(r *http.Request) bool {
		return r.Method == "POST" && (strings.HasSuffix(r.URL.Path, "/apitokens") || strings.HasSuffix(r.URL.Path, "/runtokens")) ||
			strings.HasSuffix(r.URL.Path, "/decrypt")
	})
	t.Cleanup(func() { e.m.Close(); st.Close(); kp.Close() })
	return e
}

type tokenResp struct {
	status int
	header http.Header
	body   string
}

func (e *tokenEnv) do(method, path, token, body string) tokenResp {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return tokenResp{w.Code, w.Header(), w.Body.String()}
}

func (r tokenResp) code() string {
	var b struct {
		Error httpapi.Error `json:"error"`
	}
	_ = json.Unmarshal([]byte(r.body), &b)
	return b.Error.Code
}

// expect fails t unless r has the status and error code ("" for success).
func expect(t *testing.T, what string, r tokenResp, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("%s: %d %q, want %d %q; body %s", what, r.status, r.code(), status, code, r.body)
	}
}

func TestAPITokenRoutes(t *testing.T) {
	e := newTokenEnv(t)
	const path = "/v1/namespaces/" + ns + "/apitokens"
	r := e.do("POST", path, tokAdmin, `{"subject":"ci","roles":["editor"],"ttl":"720h","description":"deploys"}`)
	expect(t, "create", r, 201, "")
	var created struct {
		ID, Namespace, Subject, Token, CreatedBy string
		Roles                                    []string
		ExpireTime                               time.Time
	}
	if err := json.Unmarshal([]byte(r.body), &created); err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(created.Token)
	if !strings.HasPrefix(created.Token, apitoken.Prefix) || created.Subject != "ci" || created.CreatedBy != "user:team-a/ada" ||
		r.header.Get("Location") != path+"/"+created.ID || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("create answered %s, Location %q", created.ID, r.header.Get("Location"))
	}
	// The API token authenticates as an editor of the namespace: it may
	// create and list secrets, but not manage API tokens nor decrypt.
	expect(t, "create secret with the API token", e.do("POST", base, created.Token, `{"name":"api-key","decrypters":["k6"],"value":"v"}`), 201, "")
	expect(t, "list with the API token", e.do("GET", base, created.Token, ""), 200, "")
	if ev := e.events[len(e.events)-1]; ev.TokenID != created.ID || ev.Principal != "user:team-a/ci" {
		t.Errorf("request event of an API-token request = %+v; want its id %s", ev, created.ID)
	}
	expect(t, "decrypt with the API token", e.do("GET", base+"/api-key/decrypt", created.Token, ""), 403, "permission_denied")
	expect(t, "API token manages API tokens", e.do("GET", path, created.Token, ""), 403, "permission_denied")

	list := e.do("GET", path, tokAdmin, "")
	expect(t, "list", list, 200, "")
	if strings.Contains(list.body, created.Token) || strings.Contains(list.body, created.Token[21:]) || strings.Contains(list.body, "hash") ||
		!strings.Contains(list.body, `"id":"`+created.ID+`"`) {
		t.Errorf("list = %s; want the id and neither the token nor its digest", list.body)
	}
	for _, tc := range []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"editor may not create", tokEditor, `{"roles":["viewer"]}`, 403, "permission_denied"},
		{"test author may not create", tokTestAuthor, `{"roles":["viewer"]}`, 403, "permission_denied"},
		{"other namespace", tokOtherNS, `{"roles":["viewer"]}`, 403, "permission_denied"},
		{"anonymous", "", `{"roles":["viewer"]}`, 401, "unauthenticated"},
		{"unknown member", tokAdmin, `{"roles":["viewer"],"token":"x"}`, 400, "invalid"},
		{"duplicate member", tokAdmin, `{"roles":["viewer"],"ROLES":["admin"]}`, 400, "invalid"},
		{"decrypter role", tokAdmin, `{"roles":["secure-values-decrypter"]}`, 400, "invalid"},
		{"no roles", tokAdmin, `{}`, 400, "invalid"},
		{"bad ttl", tokAdmin, `{"roles":["viewer"],"ttl":"forever"}`, 400, "invalid"},
		{"ttl too long", tokAdmin, `{"roles":["viewer"],"ttl":"100000h"}`, 400, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", path, tc.token, tc.body)
			expect(t, "create", r, tc.status, tc.code)
			if strings.Contains(r.body, apitoken.Prefix) {
				t.Errorf("a refused create answered a token: %s", r.body)
			}
		})
	}
	expect(t, "editor revokes", e.do("DELETE", path+"/"+created.ID, tokEditor, ""), 403, "permission_denied")
	expect(t, "revoke", e.do("DELETE", path+"/"+created.ID, tokAdmin, ""), 204, "")
	expect(t, "revoked token", e.do("GET", base, created.Token, ""), 401, "unauthenticated")
	expect(t, "revoke again", e.do("DELETE", path+"/"+created.ID, tokAdmin, ""), 404, "not_found")
	expect(t, "forged token", e.do("GET", base, "sbx_aaaaaaaaaaaaaaaa_"+strings.Repeat("a", 52), ""), 401, "unauthenticated")
	if ev := e.events[len(e.events)-1]; ev.TokenID != "" {
		t.Errorf("a refused API token's sender-chosen id is audited: %+v", ev)
	}
	expect(t, "PUT on apitokens", e.do("PUT", path, tokAdmin, "{}"), 405, "method_not_allowed")
	if strings.Contains(e.logs.String(), created.Token[21:]) {
		t.Error("the logs hold the API token")
	}
	var ops []string
	for _, a := range e.audits {
		if a.Action == rbac.ActionManageAPITokens {
			ops = append(ops, a.Operation+":"+string(a.Outcome))
		}
	}
	if !strings.Contains(strings.Join(ops, ","), "IssueAPIToken:allowed") || !strings.Contains(strings.Join(ops, ","), "RevokeAPIToken:allowed") ||
		!strings.Contains(strings.Join(ops, ","), "IssueAPIToken:denied") {
		t.Errorf("audits = %v", ops)
	}
}

func TestRunTokenRoutes(t *testing.T) {
	e := newTokenEnv(t)
	const path = "/v1/namespaces/" + ns + "/runtokens"
	expect(t, "create secret", e.do("POST", base, tokEditor, `{"name":"api-key","decrypters":["k6"],"value":"s3cret-value"}`), 201, "")
	for _, tc := range []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"admin", tokAdmin, `{"names":["api-key"],"ttl":"10m"}`, 201, ""},
		{"editor", tokEditor, `{"names":["api-key"]}`, 201, ""},
		{"test author", tokTestAuthor, `{"allNames":true,"ttl":"1h"}`, 201, ""},
		{"viewer", tokViewer, `{"names":["api-key"]}`, 403, "permission_denied"},
		{"reader", tokReader, `{"names":["api-key"]}`, 403, "permission_denied"},
		{"admin of another namespace", tokOtherNS, `{"names":["api-key"]}`, 403, "permission_denied"},
		{"service", tokService, `{"names":["api-key"]}`, 403, "permission_denied"},
		{"anonymous", "", `{"names":["api-key"]}`, 401, "unauthenticated"},
		{"over the verifier's maximum", tokEditor, `{"names":["api-key"],"ttl":"3h"}`, 400, "invalid"},
		{"no names", tokEditor, `{}`, 400, "invalid"},
		{"bad name", tokEditor, `{"names":["a/b"]}`, 400, "invalid"},
		{"unknown member", tokEditor, `{"names":["api-key"],"Names":["x"]}`, 400, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", path, tc.token, tc.body)
			expect(t, "issue", r, tc.status, tc.code)
			if tc.code != "" {
				if strings.Contains(r.body, runtoken.Prefix) {
					t.Errorf("a refused issue answered a token: %s", r.body)
				}
				return
			}
			var out struct {
				ID, Token, Subject string
				Names              []string
			}
			if err := json.Unmarshal([]byte(r.body), &out); err != nil || !strings.HasPrefix(out.Token, runtoken.Prefix) || out.Subject != "k6" {
				t.Fatalf("issue answered %s (%v)", r.body, err)
			}
			leakcheck.Register(out.Token)
			dec := e.do("GET", base+"/api-key/decrypt", out.Token, "")
			expect(t, "decrypt", dec, 200, "")
			if !strings.Contains(dec.body, "s3cret-value") {
				t.Errorf("decrypt = %s", dec.body)
			}
			expect(t, "run token issues a run token", e.do("POST", path, out.Token, `{"names":["api-key"]}`), 403, "permission_denied")
			expect(t, "run token revokes itself", e.do("DELETE", path+"/"+out.ID, out.Token, ""), 403, "permission_denied")
			expect(t, "viewer revokes", e.do("DELETE", path+"/"+out.ID, tokViewer, ""), 403, "permission_denied")
			expect(t, "revoke", e.do("DELETE", path+"/"+out.ID, tc.token, ""), 204, "")
			expect(t, "decrypt after revoke", e.do("GET", base+"/api-key/decrypt", out.Token, ""), 401, "unauthenticated")
			if strings.Contains(e.logs.String(), out.Token) {
				t.Error("the logs hold the run token")
			}
		})
	}
	expect(t, "revoke a malformed id", e.do("DELETE", path+"/not-an-id", tokEditor, ""), 400, "invalid")
	expect(t, "GET runtokens", e.do("GET", path, tokEditor, ""), 405, "method_not_allowed")
}

func TestJWKSRoute(t *testing.T) {
	e := newTokenEnv(t)
	r := e.do("GET", "/.well-known/jwks.json", "", "")
	expect(t, "jwks", r, 200, "")
	var set struct {
		Keys []struct{ Kty, Crv, Kid, X, D string }
	}
	if err := json.NewDecoder(bytes.NewReader([]byte(r.body))).Decode(&set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].Kid != "ed-1" || set.Keys[0].Kty != "OKP" || set.Keys[0].Crv != "Ed25519" || set.Keys[0].D != "" {
		t.Errorf("jwks = %s", r.body)
	}
	if r.header.Get("Content-Type") != "application/jwk-set+json" || !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
		t.Errorf("headers %v", r.header)
	}
	expect(t, "POST jwks", e.do("POST", "/.well-known/jwks.json", "", ""), 405, "method_not_allowed")

	// Without run tokens there is no key set to publish.
	plain := newEnv(t, envOptions{})
	w := httptest.NewRecorder()
	plain.h.ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	body, _ := io.ReadAll(w.Result().Body)
	if w.Code != 200 || !strings.Contains(string(body), `"kty":"`) && !strings.Contains(string(body), `"keys":[]`) {
		t.Errorf("jwks of an HMAC-only handler = %d %s", w.Code, body)
	}
	if strings.Contains(string(body), `"k":`) {
		t.Errorf("an HMAC key is published: %s", body)
	}
}

// FuzzTokenBodies posts arbitrary bodies to the token routes: the handler
// never fails with a 5xx, answers a token only with 201, and an error
// body never holds a token.
func FuzzTokenBodies(f *testing.F) {
	e := newTokenEnv(f)
	f.Add(0, `{"roles":["editor"],"ttl":"1h"}`)
	f.Add(0, `{"roles":["editor"],"ttl":"-1h","subject":"a\u0000b"}`)
	f.Add(1, `{"names":["api-key"],"ttl":"1m"}`)
	f.Add(1, `{"allNames":true,"names":[],"ttl":"9999999h"}`)
	f.Add(1, `{"names":["a","a"],"subject":"\ud800"}`)
	f.Fuzz(func(t *testing.T, route int, body string) {
		path := "/v1/namespaces/" + ns + "/apitokens"
		if route%2 != 0 {
			path = "/v1/namespaces/" + ns + "/runtokens"
		}
		r := e.do("POST", path, tokAdmin, body)
		if r.status >= 500 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		hasToken := strings.Contains(r.body, `"token"`)
		if hasToken != (r.status == 201) {
			t.Fatalf("%s: %d with token=%v: %s", path, r.status, hasToken, r.body)
		}
	})
}
