package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

// TestBinaryOIDC: with --oidc-*, a JWT of the issuer whose groups map to
// Editor creates and lists secrets; one whose groups map to nothing is
// refused.
func TestBinaryOIDC(t *testing.T) {
	bin := buildBinary(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	idp := httptest.NewUnstartedServer(nil)
	issuer := "http://" + idp.Listener.Addr().String()
	idp.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": issuer + "/keys",
				"id_token_signing_alg_values_supported": []string{"ES256"}})
		case "/keys":
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	})
	idp.Start()
	defer idp.Close()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	jwt := func(groups ...string) string {
		b, _ := json.Marshal(map[string]any{"iss": issuer, "aud": "strongbox", "sub": "alice", "groups": groups,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		jws, err := signer.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		leakcheck.Register(s)
		return s
	}
	home := t.TempDir()
	p := start(t, bin, childEnv(home, "STRONGBOX_DATA_DIR="+filepath.Join(home, "data"), "STRONGBOX_OIDC_ROLE=editors=editor"),
		"serve", "--addr", "127.0.0.1:0", "--oidc-issuer", issuer, "--oidc-audience", "strongbox")
	editor := jwt("editors")
	code, b := do(t, "POST", p.baseURL+"/v1/namespaces/default/secrets", editor, map[string]any{
		"name": "api-key", "value": leakcheck.NewValue("oidc"), "decrypters": []string{"k6"}})
	if code != http.StatusCreated {
		t.Fatalf("create with an editor's JWT: %d %s", code, b)
	}
	if code, _ := do(t, "GET", p.baseURL+"/v1/namespaces/default/secrets", editor, nil); code != http.StatusOK {
		t.Errorf("list with an editor's JWT: %d", code)
	}
	if code, _ := do(t, "GET", p.baseURL+"/v1/namespaces/default/secrets", jwt("others"), nil); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("list with a JWT granting no role: %d, want 401 or 403", code)
	}
	p.stop(t)
	leakcheck.Check("stderr", strings.ReplaceAll(p.stderr.String(), adminToken(p.stderr.String()), ""))
}
