package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/service"
)

// TestServeHelpDocumentsEveryFlag: --help names every flag and its
// STRONGBOX_* variable.
func TestServeHelpDocumentsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	root := newRootCmd(&out, &out, func(string) string { return "" })
	root.SetArgs([]string{"serve", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"addr", "data-dir", "store", "metadata-store", "ciphertext-store", "kek", "tls-cert", "tls-key", "insecure-listen", "audit-log", "shutdown-timeout", "oidc-issuer", "oidc-audience", "oidc-namespace", "oidc-namespace-claim", "oidc-subject-claim", "oidc-roles-claim", "oidc-role", "oidc-client-id", "oidc-client-secret", "oidc-redirect-url", "keep-versions"} {
		if !strings.Contains(out.String(), "--"+flag+" ") || !strings.Contains(out.String(), "$"+envName(flag)+"]") {
			t.Errorf("help lacks --%s or $%s", flag, envName(flag))
		}
	}
}

// TestApplyEnv: a variable sets its flag unless the command line gave it;
// STRONGBOX_KEK holds several URLs.
func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"STRONGBOX_ADDR":             "127.0.0.1:9999",
		"STRONGBOX_DATA_DIR":         "/from/env",
		"STRONGBOX_KEK":              "awskms://a?region=x  hashivault://b\n",
		"STRONGBOX_INSECURE_LISTEN":  "true",
		"STRONGBOX_SHUTDOWN_TIMEOUT": "3s",
	}
	var got serveConfig
	cmd := newServeCmd(nil, nil, func(k string) string { return env[k] })
	if err := cmd.ParseFlags([]string{"--data-dir", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd.Flags(), func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	f := cmd.Flags()
	got.addr, _ = f.GetString("addr")
	got.dataDir, _ = f.GetString("data-dir")
	got.keks, _ = f.GetStringArray("kek")
	got.insecureListen, _ = f.GetBool("insecure-listen")
	got.shutdownTimeout, _ = f.GetDuration("shutdown-timeout")
	want := serveConfig{addr: "127.0.0.1:9999", dataDir: "/from/flag", keks: []string{"awskms://a?region=x", "hashivault://b"},
		insecureListen: true, shutdownTimeout: 3 * time.Second}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(serveConfig{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	env["STRONGBOX_SHUTDOWN_TIMEOUT"] = "soon"
	cmd = newServeCmd(nil, nil, nil)
	err := applyEnv(cmd.Flags(), func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "STRONGBOX_SHUTDOWN_TIMEOUT") || strings.Contains(err.Error(), "soon") {
		t.Errorf("bad variable: %v", err)
	}
}

// TestCheckListen: loopback is fine; anything else needs TLS or
// --insecure-listen.
func TestCheckListen(t *testing.T) {
	tests := []struct {
		cfg serveConfig
		ok  bool
	}{
		{serveConfig{addr: "127.0.0.1:8080"}, true},
		{serveConfig{addr: "[::1]:8080"}, true},
		{serveConfig{addr: "localhost:8080"}, true},
		{serveConfig{addr: ":8080"}, false},
		{serveConfig{addr: "0.0.0.0:8080"}, false},
		{serveConfig{addr: "10.0.0.1:8080"}, false},
		{serveConfig{addr: "example.com:8080"}, false},
		{serveConfig{addr: ":8080", insecureListen: true}, true},
		{serveConfig{addr: ":8080", tlsCert: "c", tlsKey: "k"}, true},
		{serveConfig{addr: "127.0.0.1:8080", tlsCert: "c"}, false},
		{serveConfig{addr: "8080"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.addr, func(t *testing.T) {
			if err := checkListen(tt.cfg); (err == nil) != tt.ok {
				t.Errorf("checkListen(%+v) = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}

// TestPageOIDCConfig: the page's OIDC sign-in needs the issuer, a client
// id equal to the API's audience and an absolute callback URL; without a
// client id the page signs in with API tokens only. Errors never hold the
// client secret.
func TestPageOIDCConfig(t *testing.T) {
	const secret = "client-secret-value"
	ok := serveConfig{oidcIssuer: "https://idp.example", oidcAudience: "strongbox", oidcClientID: "strongbox",
		oidcClientSecret: secret, oidcRedirectURL: "https://sb.example/signin/oidc/callback"}
	tests := []struct {
		name    string
		edit    func(*serveConfig)
		wantErr string
		wantNil bool
	}{
		{"complete", func(*serveConfig) {}, "", false},
		{"no client id: API tokens only", func(c *serveConfig) { *c = serveConfig{oidcIssuer: c.oidcIssuer} }, "", true},
		{"secret without client id", func(c *serveConfig) { c.oidcClientID = "" }, "need --oidc-client-id", false},
		{"no issuer", func(c *serveConfig) { c.oidcIssuer = "" }, "needs --oidc-issuer", false},
		{"client id is not the audience", func(c *serveConfig) { c.oidcClientID = "other" }, "must equal --oidc-audience", false},
		{"relative redirect", func(c *serveConfig) { c.oidcRedirectURL = "/signin/oidc/callback" }, "--oidc-redirect-url", false},
		{"redirect elsewhere", func(c *serveConfig) { c.oidcRedirectURL = "https://sb.example/callback" }, "--oidc-redirect-url", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			got, err := pageOIDCConfig(cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), secret) {
					t.Fatalf("err = %v; want one naming %q, without the secret", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != tc.wantNil {
				t.Fatalf("config %v, want nil: %v", got, tc.wantNil)
			}
			if got != nil && (got.ClientID != "strongbox" || got.ClientSecret != secret || got.RedirectURL != ok.oidcRedirectURL || got.Issuer != ok.oidcIssuer) {
				t.Errorf("config does not carry the flags")
			}
		})
	}
}

// TestHeldReadiness: /readyz probes the --kek keys the instance still
// holds; a key the fleet retired (and the instance dropped) is not probed,
// since it may be deleted in its key service before the restart without it.
func TestHeldReadiness(t *testing.T) {
	ctx := context.Background()
	var keks []keeper.KEK
	for _, id := range []string{"k1", "k2"} {
		u, err := keeper.NewThrowawayKEKURL()
		if err != nil {
			t.Fatal(err)
		}
		leakcheck.Register(u)
		keks = append(keks, keeper.KEK{ID: id, URL: u})
	}
	env, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: keks})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ids := func(r *service.Readiness) []string {
		var out []string
		for _, k := range r.KEKs {
			out = append(out, kekID(k))
		}
		return out
	}
	h := &heldReadiness{env: env, all: append(keks, keeper.KEK{ID: "gone", URL: "awskms://alias/gone?region=x"})}
	if diff := cmp.Diff([]string{"k1", "k2"}, ids(h.current())); diff != "" {
		t.Errorf("probed (-want +got):\n%s", diff)
	}
	if err := env.RemoveKEK(ctx, "k2", keeper.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k1"}, ids(h.current())); diff != "" {
		t.Errorf("after k2 was dropped, probed (-want +got):\n%s", diff)
	}
}
