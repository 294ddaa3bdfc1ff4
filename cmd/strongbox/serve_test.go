package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
	for _, flag := range []string{"addr", "data-dir", "store", "metadata-store", "ciphertext-store", "kek", "tls-cert", "tls-key", "insecure-listen", "audit-log", "shutdown-timeout", "oidc-issuer", "oidc-audience", "oidc-namespace", "oidc-namespace-claim", "oidc-subject-claim", "oidc-roles-claim", "oidc-role"} {
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
