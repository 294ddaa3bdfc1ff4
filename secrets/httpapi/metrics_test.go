package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/internal/testing/metrictest"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// metricsEnv is a Handler whose metrics a test reads. Its namespace,
// secret name and tokens are registered test secrets, so that any of them
// in a metric attribute fails the package's run (metrictest.Collect checks
// every point with leakcheck).
type metricsEnv struct {
	t                  *testing.T
	rd                 *metrictest.Reader
	h                  *httpapi.Handler
	clk                *clock
	iss                *runtoken.Issuer
	ns, name           string
	editor, runner     string
	wrong              string
	runnerID, editorID string
}

func newMetricsEnv(t *testing.T, rd *metrictest.Reader, o httpapi.Options) *metricsEnv {
	t.Helper()
	ctx := context.Background()
	e := &metricsEnv{t: t, rd: rd, clk: &clock{t: time.Now().UTC().Truncate(time.Second)},
		ns: leakcheck.NewValue("ns"), name: leakcheck.NewValue("name"),
		editor: leakcheck.NewValue("tok"), runner: leakcheck.NewValue("tok"), wrong: leakcheck.NewValue("tok"),
		runnerID: leakcheck.NewValue("run"), editorID: leakcheck.NewValue("user")}
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(u)
	kp, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{MeterProvider: rd})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, MeterProvider: rd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); st.Close(); kp.Close() })
	key, err := runtoken.NewHMACKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.iss, err = runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Clock: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	o.Manager, o.RunTokens, o.Clock, o.MeterProvider = m, e.iss.Verifier(), e.clk.Now, rd
	if o.APITokens, err = apitoken.New(apitoken.Options{Store: apitoken.NewMemoryStore(), Guard: m}); err != nil {
		t.Fatal(err)
	}
	o.Authenticator = httpapi.StaticTokens(map[string]rbac.Principal{
		e.editor: {Kind: rbac.KindUser, ID: e.editorID, Namespace: e.ns, Roles: []rbac.Role{rbac.RoleEditor}},
	})
	e.h, err = httpapi.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *metricsEnv) do(method, path, token, body string) int {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code
}

func (e *metricsEnv) runToken(ttl time.Duration) string {
	e.t.Helper()
	tok, _, err := e.iss.Issue(context.Background(), runtoken.Grant{Namespace: e.ns, Subject: e.runnerID, AllNames: true, TTL: ttl})
	if err != nil {
		e.t.Fatal(err)
	}
	leakcheck.Register(tok)
	return tok
}

// TestHTTPMetrics checks the handler's metrics after each kind of request:
// the duration histogram by method, route pattern, status and error code;
// 401s by credential and reason; 429s by limit. No attribute holds the
// path's namespace or name, a token or a principal.
func TestHTTPMetrics(t *testing.T) {
	rd := metrictest.New(t)
	e := newMetricsEnv(t, rd, httpapi.Options{AuthFailures: httpapi.AuthFailureLimit{Disabled: true}})
	secretsPath := "/v1/namespaces/" + e.ns + "/secrets"
	secretPath := secretsPath + "/" + e.name
	value := leakcheck.NewValue("value")
	for _, s := range []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", secretsPath, e.editor, `{"name":"` + e.name + `","value":"` + value + `","decrypters":["` + e.runnerID + `"]}`, 201},
		{"GET", secretPath, e.editor, "", 200},
		{"GET", secretsPath + "/" + leakcheck.NewValue("missing"), e.editor, "", 404},
		{"GET", secretPath + "/decrypt", e.runToken(time.Minute), "", 200},
		{"GET", secretPath, "", "", 401},
		{"GET", secretPath, e.wrong, "", 401},
		{"GET", secretPath, runtoken.Prefix + "k1.bm9wZQ.bm9wZQ", "", 401},
		{"GET", secretPath, apitoken.Prefix + "aaaaaaaaaaaaaaaa_" + strings.Repeat("a", 52), "", 401},
		{"GET", "/" + leakcheck.NewValue("nowhere"), e.editor, "", 404},
		{"BREW", secretPath, e.editor, "", 405},
	} {
		if got := e.do(s.method, s.path, s.token, s.body); got != s.status {
			t.Fatalf("%s %s: status %d, want %d", s.method, s.path, got, s.status)
		}
	}
	expired := e.runToken(time.Second)
	e.clk.Add(time.Minute)
	if got := e.do("GET", secretPath+"/decrypt", expired, ""); got != 401 {
		t.Fatalf("expired run token: status %d", got)
	}

	// A second handler with tight limits, on the same provider.
	lim := newMetricsEnv(t, rd, httpapi.Options{RateLimit: &httpapi.RateLimit{PerSecond: 0.001, Burst: 1},
		AuthFailures: httpapi.AuthFailureLimit{PerSecond: 0.001, Burst: 1}})
	limPath := "/v1/namespaces/" + lim.ns + "/secrets"
	for _, s := range []struct {
		token  string
		status int
	}{
		{lim.editor, 200}, {lim.editor, 429}, // principal
		{lim.wrong, 401}, {lim.wrong, 429}, // auth failures
	} {
		if got := lim.do("GET", limPath, s.token, ""); got != s.status {
			t.Fatalf("limits: status %d, want %d", got, s.status)
		}
	}

	points := rd.Collect(t)
	const (
		routeSecrets = "/v1/namespaces/{namespace}/secrets"
		routeSecret  = routeSecrets + "/{name}"
		routeDecrypt = routeSecret + "/decrypt"
	)
	req := func(method, route, status, code string) string {
		s := "method=" + method + " status=" + status
		if route != "" {
			s += " route=" + route
		}
		if code != "" {
			s += " error=" + code
		}
		return s
	}
	wantRequests := map[string]float64{
		req("POST", routeSecrets, "201", ""):                    1,
		req("GET", routeSecret, "200", ""):                      1,
		req("GET", routeSecret, "404", "not_found"):             1,
		req("GET", routeDecrypt, "200", ""):                     1,
		req("GET", routeSecret, "401", "unauthenticated"):       4,
		req("GET", routeDecrypt, "401", "unauthenticated"):      1,
		req("GET", "", "404", "not_found"):                      1,
		req("_OTHER", routeSecret, "405", "method_not_allowed"): 1,
		req("GET", routeSecrets, "200", ""):                     1,
		req("GET", routeSecrets, "429", "rate_limited"):         2,
		req("GET", routeSecrets, "401", "unauthenticated"):      1,
	}
	wantAuth := map[string]float64{
		"none/no_credentials": 1,
		"bearer/refused":      2,
		"run_token/signature": 1,
		"api_token/refused":   1,
		"run_token/expired":   1,
	}
	wantLimited := map[string]float64{"principal": 1, "auth_failures": 1}
	gotRequests, gotAuth, gotLimited := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, p := range points {
		if p.Scope != "github.com/strongbox-go/strongbox/secrets/httpapi" {
			continue
		}
		a := p.Attrs
		switch p.Metric {
		case "http.server.request.duration":
			for k := range a {
				switch k {
				case "http.request.method", "http.route", "http.response.status_code", "error.type":
				default:
					t.Errorf("%s: unexpected attribute %s", p, k)
				}
			}
			gotRequests[req(a["http.request.method"], a["http.route"], a["http.response.status_code"], a["error.type"])] += p.Value
		case "strongbox.http.server.authentication_failures":
			if len(a) != 2 {
				t.Errorf("%s: want credential and reason only", p)
			}
			gotAuth[a["strongbox.auth.credential"]+"/"+a["strongbox.auth.reason"]] += p.Value
		case "strongbox.http.server.rate_limited":
			if len(a) != 1 {
				t.Errorf("%s: want the limit only", p)
			}
			gotLimited[a["strongbox.limit"]] += p.Value
		default:
			t.Errorf("unexpected metric %s", p)
		}
	}
	for _, c := range []struct {
		what      string
		want, got map[string]float64
	}{
		{"requests", wantRequests, gotRequests},
		{"authentication failures", wantAuth, gotAuth},
		{"rate limited", wantLimited, gotLimited},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s\n%s", c.what, diff, metrictest.Dump(points))
		}
	}
	// The Manager's and keeper's metrics came along on the same provider.
	if got := metrictest.Value(points, "strongbox.secrets.reveals", "strongbox.outcome", "ok"); got != 1 {
		t.Errorf("reveals ok = %v, want 1\n%s", got, metrictest.Dump(points))
	}
	metrictest.CheckNoInput(t, points, e.ns, e.name, lim.ns, e.runnerID, e.editorID, "nowhere", "missing", "BREW", value)
}

// TestHTTPMetricsHistogramRecordsLatency checks that the duration is the
// handler's clock's, in seconds.
func TestHTTPMetricsHistogramRecordsLatency(t *testing.T) {
	rd := metrictest.New(t)
	e := newMetricsEnv(t, rd, httpapi.Options{Auditor: httpapi.RequestAuditor(func(context.Context, httpapi.RequestEvent) {})})
	slow := httpapi.AuthenticatorFunc(func(r *http.Request) (rbac.Principal, error) {
		e.clk.Add(1500 * time.Millisecond)
		return rbac.Principal{}, httpapi.ErrNoCredentials
	})
	h, err := httpapi.New(httpapi.Options{Manager: mustManager(t), Authenticator: slow, Clock: e.clk.Now, MeterProvider: rd,
		AuthFailures: httpapi.AuthFailureLimit{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/namespaces/a/secrets", nil))
	for _, p := range rd.Collect(t) {
		if p.Metric == "http.server.request.duration" {
			if p.Value != 1 || p.Sum != 1.5 {
				t.Errorf("%s: count %v sum %v, want 1 and 1.5", p, p.Value, p.Sum)
			}
			return
		}
	}
	t.Error("no request duration recorded")
}

func mustManager(t *testing.T) *secrets.Manager {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keeper.OpenEnvelope(context.Background(), u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); st.Close(); kp.Close() })
	return m
}
