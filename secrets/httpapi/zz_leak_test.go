package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestNoLeaksOverHTTP runs the API end to end with internal/testing/leakcheck's
// collectors on every side: the server's responses (all but the decrypt
// route, whose job is the value), the client's view of them, the handler's
// logger and request auditor, and the Manager's auditor. Values and bearer
// tokens are registered test secrets; requests go through success,
// conflicts, invalid and malformed bodies, wrong credentials and store
// failures.
func TestNoLeaksOverHTTP(t *testing.T) {
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	const ns = "team-a"
	ctx := context.Background()

	st := docstorage.NewInMemory()
	t.Cleanup(func() { st.Close() })
	fst := fault.NewStore(st)
	kekURL, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(kekURL)
	kp, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kp.Close() })
	m, err := secrets.New(secrets.Options{Store: fst.Store, Keeper: kp, Auditor: leakcheck.Auditor(nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	editorTok, runnerTok, wrongTok := leakcheck.NewValue("tok"), leakcheck.NewValue("tok"), leakcheck.NewValue("tok")
	log := slog.New(leakcheck.Handler(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h, err := httpapi.New(httpapi.Options{
		Manager: m,
		Authenticator: httpapi.StaticTokens(map[string]rbac.Principal{
			editorTok: {Kind: rbac.KindUser, ID: "alice", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}},
			runnerTok: {Kind: rbac.KindService, ID: "k6-runner", Namespace: ns, Roles: []rbac.Role{rbac.RoleDecrypter}},
		}),
		Auditor: httpapi.RequestAuditor(func(ctx context.Context, e httpapi.RequestEvent) {
			leakcheck.Checkf("request event", e)
			httpapi.LogAuditor(log)(ctx, e)
		}),
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	isDecrypt := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/decrypt") }
	srv := httptest.NewServer(leakcheck.Middleware(h, isDecrypt))
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: leakcheck.Transport(srv.Client().Transport, isDecrypt)}
	client := func(tok string) *httpapi.Client {
		c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{HTTPClient: hc, Token: secrets.NewValue(tok)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ed, run, wrong := client(editorTok), client(runnerTok), client(wrongTok)
	val := func(hint string) secrets.Value { return secrets.NewValue(leakcheck.NewValue(hint)) }
	check := func(where string, err error) { leakcheck.CheckError(where, err) }

	s, err := ed.Create(ctx, ns, secrets.Spec{Name: "api-key", Value: val("v"), Decrypters: []string{"k6-runner"}})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Checkf("created", s)
	_, err = ed.Create(ctx, ns, secrets.Spec{Name: "api-key", Value: val("dup")})
	check("duplicate create", err)
	for _, v := range []secrets.Value{
		secrets.NewValue(leakcheck.NewValue("big") + strings.Repeat("x", secrets.MaxValueBytes)),
		secrets.NewValue(leakcheck.NewValue("bin") + "\xff"),
	} {
		_, err = ed.Create(ctx, ns, secrets.Spec{Name: "bad", Value: v})
		check("invalid create", err)
	}
	_, err = ed.Reset(ctx, ns, "api-key", val("stale"), 99)
	check("stale reset", err)
	_, err = wrong.Create(ctx, ns, secrets.Spec{Name: "x", Value: val("wrongtok")})
	check("create with an unknown token", err)
	_, err = run.Create(ctx, ns, secrets.Spec{Name: "x", Value: val("denied")})
	check("create without the permission", err)
	if v, err := run.RevealValue(ctx, ns, "api-key"); err != nil || v.Len() == 0 {
		t.Fatalf("RevealValue: %v", err)
	}
	_, err = ed.RevealValue(ctx, ns, "api-key")
	check("reveal by a user", err)

	// Malformed and odd bodies that carry a value.
	raw := func(method, path, tok, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		check("raw request", err)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	base := "/v1/namespaces/" + ns + "/secrets"
	for _, body := range []string{
		`{"name":"m","value":"` + leakcheck.NewValue("trunc"),
		`{"name":"m","value":"` + leakcheck.NewValue("extra") + `","bogus":1}`,
		`{"name":"m","value":["` + leakcheck.NewValue("array") + `"]}`,
		`{"name":"m b","value":"` + leakcheck.NewValue("name") + `"}`,
		`["` + leakcheck.NewValue("top") + `"]`,
		`{"name":"m","value":"` + leakcheck.NewValue("twice") + `"}{"x":1}`,
	} {
		raw("POST", base, editorTok, body)
	}
	raw("POST", base+"/api-key/reset", editorTok, `{"value":"`+leakcheck.NewValue("r")+`","revision":"x"}`)
	raw("POST", base+"/api-key/reset", editorTok, `{"value":`+leakcheck.NewValue("num")+`}`)
	raw("GET", base+"/api-key", "Bearer "+editorTok, "")

	// Store failures give 5xx, whose details go to the logger.
	fst.In.FailAll("", nil)
	_, err = ed.Create(ctx, ns, secrets.Spec{Name: "down", Value: val("down")})
	check("create with the store down", err)
	_, err = ed.Reset(ctx, ns, "api-key", val("down"), 0)
	check("reset with the store down", err)
	_, err = run.RevealValue(ctx, ns, "api-key")
	check("reveal with the store down", err)
	fst.In.Reset()
}

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }
