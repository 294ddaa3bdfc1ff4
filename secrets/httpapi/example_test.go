package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/secrets/source"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// A service serves its Manager over HTTP, creates a secret through the API,
// issues a run token for it, and a Go runner reads it with a RemoteSource.
func Example() {
	ctx := context.Background()
	kek, _ := keeper.NewThrowawayKEKURL()
	k, _ := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	defer k.Close()
	st := docstorage.NewInMemory()
	defer st.Close()
	m, _ := secrets.New(secrets.Options{Store: st, Keeper: k})
	defer m.Close()

	key, _ := runtoken.NewHMACKey("2026-11", nil)
	iss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})
	h, _ := httpapi.New(httpapi.Options{
		Manager: m,
		// Your identity provider here; fixed tokens are for examples.
		Authenticator: httpapi.StaticTokens(map[string]rbac.Principal{
			"alice-token": {Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}},
		}),
		RunTokens: iss.Verifier(),
	})
	srv := httptest.NewServer(h) // production: httpapi.NewServer(addr, h)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/namespaces/team-a/secrets",
		strings.NewReader(`{"name":"api-key","value":"s3cr3t","decrypters":["k6-runner"]}`))
	req.Header.Set("Authorization", "Bearer alice-token")
	res, _ := http.DefaultClient.Do(req)
	res.Body.Close()
	fmt.Println("create:", res.Status, "ETag", res.Header.Get("ETag"))

	tok, _, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a", Subject: "k6-runner", Names: []string{"api-key"}})
	fmt.Println(strings.Replace(httpapi.K6SpecEnv(srv.URL, "team-a", tok), tok, "<run token>", 1)[len("K6_SECRET_SOURCE=url=urlTemplate=")+len(srv.URL):])

	rs, _ := httpapi.NewRemoteSource(httpapi.RemoteConfig{BaseURL: srv.URL, Namespace: "team-a",
		Token: secrets.NewValue(tok)}, source.URLOptions{})
	v, err := rs.Get(ctx, "api-key")
	fmt.Println("remote:", v, err, v.Len())
	// Output:
	// create: 201 Created ETag "1"
	// /v1/namespaces/team-a/secrets/{key}/decrypt,headers.Authorization=Bearer <run token>,responsePath=value
	// remote: [REDACTED] <nil> 6
}

// K6SpecEnv gives k6 its secret source in the environment, where ps does
// not show it to other users of the host.
func ExampleK6SpecEnv() {
	tok := "sbrt1.<run token>" // from runtoken.Issuer.Issue
	cmd := exec.Command("k6", "run", "script.js")
	cmd.Env = append(os.Environ(), httpapi.K6SpecEnv("https://secrets.example.com", "team-a", tok))
	fmt.Println(cmd.Env[len(cmd.Env)-1])
	// Output:
	// K6_SECRET_SOURCE=url=urlTemplate=https://secrets.example.com/v1/namespaces/team-a/secrets/{key}/decrypt,headers.Authorization=Bearer sbrt1.<run token>,responsePath=value
}
