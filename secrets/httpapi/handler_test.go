package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

const base = "/v1/namespaces/" + ns + "/secrets"

// step is one request of a scenario and what it must answer.
type step struct {
	name   string
	method string
	path   string
	token  string
	body   string
	hdr    []string
	status int
	code   string // error code, "" for success
	check  func(t *testing.T, r resp)
}

func run(t *testing.T, e *env, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := e.do(s.method, s.path, s.token, s.body, s.hdr...)
			if r.status != s.status || r.apiErr().Code != s.code {
				t.Fatalf("%s %s: got %d %q, want %d %q; body %s", s.method, s.path, r.status, r.apiErr().Code, s.status, s.code, r.body)
			}
			if s.code != "" {
				ae := r.apiErr()
				if ae.Status != s.status || ae.Message == "" || r.header.Get("Content-Type") != "application/json" {
					t.Errorf("error body %s", r.body)
				}
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
			}
			// Every request is audited once, with its route and status.
			ev := e.lastEvent()
			if ev.Status != s.status || ev.Method != s.method || ev.Code != s.code {
				t.Errorf("audit event %+v does not match the response", ev)
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
	}
}

func TestManagementRoutes(t *testing.T) {
	e := newEnv(t, envOptions{})
	v1 := e.newValue()
	v2 := e.newValue()
	create := fmt.Sprintf(`{"name":"api-key","description":"d","labels":{"env":"prod"},"decrypters":["k6-runner"],"value":%q}`, v1)
	noValue := func(t *testing.T, r resp) {
		if strings.Contains(r.body, v1) || strings.Contains(r.body, v2) || strings.Contains(r.body, `"value"`) {
			t.Errorf("response holds a value: %s", r.body)
		}
	}
	run(t, e, []step{
		{name: "create", method: "POST", path: base, token: tokEditor, body: create, status: 201, check: func(t *testing.T, r resp) {
			noValue(t, r)
			s := r.secret(t)
			want := secrets.Secret{Namespace: ns, Name: "api-key", Description: "d", Labels: map[string]string{"env": "prod"},
				Decrypters: []string{"k6-runner"}, Version: 1, Revision: 1, CreatedBy: "user:team-a/alice", UpdatedBy: "user:team-a/alice"}
			if diff := cmp.Diff(want, s, ignoreTimes); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			if r.header.Get("ETag") != `"1"` || r.header.Get("Location") != base+"/api-key" {
				t.Errorf("ETag %q Location %q", r.header.Get("ETag"), r.header.Get("Location"))
			}
			if ev := e.lastEvent(); ev.Route != "POST /v1/namespaces/{namespace}/secrets" || ev.Principal != "user:team-a/alice" || ev.Name != "api-key" || ev.Namespace != ns {
				t.Errorf("audit event %+v", ev)
			}
		}},
		{name: "create second", method: "POST", path: base, token: tokEditor, body: `{"name":"db-pass","value":"x","labels":{"env":"dev"}}`, status: 201},
		{name: "create duplicate", method: "POST", path: base, token: tokEditor, body: create, status: 409, code: "already_exists", check: noValue},
		{name: "create bad name", method: "POST", path: base, token: tokEditor, body: `{"name":"a/b","value":"x"}`, status: 400, code: "invalid"},
		{name: "create empty value", method: "POST", path: base, token: tokEditor, body: `{"name":"a"}`, status: 400, code: "invalid"},
		{name: "create value over 24 KiB", method: "POST", path: base, token: tokEditor, body: `{"name":"a","value":"` + strings.Repeat("x", secrets.MaxValueBytes+1) + `"}`, status: 400, code: "invalid"},
		{name: "create body over 64 KiB", method: "POST", path: base, token: tokEditor, body: `{"name":"a","value":"` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes) + `"}`, status: 413, code: "too_large"},
		{name: "create not JSON", method: "POST", path: base, token: tokEditor, body: `{"name":`, status: 400, code: "invalid"},
		{name: "create syntax error", method: "POST", path: base, token: tokEditor, body: `{"name" "x"}`, status: 400, code: "invalid"},
		{name: "create unknown member", method: "POST", path: base, token: tokEditor, body: `{"name":"a","value":"x","valu":"y"}`, status: 400, code: "invalid"},
		{name: "create wrong type", method: "POST", path: base, token: tokEditor, body: `{"name":"a","value":1}`, status: 400, code: "invalid"},
		{name: "create trailing data", method: "POST", path: base, token: tokEditor, body: `{"name":"a","value":"x"} {}`, status: 400, code: "invalid"},
		{name: "create array", method: "POST", path: base, token: tokEditor, body: `[]`, status: 400, code: "invalid"},
		{name: "create no body", method: "POST", path: base, token: tokEditor, status: 400, code: "invalid"},
		{name: "create bad UTF-8", method: "POST", path: base, token: tokEditor, body: "{\"name\":\"a\",\"value\":\"\xff\"}", status: 400, code: "invalid"},
		{name: "create form", method: "POST", path: base, token: tokEditor, body: `{}`, hdr: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415, code: "unsupported_media_type"},
		{name: "create anonymous", method: "POST", path: base, body: create, status: 401, code: "unauthenticated", check: func(t *testing.T, r resp) {
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
			if ev := e.lastEvent(); ev.Principal != "anonymous" {
				t.Errorf("audit principal %q", ev.Principal)
			}
		}},
		{name: "create unknown token", method: "POST", path: base, token: "nope", body: create, status: 401, code: "unauthenticated"},
		{name: "create basic auth", method: "POST", path: base, body: create, hdr: []string{"Authorization", "Basic YTpi"}, status: 401, code: "unauthenticated"},
		{name: "create as viewer", method: "POST", path: base, token: tokViewer, body: create, status: 403, code: "permission_denied"},
		{name: "create as user without roles", method: "POST", path: base, token: tokNoOneRole, body: create, status: 403, code: "permission_denied"},
		{name: "create in other namespace", method: "POST", path: base, token: tokOtherNS, body: create, status: 403, code: "permission_denied"},

		{name: "get", method: "GET", path: base + "/api-key", token: tokReader, status: 200, check: func(t *testing.T, r resp) {
			noValue(t, r)
			if r.header.Get("ETag") != `"1"` || r.secret(t).Name != "api-key" {
				t.Errorf("ETag %q body %s", r.header.Get("ETag"), r.body)
			}
		}},
		{name: "get not modified", method: "GET", path: base + "/api-key", token: tokReader, hdr: []string{"If-None-Match", `"1"`}, status: 304},
		{name: "get missing", method: "GET", path: base + "/nope", token: tokReader, status: 404, code: "not_found"},
		{name: "get bad name", method: "GET", path: base + "/a.b", token: tokReader, status: 400, code: "invalid"},
		{name: "get as viewer", method: "GET", path: base + "/api-key", token: tokViewer, status: 403, code: "permission_denied"},
		{name: "get from other namespace", method: "GET", path: "/v1/namespaces/team-b/secrets/api-key", token: tokEditor, status: 403, code: "permission_denied"},

		{name: "list", method: "GET", path: base, token: tokReader, status: 200, check: func(t *testing.T, r resp) {
			noValue(t, r)
			if got := listNames(t, r); !cmp.Equal(got, []string{"api-key", "db-pass"}) {
				t.Errorf("names %v", got)
			}
		}},
		{name: "list selector", method: "GET", path: base + "?selector=env%3Dprod", token: tokReader, status: 200, check: func(t *testing.T, r resp) {
			if got := listNames(t, r); !cmp.Equal(got, []string{"api-key"}) {
				t.Errorf("names %v", got)
			}
		}},
		{name: "list selector matches nothing", method: "GET", path: base + "?selector=env%3Dnone", token: tokReader, status: 200, check: func(t *testing.T, r resp) {
			if !strings.Contains(r.body, `"secrets":[]`) {
				t.Errorf("body %s", r.body)
			}
		}},
		{name: "list page 1", method: "GET", path: base + "?pageSize=1", token: tokReader, status: 200, check: func(t *testing.T, r resp) {
			var lr httpapi.ListResponse
			_ = json.Unmarshal([]byte(r.body), &lr)
			if len(lr.Secrets) != 1 || lr.NextPageToken == "" {
				t.Fatalf("page %s", r.body)
			}
			r2 := e.do("GET", base+"?pageSize=1&pageToken="+lr.NextPageToken, tokReader, "")
			if got := listNames(t, r2); !cmp.Equal(got, []string{"db-pass"}) {
				t.Errorf("page 2 names %v", got)
			}
		}},
		{name: "list bad page size", method: "GET", path: base + "?pageSize=x", token: tokReader, status: 400, code: "invalid"},
		{name: "list bad selector", method: "GET", path: base + "?selector=%3D%3D", token: tokReader, status: 400, code: "invalid"},
		{name: "list bad page token", method: "GET", path: base + "?pageToken=zzz", token: tokReader, status: 400, code: "invalid"},
		{name: "list bad namespace", method: "GET", path: "/v1/namespaces/a.b/secrets", token: tokReader, status: 403, code: "permission_denied"},

		{name: "update without revision", method: "PUT", path: base + "/api-key", token: tokEditor, body: `{"description":"new"}`, status: 400, code: "invalid"},
		{name: "update bad If-Match", method: "PUT", path: base + "/api-key", token: tokEditor, body: `{}`, hdr: []string{"If-Match", `W/"1"`}, status: 400, code: "invalid"},
		{name: "update If-Match and revision disagree", method: "PUT", path: base + "/api-key", token: tokEditor, body: `{"revision":2}`, hdr: []string{"If-Match", `"1"`}, status: 400, code: "invalid"},
		{name: "update stale", method: "PUT", path: base + "/api-key", token: tokEditor, body: `{}`, hdr: []string{"If-Match", `"7"`}, status: 409, code: "conflict"},
		{name: "update missing", method: "PUT", path: base + "/nope", token: tokEditor, body: `{}`, hdr: []string{"If-Match", `"1"`}, status: 404, code: "not_found"},
		{name: "update bad labels", method: "PUT", path: base + "/api-key", token: tokEditor, body: `{"labels":{"a b":"c"}}`, hdr: []string{"If-Match", `"1"`}, status: 400, code: "invalid"},
		{name: "update as reader", method: "PUT", path: base + "/api-key", token: tokReader, body: `{}`, hdr: []string{"If-Match", `"1"`}, status: 403, code: "permission_denied"},
		{name: "update", method: "PUT", path: base + "/api-key", token: tokEditor, hdr: []string{"If-Match", `"1"`},
			body: `{"description":"new","labels":{"env":"prod","tier":"1"},"decrypters":["k6-runner"]}`, status: 200, check: func(t *testing.T, r resp) {
				s := r.secret(t)
				if s.Description != "new" || s.Labels["tier"] != "1" || s.Revision != 2 || r.header.Get("ETag") != `"2"` {
					t.Errorf("updated %+v ETag %q", s, r.header.Get("ETag"))
				}
			}},
		{name: "update revision in body", method: "PUT", path: base + "/api-key", token: tokEditor,
			body: `{"description":"newer","decrypters":["k6-runner"],"revision":2}`, status: 200},

		{name: "reset stale", method: "POST", path: base + "/api-key/reset", token: tokEditor, body: fmt.Sprintf(`{"value":%q}`, v2), hdr: []string{"If-Match", `"1"`}, status: 409, code: "conflict"},
		{name: "reset empty", method: "POST", path: base + "/api-key/reset", token: tokEditor, body: `{"value":""}`, status: 400, code: "invalid"},
		{name: "reset unknown member", method: "POST", path: base + "/api-key/reset", token: tokEditor, body: `{"value":"x","name":"y"}`, status: 400, code: "invalid"},
		{name: "reset as reader", method: "POST", path: base + "/api-key/reset", token: tokReader, body: `{"value":"x"}`, status: 403, code: "permission_denied"},
		{name: "reset missing", method: "POST", path: base + "/nope/reset", token: tokEditor, body: `{"value":"x"}`, status: 404, code: "not_found"},
		{name: "reset", method: "POST", path: base + "/api-key/reset", token: tokEditor, body: fmt.Sprintf(`{"value":%q}`, v2), hdr: []string{"If-Match", `"3"`}, status: 200, check: func(t *testing.T, r resp) {
			noValue(t, r)
			if s := r.secret(t); s.Version != 2 || s.Revision != 4 {
				t.Errorf("reset %+v", s)
			}
		}},

		{name: "revoke body", method: "POST", path: base + "/api-key/revoke", token: tokEditor, body: `{"x":1}`, status: 400, code: "invalid"},
		{name: "revoke stale", method: "POST", path: base + "/api-key/revoke", token: tokEditor, hdr: []string{"If-Match", `"1"`}, status: 409, code: "conflict"},
		{name: "revoke", method: "POST", path: base + "/api-key/revoke", token: tokEditor, body: `{}`, status: 200, check: func(t *testing.T, r resp) {
			if s := r.secret(t); !s.Revoked {
				t.Errorf("revoke %+v", s)
			}
		}},
		{name: "decrypt revoked", method: "GET", path: base + "/api-key/decrypt", token: tokService, status: 409, code: "revoked"},
		{name: "reset after revoke", method: "POST", path: base + "/api-key/reset", token: tokEditor, body: fmt.Sprintf(`{"value":%q}`, v1), status: 200},

		{name: "delete stale", method: "DELETE", path: base + "/api-key", token: tokEditor, hdr: []string{"If-Match", `"1"`}, status: 409, code: "conflict"},
		{name: "delete as reader", method: "DELETE", path: base + "/api-key", token: tokReader, status: 403, code: "permission_denied"},
		{name: "delete", method: "DELETE", path: base + "/api-key", token: tokEditor, hdr: []string{"If-Match", `"6"`}, status: 204},
		{name: "delete again", method: "DELETE", path: base + "/api-key", token: tokEditor, status: 404, code: "not_found"},
		{name: "get deleted", method: "GET", path: base + "/api-key", token: tokEditor, status: 404, code: "not_found"},

		{name: "unknown route", method: "GET", path: "/v2/whatever", token: tokEditor, status: 404, code: "not_found"},
		{name: "method not allowed", method: "PATCH", path: base + "/db-pass", token: tokEditor, body: `{}`, status: 405, code: "method_not_allowed", check: func(t *testing.T, r resp) {
			if r.header.Get("Allow") == "" {
				t.Error("no Allow header")
			}
		}},
		{name: "decrypt by POST", method: "POST", path: base + "/db-pass/decrypt", token: tokService, status: 405, code: "method_not_allowed"},
	})
}

var ignoreTimes = cmp.FilterPath(func(p cmp.Path) bool {
	n := p.Last().String()
	return n == ".CreateTime" || n == ".UpdateTime"
}, cmp.Ignore())

func listNames(t *testing.T, r resp) []string {
	t.Helper()
	var lr httpapi.ListResponse
	if err := json.Unmarshal([]byte(r.body), &lr); err != nil {
		t.Fatalf("list body %q: %v", r.body, err)
	}
	var names []string
	for _, s := range lr.Secrets {
		names = append(names, s.Name)
	}
	return names
}

func TestDecryptWithRunTokens(t *testing.T) {
	e := newEnv(t, envOptions{})
	vKey := e.create("api-key", "k6-runner")
	e.create("db-pass", "k6-runner")
	e.create("not-listed", "someone-else")

	scoped := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key", "nope"}})
	all := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	otherNS := e.token(runtoken.Grant{Namespace: "team-b", Subject: "k6-runner", AllNames: true})
	otherSubject := e.token(runtoken.Grant{Namespace: ns, Subject: "intruder", AllNames: true})
	short := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true, TTL: time.Minute})
	revoked, claims, _ := e.issuer.Issue(context.Background(), runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	parts := strings.Split(scoped, ".")
	tampered := strings.Join([]string{parts[0], parts[1], all[len(parts[0])+len(parts[1])+2 : strings.LastIndex(all, ".")], parts[3]}, ".")
	otherKey, _ := runtoken.NewHMACKey("test", nil)
	otherIss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: otherKey})
	forged, _, _ := otherIss.Issue(context.Background(), runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})

	run(t, e, []step{
		{name: "scoped token", method: "GET", path: base + "/api-key/decrypt", token: scoped, status: 200, check: func(t *testing.T, r resp) {
			var b struct{ Value string }
			if err := json.Unmarshal([]byte(r.body), &b); err != nil || b.Value != vKey || r.body != `{"value":"`+vKey+`"}`+"\n" {
				t.Errorf("decrypt body does not hold the value (err %v)", err)
			}
			if ev := e.lastEvent(); ev.Principal != "service:team-a/k6-runner" || ev.TokenID == "" || ev.Route != "GET /v1/namespaces/{namespace}/secrets/{name}/decrypt" {
				t.Errorf("audit %+v", ev)
			}
		}},
		{name: "raw format", method: "GET", path: base + "/api-key/decrypt?format=raw", token: scoped, status: 200, check: func(t *testing.T, r resp) {
			if r.body != vKey || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				t.Errorf("raw decrypt body is not the value (Content-Type %q)", r.header.Get("Content-Type"))
			}
		}},
		{name: "bad format", method: "GET", path: base + "/api-key/decrypt?format=xml", token: scoped, status: 400, code: "invalid"},
		{name: "scoped token, name outside scope", method: "GET", path: base + "/db-pass/decrypt", token: scoped, status: 403, code: "permission_denied"},
		{name: "scoped token, name in scope but unknown", method: "GET", path: base + "/nope/decrypt", token: scoped, status: 404, code: "not_found"},
		{name: "scoped token, unknown name outside scope", method: "GET", path: base + "/other/decrypt", token: scoped, status: 403, code: "permission_denied"},
		{name: "all-names token", method: "GET", path: base + "/db-pass/decrypt", token: all, status: 200},
		{name: "all-names token, unknown", method: "GET", path: base + "/nope/decrypt", token: all, status: 404, code: "not_found"},
		{name: "all-names token, not a decrypter", method: "GET", path: base + "/not-listed/decrypt", token: all, status: 404, code: "not_found"}, // existence hidden (issue #11 item 9)
		{name: "token of another namespace", method: "GET", path: base + "/api-key/decrypt", token: otherNS, status: 403, code: "permission_denied"},
		{name: "token for a subject no secret lists", method: "GET", path: base + "/api-key/decrypt", token: otherSubject, status: 404, code: "not_found"}, // existence hidden (issue #11 item 9)
		{name: "run token on get", method: "GET", path: base + "/api-key", token: all, status: 403, code: "permission_denied"},
		{name: "run token on list", method: "GET", path: base, token: all, status: 403, code: "permission_denied"},
		{name: "run token on delete", method: "DELETE", path: base + "/api-key", token: all, status: 403, code: "permission_denied"},
		{name: "run token on create", method: "POST", path: base, token: all, body: `{"name":"x","value":"y"}`, status: 403, code: "permission_denied"},
		{name: "tampered token", method: "GET", path: base + "/db-pass/decrypt", token: tampered, status: 401, code: "unauthenticated"},
		{name: "forged token", method: "GET", path: base + "/db-pass/decrypt", token: forged, status: 401, code: "unauthenticated"},
		{name: "truncated token", method: "GET", path: base + "/api-key/decrypt", token: scoped[:len(scoped)-3], status: 401, code: "unauthenticated"},
		{name: "no token", method: "GET", path: base + "/api-key/decrypt", status: 401, code: "unauthenticated"},
		{name: "user on decrypt", method: "GET", path: base + "/api-key/decrypt", token: tokEditor, status: 403, code: "permission_denied"},
		{name: "static service identity", method: "GET", path: base + "/api-key/decrypt", token: tokService, status: 200},
		{name: "before revocation", method: "GET", path: base + "/api-key/decrypt", token: revoked, status: 200},
	})
	if err := e.issuer.Verifier().Revoke(context.Background(), claims.ID, claims.Expiry); err != nil {
		t.Fatal(err)
	}
	run(t, e, []step{
		{name: "revoked", method: "GET", path: base + "/api-key/decrypt", token: revoked, status: 401, code: "unauthenticated", check: func(t *testing.T, r resp) {
			if !strings.Contains(r.apiErr().Message, "revoked") {
				t.Errorf("message %q", r.apiErr().Message)
			}
		}},
		{name: "other tokens still work", method: "GET", path: base + "/api-key/decrypt", token: all, status: 200},
		{name: "before expiry", method: "GET", path: base + "/api-key/decrypt", token: short, status: 200},
	})
	e.clock.Add(time.Minute)
	run(t, e, []step{
		{name: "expired", method: "GET", path: base + "/api-key/decrypt", token: short, status: 401, code: "unauthenticated", check: func(t *testing.T, r resp) {
			if !strings.Contains(r.apiErr().Message, "expired") {
				t.Errorf("message %q", r.apiErr().Message)
			}
		}},
	})
	// No token and no value reaches the logs.
	logs := e.logs.String()
	for _, tok := range []string{scoped, all, revoked, short} {
		if strings.Contains(logs, tok) || strings.Contains(logs, strings.Split(tok, ".")[3]) {
			t.Errorf("a run token appears in the logs")
		}
	}
}

func TestBackendFailures(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create("api-key", "k6-runner")
	all := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})

	e.store.In.FailAll(fault.GetMetadata, nil) // Unavailable
	run(t, e, []step{
		{name: "get, store down", method: "GET", path: base + "/api-key", token: tokEditor, status: 503, code: "unavailable", check: func(t *testing.T, r resp) {
			if r.header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		}},
		{name: "decrypt, store down", method: "GET", path: base + "/api-key/decrypt", token: all, status: 503, code: "unavailable"},
	})
	e.store.In.Reset()
	e.keeper.In.FailAll(fault.Decrypt, errcode.New(errcode.Internal, "test", "boom"))
	run(t, e, []step{
		{name: "decrypt fails", method: "GET", path: base + "/api-key/decrypt", token: all, status: 500, code: "internal", check: func(t *testing.T, r resp) {
			if strings.Contains(r.body, "boom") {
				t.Errorf("internal detail leaked to the client: %s", r.body)
			}
			if !strings.Contains(e.logs.String(), "strongbox request failed") {
				t.Error("5xx not logged")
			}
		}},
	})
	e.keeper.In.Reset()
	e.m.Close()
	run(t, e, []step{
		{name: "manager closed", method: "GET", path: base + "/api-key", token: tokEditor, status: 409, code: "failed_precondition"},
	})
}

type failingAuth struct{ err error }

func (f failingAuth) Authenticate(*http.Request) (_ rbacPrincipal, err error) {
	return rbacPrincipal{}, f.err
}

func TestAuthenticatorErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{httpapi.ErrNoCredentials, 401, "unauthenticated"},
		{fmt.Errorf("idp says no: %w", httpapi.ErrUnauthenticated), 401, "unauthenticated"},
		{errcode.New(errcode.Unavailable, "idp", "down"), 503, "unavailable"},
		{errors.New("bug"), 500, "internal"},
		{nil, 401, "unauthenticated"}, // no error but no principal
	} {
		h, err := httpapi.New(httpapi.Options{Manager: e.m, Authenticator: failingAuth{tc.err}})
		if err != nil {
			t.Fatal(err)
		}
		e.h = h
		r := e.do("GET", base, "x", "")
		if r.status != tc.status || r.apiErr().Code != tc.code {
			t.Errorf("authenticator error %v: got %d %s, want %d %s", tc.err, r.status, r.apiErr().Code, tc.status, tc.code)
		}
	}
	if _, err := httpapi.New(httpapi.Options{}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("New without a Manager: %v", err)
	}
}

func TestChain(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create("api-key")
	calls := 0
	header := httpapi.AuthenticatorFunc(func(r *http.Request) (rbacPrincipal, error) {
		calls++
		if r.Header.Get("X-User") != "alice" {
			return rbacPrincipal{}, httpapi.ErrNoCredentials
		}
		return principals[tokEditor], nil
	})
	h, _ := httpapi.New(httpapi.Options{Manager: e.m, Authenticator: httpapi.Chain(header, httpapi.StaticTokens(principals))})
	e.h = h
	if r := e.do("GET", base+"/api-key", "", "", "X-User", "alice"); r.status != 200 {
		t.Errorf("first authenticator: %d", r.status)
	}
	if r := e.do("GET", base+"/api-key", tokReader, ""); r.status != 200 {
		t.Errorf("second authenticator: %d", r.status)
	}
	if r := e.do("GET", base+"/api-key", "nope", ""); r.status != 401 {
		t.Errorf("neither: %d", r.status)
	}
	if calls != 3 {
		t.Errorf("first authenticator called %d times", calls)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{rateLimit: &httpapi.RateLimit{PerSecond: 1, Burst: 2}})
	e.create("api-key")
	for i := range 2 {
		if r := e.do("GET", base+"/api-key", tokReader, ""); r.status != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, r.status)
		}
	}
	r := e.do("GET", base+"/api-key", tokReader, "")
	if r.status != 429 || r.apiErr().Code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("third request: %d %s", r.status, r.body)
	}
	// Another principal has its own bucket.
	if r := e.do("GET", base+"/api-key", tokEditor, ""); r.status != 200 {
		t.Errorf("other principal: %d", r.status)
	}
	e.clock.Add(time.Second)
	if r := e.do("GET", base+"/api-key", tokReader, ""); r.status != 200 {
		t.Errorf("after refill: %d", r.status)
	}
}

func TestSmallBodyLimit(t *testing.T) {
	e := newEnv(t, envOptions{maxBody: 100})
	r := e.do("POST", base, tokEditor, `{"name":"a","value":"`+strings.Repeat("x", 100)+`"}`)
	if r.status != 413 {
		t.Errorf("status %d", r.status)
	}
	// Without Content-Length the reader still stops at the cap.
	req := strings.NewReader(`{"name":"a","value":"` + strings.Repeat("x", 100) + `"}`)
	rq, _ := http.NewRequest("POST", base, struct{ *strings.Reader }{req})
	rq.Header.Set("Authorization", "Bearer "+tokEditor)
	rec := newRecorder()
	e.h.ServeHTTP(rec, rq)
	if rec.Code != 413 {
		t.Errorf("chunked: status %d", rec.Code)
	}
}

func TestDecryptPath(t *testing.T) {
	if got, want := httpapi.DecryptPath("team-a", "{key}"), "/v1/namespaces/team-a/secrets/{key}/decrypt"; got != want {
		t.Errorf("DecryptPath = %q, want %q", got, want)
	}
}

func TestErrorIs(t *testing.T) {
	e := &httpapi.Error{Code: httpapi.CodeNotFound, Status: 404}
	if !errors.Is(e, secrets.ErrNotFound) || errors.Is(e, secrets.ErrInvalid) {
		t.Error("Error.Is does not map codes")
	}
}

func TestPanicIs500(t *testing.T) {
	e := newEnv(t, envOptions{})
	var got httpapi.RequestEvent
	h, _ := httpapi.New(httpapi.Options{Manager: e.m, Logger: slogTo(e.logs),
		Authenticator: httpapi.AuthenticatorFunc(func(*http.Request) (rbacPrincipal, error) { panic("s3cr3t in a panic") }),
		Auditor:       httpapi.RequestAuditor(func(_ context.Context, ev httpapi.RequestEvent) { got = ev }),
	})
	e.h = h
	r := e.do("GET", base, tokEditor, "")
	if r.status != 500 || r.apiErr().Code != "internal" || got.Status != 500 {
		t.Errorf("panic: %d %s, audited %d", r.status, r.body, got.Status)
	}
	if strings.Contains(e.logs.String(), "s3cr3t") || !strings.Contains(e.logs.String(), "panic") {
		t.Errorf("panic log: %s", e.logs.String())
	}
}
