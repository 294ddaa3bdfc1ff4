package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/httpapi/metrics"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// service is the API over in-memory backends, every part recording to
// one Exporter. Its namespace, names, tokens and values are registered
// test secrets.
type service struct {
	ex             *metrics.Exporter
	h              http.Handler
	ns, name       string
	editor, runner string
	value          string
}

func newService(t *testing.T) *service {
	t.Helper()
	ctx := context.Background()
	ex, err := metrics.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Shutdown(context.Background()) })
	mp := ex.MeterProvider()
	s := &service{ex: ex, ns: leakcheck.NewValue("ns"), name: leakcheck.NewValue("name"),
		editor: leakcheck.NewValue("tok"), value: leakcheck.NewValue("value")}
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(u, u[len("base64key://"):])
	kp, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); st.Close(); kp.Close() })
	key, err := runtoken.NewHMACKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	runID := leakcheck.NewValue("run")
	s.runner, _, err = iss.Issue(ctx, runtoken.Grant{Namespace: s.ns, Subject: runID, AllNames: true, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(s.runner)
	h, err := httpapi.New(httpapi.Options{
		Manager: m, RunTokens: iss.Verifier(), MeterProvider: mp,
		Authenticator: httpapi.StaticTokens(map[string]rbac.Principal{
			s.editor: {Kind: rbac.KindUser, ID: leakcheck.NewValue("user"), Namespace: s.ns, Roles: []rbac.Role{rbac.RoleEditor}},
		}),
		RateLimit:    &httpapi.RateLimit{PerSecond: 1000, Burst: 1000},
		AuthFailures: httpapi.AuthFailureLimit{PerSecond: 0.001, Burst: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	path := "/v1/namespaces/" + s.ns + "/secrets"
	for _, r := range []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", path, s.editor, `{"name":"` + s.name + `","value":"` + s.value + `","decrypters":["` + runID + `"]}`, 201},
		{"GET", path + "/" + s.name + "/decrypt", s.runner, "", 200},
		{"GET", path, leakcheck.NewValue("wrongtok"), "", 401},
		{"GET", path, leakcheck.NewValue("wrongtok"), "", 429},
	} {
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
		req.Header.Set("Authorization", "Bearer "+r.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != r.status {
			t.Fatalf("%s %s: %d, want %d: %s", r.method, r.path, rec.Code, r.status, rec.Body)
		}
	}
	return s
}

// scrape GETs /metrics from the exporter and returns the text and its
// parsed families.
func scrape(t *testing.T, h http.Handler) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	leakcheck.Check("/metrics", string(body))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return string(body), fams
}

func labelNames(m *dto.Metric) []string {
	var out []string
	for _, l := range m.GetLabel() {
		switch l.GetName() {
		case "otel_scope_name", "otel_scope_version", "otel_scope_schema_url":
		default:
			out = append(out, l.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// TestPrometheusText checks that every strongbox metric is served in the
// Prometheus text format under its documented name and labels, with the
// Go runtime and process collectors and the resource.
func TestPrometheusText(t *testing.T) {
	s := newService(t)
	text, fams := scrape(t, s.ex)
	want := map[string][]string{
		"http_server_request_duration_seconds":                {"http_request_method", "http_response_status_code", "http_route"},
		"strongbox_http_server_authentication_failures_total": {"strongbox_auth_credential", "strongbox_auth_reason"},
		"strongbox_http_server_rate_limited_total":            {"strongbox_limit"},
		"strongbox_secrets_reveals_total":                     {"strongbox_outcome"},
		"strongbox_keeper_kek_calls_total":                    {"strongbox_kek_operation", "strongbox_outcome"},
		"strongbox_keeper_kek_duration_seconds":               {"strongbox_kek_operation", "strongbox_outcome"},
		"strongbox_keeper_data_key_cache_lookups_total":       {"strongbox_cache_result"},
	}
	got := map[string][]string{}
	for name := range want {
		f, ok := fams[name]
		if !ok {
			t.Errorf("no %s in /metrics", name)
			continue
		}
		// The labels of the first series (successful requests have no
		// error_type).
		got[name] = labelNames(f.GetMetric()[0])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	for _, line := range []string{
		`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="201",http_route="/v1/namespaces/{namespace}/secrets",otel_scope_name="github.com/strongbox-go/strongbox/secrets/httpapi"`,
		`strongbox_secrets_reveals_total{otel_scope_name="github.com/strongbox-go/strongbox/secrets",otel_scope_schema_url="",otel_scope_version="",strongbox_outcome="ok"} 1`,
		`strongbox_http_server_rate_limited_total{otel_scope_name="github.com/strongbox-go/strongbox/secrets/httpapi",otel_scope_schema_url="",otel_scope_version="",strongbox_limit="auth_failures"} 1`,
		`strongbox_http_server_authentication_failures_total{otel_scope_name="github.com/strongbox-go/strongbox/secrets/httpapi",otel_scope_schema_url="",otel_scope_version="",strongbox_auth_credential="bearer",strongbox_auth_reason="refused"} 1`,
		`strongbox_keeper_kek_calls_total{otel_scope_name="github.com/strongbox-go/strongbox/keeper",otel_scope_schema_url="",otel_scope_version="",strongbox_kek_operation="wrap",strongbox_outcome="ok"} 1`,
		`strongbox_keeper_data_key_cache_lookups_total{otel_scope_name="github.com/strongbox-go/strongbox/keeper",otel_scope_schema_url="",otel_scope_version="",strongbox_cache_result="hit"} 1`,
		`service_name="strongbox"`,
		"go_goroutines ",
		"# TYPE http_server_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}

// TestPrometheusTextHasNoInput is the leak test of the endpoint: no label
// value holds the namespace, a secret name, a token or a value the
// requests used (all registered with leakcheck, which also scans the whole
// body in scrape).
func TestPrometheusTextHasNoInput(t *testing.T) {
	s := newService(t)
	_, fams := scrape(t, s.ex)
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, w := range []string{s.ns, s.name, s.editor, s.runner, s.value, leakcheck.Marker} {
					if strings.Contains(l.GetValue(), w) {
						t.Errorf("%s{%s=%q} holds caller input", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}

// TestTwoExporters checks that Exporters do not share a registry: two in
// one process (two handlers, or tests) neither clash nor mix.
func TestTwoExporters(t *testing.T) {
	a, b := newService(t), newService(t)
	_, fa := scrape(t, a.ex)
	_, fb := scrape(t, b.ex)
	for _, fams := range []map[string]*dto.MetricFamily{fa, fb} {
		var reveals float64
		for _, m := range fams["strongbox_secrets_reveals_total"].GetMetric() {
			reveals += m.GetCounter().GetValue()
		}
		if reveals != 1 {
			t.Errorf("reveals = %v, want 1 in each exporter", reveals)
		}
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }
