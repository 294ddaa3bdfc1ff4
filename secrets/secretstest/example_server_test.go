package secretstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/strongbox-go/strongbox/secrets/secretstest"
)

// A server for a runner's url source: srv.Spec is the --secret-source spec
// that reads it (k6's, or source.Options.Specs). Here one request shows the
// protocol; t stands in for a test's *testing.T (see the package example).
func ExampleNewServer() {
	t := &exampleT{}
	defer t.done()
	srv := secretstest.NewServer(t, map[string]string{"api-key": "sk-test-5f2a9c1d"})

	req, _ := http.NewRequest("GET", srv.URL+"/api-key", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	var body struct{ Value string }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"), len(body.Value))

	resp, err = http.Get(srv.URL + "/api-key") // no token
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// 200 OK application/json 16
	// 401 Unauthorized
}
