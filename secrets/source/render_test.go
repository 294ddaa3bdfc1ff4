package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
)

// TestSourceTypesHideSecrets: every type of the package that holds a value,
// a header value, a spec's config or a url template (which may carry
// credentials) hides them under every fmt verb, JSON, text marshalling and
// slog (issue #11 item 1, its class). Before, %+v of a *MapSource or a
// *URLSource printed the values and tokens held in unexported fields, and
// JSON of a URLConfig printed the template's password and query token.
func TestSourceTypesHideSecrets(t *testing.T) {
	ctx := context.Background()
	const (
		mockValue  = "s3cret-mock-value"
		headerTok  = "s3cret-header-token"
		userPass   = "s3cret-userinfo-pw"
		queryToken = "s3cret-query-token"
		served     = "s3cret-served-value"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(served))
	}))
	defer srv.Close()
	cfg := URLConfig{
		URLTemplate: "https://user:" + userPass + "@vault.example/{key}?token=" + queryToken,
		Headers:     map[string]secrets.Value{"Authorization": secrets.NewValue("Bearer " + headerTok)},
	}
	us, err := newURLSource(cfg, URLOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := newMapSource(map[string]string{"a": mockValue})
	if err != nil {
		t.Fatal(err)
	}
	live, err := newURLSource(URLConfig{URLTemplate: srv.URL + "/{key}", Headers: cfg.Headers}, URLOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cache := newCache(live, nil)
	if _, err := cache.Get(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	specs := []string{"mock=a=" + mockValue, "url=urlTemplate=" + cfg.URLTemplate + ",headers.Authorization=" + headerTok}
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Specs: specs})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Source("mock").Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	sp, err := testParseSpec(specs[1])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(cfg), "template https://vault.example/... (rest not printed), method \"\", headers [\"Authorization\"]"; !strings.Contains(got, want) {
		t.Errorf("URLConfig prints %q, want it to contain %q", got, want)
	}
	all := []string{mockValue, headerTok, userPass, queryToken, served}
	for _, tt := range []struct {
		name string
		v    any
	}{
		{"URLConfig", cfg},
		{"URLSource.Config", us.config()},
		{"*URLSource", us},
		{"URLSource", *us},
		{"*MapSource", ms},
		{"MapSource", *ms},
		{"*Cache holding a value", cache},
		{"*Resolver", r},
		{"Options", Options{Specs: specs}},
		{"Params", Params{Type: sp.Type, Name: sp.Name, Config: sp.Config}},
		{"spec", sp},
	} {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.CheckRenderings(t, tt.v, all...)
		})
	}
}
