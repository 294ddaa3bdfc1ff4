package secretstest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Server is a local HTTP server speaking the protocol of k6's url secret
// source (and of the decrypt route of package httpapi) over a fixed map of
// values, for tests of runner integrations. Start one with NewServer.
type Server struct {
	// URL is the base URL, http://127.0.0.1:<port> without a trailing
	// slash: the value of name is served at URL + "/" + name.
	URL string
	// Token is the bearer token every request must carry
	// ("Authorization: Bearer " + Token). It is random and made of
	// letters and digits only, so it fits in a k6 spec as it is.
	Token string
	// Spec is the k6 --secret-source spec (and source.Options.Specs entry)
	// that reads this server's values:
	//
	//	url=urlTemplate=<URL>/{key},headers.Authorization=Bearer <Token>,responsePath=value
	//
	// It holds Token: keep it out of logs like any credential.
	Spec string
}

// NewServer starts a Server over a copy of values (name to value) and stops
// it with t.Cleanup. It answers, for GET URL/<name>:
//
//   - 200 {"value":"<value>"} as application/json (responsePath=value);
//   - 200 the value itself as text/plain with ?format=raw;
//   - 401 when the Authorization header is not "Bearer " + Token;
//   - 404 for a name that is not in values;
//   - 405 for any method but GET and HEAD.
//
// The name is the unescaped path after the first "/", so the url source's
// escaping of {key} round-trips. Error bodies are a status line only, and
// nothing is logged: no value, token or name reaches the test's output.
func NewServer(t testing.TB, values map[string]string) *Server {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("secretstest: making a token: %v", err)
	}
	token := "sbtest" + hex.EncodeToString(b)
	h := &valueHandler{values: maps.Clone(values), auth: []byte("Bearer " + token)}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return &Server{
		URL:   srv.URL,
		Token: token,
		Spec:  "url=urlTemplate=" + srv.URL + "/{key},headers.Authorization=Bearer " + token + ",responsePath=value",
	}
}

type valueHandler struct {
	values map[string]string // never changed after NewServer
	auth   []byte
}

func (h *valueHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		status(w, http.StatusMethodNotAllowed)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), h.auth) != 1 {
		w.Header().Set("WWW-Authenticate", "Bearer")
		status(w, http.StatusUnauthorized)
		return
	}
	v, ok := h.values[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok {
		status(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Get("format") == "raw" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, v)
		return
	}
	body, _ := json.Marshal(struct {
		Value string `json:"value"`
	}{v}) // a struct of one string always encodes
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func status(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, http.StatusText(code)+"\n")
}
