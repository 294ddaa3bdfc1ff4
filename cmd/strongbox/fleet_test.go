package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

// TestFleetRunTokenRevocationSurvivesRestart: a run token revoked through
// serve stays refused after serve restarts; the revocation lives in the
// store, not in the process (issue #14 item 2). Before, the restarted
// process answered 200.
func TestFleetRunTokenRevocationSurvivesRestart(t *testing.T) {
	bin := buildBinary(t)
	home := t.TempDir()
	env := childEnv(home, "STRONGBOX_DATA_DIR="+filepath.Join(t.TempDir(), "data"))
	args := []string{"serve", "--addr", "127.0.0.1:0", "--audit-log", filepath.Join(home, "audit.jsonl")}
	p := start(t, bin, env, args...)
	admin := adminToken(p.stderr.String())
	if admin == "" {
		t.Fatalf("first start printed no admin token:\n%s", p.stderr.String())
	}
	leakcheck.Register(admin)
	value := leakcheck.NewValue("revoked-run")
	if code, b := do(t, "POST", p.baseURL+"/v1/namespaces/default/secrets", admin, map[string]any{
		"name": "api-key", "value": value, "decrypters": []string{"k6-runner"}}); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	code, b := do(t, "POST", p.baseURL+"/v1/namespaces/default/runtokens", admin, map[string]any{
		"names": []string{"api-key"}, "subject": "k6-runner", "ttl": "10m"})
	var issued struct{ ID, Token string }
	if code != http.StatusCreated || json.Unmarshal(b, &issued) != nil || issued.Token == "" || issued.ID == "" {
		t.Fatalf("issue a run token: %d", code)
	}
	leakcheck.Register(issued.Token)
	reveal := func(base string) int {
		code, _ := do(t, "GET", base+"/v1/namespaces/default/secrets/api-key/decrypt", issued.Token, nil)
		return code
	}
	if code := reveal(p.baseURL); code != 200 {
		t.Fatalf("reveal before the revocation: %d", code)
	}
	if code, b := do(t, "DELETE", p.baseURL+"/v1/namespaces/default/runtokens/"+issued.ID, admin, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, b)
	}
	if code := reveal(p.baseURL); code != http.StatusUnauthorized {
		t.Errorf("reveal after the revocation: %d, want 401", code)
	}
	p.stop(t)
	p2 := start(t, bin, env, args...)
	if code := reveal(p2.baseURL); code != http.StatusUnauthorized {
		t.Errorf("reveal after a restart: %d, want 401", code)
	}
	p2.stop(t)
}
