package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/loadtest"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestLoad runs 200 concurrent clients over loopback doing mixed reads
// (get, list) and decrypts with run tokens, and requires zero errors and
// zero values in the logs. It runs for 1 second normally and for 10
// seconds when STRONGBOX_LOAD_TEST=1; STRONGBOX_LOAD_DURATION overrides.
func TestLoad(t *testing.T) {
	clients, duration := 200, time.Second
	if os.Getenv("STRONGBOX_LOAD_TEST") == "1" {
		duration = 10 * time.Second
	}
	if d, err := time.ParseDuration(os.Getenv("STRONGBOX_LOAD_DURATION")); err == nil {
		duration = d
	}
	e := newEnv(t, envOptions{})
	srv := e.serve()
	const nSecrets = 20
	values := map[string]string{}
	for i := range nSecrets {
		name := fmt.Sprintf("load-%02d", i)
		values[name] = e.create(name, "k6-runner")
	}
	tokens := make([]string, 10)
	for i := range tokens {
		tokens[i] = e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	}
	r := loadtest.Run(context.Background(), loadtest.Options{Clients: clients, Duration: duration,
		Request: func(c, i int) (*http.Request, func(int, []byte) error) {
			name := fmt.Sprintf("load-%02d", (c+i)%nSecrets)
			var path, tok string
			switch i % 10 {
			case 0:
				path, tok = base+"?pageSize=5", tokReader
			case 1, 2, 3, 4:
				path, tok = base+"/"+name, tokReader
			default:
				path, tok = base+"/"+name+"/decrypt", tokens[(c+i)%len(tokens)]
			}
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			return req, func(status int, body []byte) error {
				if status != http.StatusOK {
					return fmt.Errorf("status %d", status)
				}
				if strings.HasSuffix(path, "/decrypt") {
					var b struct{ Value string }
					if json.Unmarshal(body, &b) != nil || b.Value != values[name] {
						return errors.New("wrong value")
					}
				}
				return nil
			}
		}})
	n := r.Requests
	t.Logf("load: %s", r)
	if r.Errors > 0 {
		t.Errorf("%d errors; first: %s", r.Errors, r.FirstError)
	}
	if n < int64(clients) {
		t.Errorf("only %d requests", n)
	}
	// No run token in the logs; checkLogs (at cleanup) looks for values.
	logs := e.logs.String()
	for _, tok := range tokens {
		if strings.Contains(logs, tok[strings.LastIndex(tok, ".")+1:]) {
			t.Errorf("a run token appears in the logs")
		}
	}
	// Every request was audited.
	e.mu.Lock()
	audited := len(e.events)
	e.mu.Unlock()
	if audited < int(n) {
		t.Errorf("%d requests audited, want at least %d", audited, n)
	}
}
