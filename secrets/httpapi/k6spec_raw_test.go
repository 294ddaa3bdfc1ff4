package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/source"
)

// TestK6SpecRawFitsTheCap: a 24 KiB value of quotes is 48 KiB once JSON
// escaped, over the url source's (and k6's) 24 KiB response cap; the raw
// form fetches it.
func TestK6SpecRawFitsTheCap(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.serve()
	v := strings.Repeat(`"`, 24576-8) + e.newValue()[:8]
	leakcheck.Register(v)
	body, _ := json.Marshal(map[string]any{"name": "quotes", "value": v, "decrypters": []string{"k6-runner"}})
	if r := e.do("POST", "/v1/namespaces/"+ns+"/secrets", tokEditor, string(body)); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	tok := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"quotes"}})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		spec string
		ok   bool
	}{
		{"json", httpapi.K6Spec(srv.URL, ns, tok), false},
		{"raw", httpapi.K6SpecRaw(srv.URL, ns, tok), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := source.NewResolver(ctx, source.Options{Specs: []string{tc.spec}, Redactor: &fakeRedactor{}, Env: func() []string { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := r.Get(ctx, "quotes")
			if tc.ok != (err == nil) || (tc.ok && got.DangerouslyExpose() != v) {
				t.Fatalf("Get: %v (ok %v)", err, tc.ok)
			}
		})
	}
}
