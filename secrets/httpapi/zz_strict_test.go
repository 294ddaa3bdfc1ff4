package httpapi_test

// Regression tests of issue #11 item 4: request bodies and the client's
// reading of answers are strict JSON.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/strictjson"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// snapshot is what the store holds for the namespace: every secret's
// metadata and, for those k6-runner may decrypt, its value.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	res, err := e.m.List(asEditor(), ns, secrets.ListOptions{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	svc := rbac.WithPrincipal(context.Background(), principals[tokService])
	out := map[string]string{}
	for _, s := range res.Secrets {
		out[s.Name] = strings.Join([]string{s.Description, strings.Join(s.Decrypters, ","), s.UpdateTime.String()}, "|")
		if v, err := e.m.RevealValue(svc, ns, s.Name); err == nil {
			out[s.Name] += "|" + v.DangerouslyExpose()
		}
	}
	return out
}

// refusedUnchanged sends each body and checks it is answered 400 invalid,
// with no part of the body in the answer, and that the store is unchanged.
func refusedUnchanged(t *testing.T, method, path string, bodies map[string]string, hdr ...string) {
	e := newEnv(t, envOptions{})
	e.create("api-key", "k6-runner")
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			before := e.snapshot(t)
			r := e.do(method, path, tokEditor, body, hdr...)
			if r.status != http.StatusBadRequest || r.apiErr().Code != httpapi.CodeInvalid {
				t.Errorf("status %d %s, want 400 invalid", r.status, r.body)
			}
			if strings.Contains(r.body, "evil-svc") {
				t.Errorf("the answer quotes the body: %s", r.body)
			}
			if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
				t.Errorf("the store changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestCreateBodyCaseVariantRefused(t *testing.T) {
	refusedUnchanged(t, "POST", base, map[string]string{
		"DECRYPTERS after decrypters": `{"name":"x","decrypters":[],"DECRYPTERS":["evil-svc"],"value":"v"}`,
		"Decrypters alone":            `{"name":"x","Decrypters":["evil-svc"],"value":"v"}`,
		"Name":                        `{"Name":"x","value":"v"}`,
		"VALUE":                       `{"name":"x","VALUE":"evil-svc"}`,
		"labels key case, K":          `{"name":"x","labels":{"env":"a","ENV":"b"},"value":"v"}`,
	})
}

func TestCreateBodyDuplicateMemberRefused(t *testing.T) {
	refusedUnchanged(t, "POST", base, map[string]string{
		"decrypters twice": `{"name":"x","decrypters":[],"decrypters":["evil-svc"],"value":"v"}`,
		"value twice":      `{"name":"x","value":"v","value":"evil-svc"}`,
		"name twice":       `{"name":"x","name":"api-key","value":"v"}`,
		"label twice":      `{"name":"x","labels":{"env":"a","env":"b"},"value":"v"}`,
	})
}

func TestCreateBodyLoneSurrogateRefused(t *testing.T) {
	refusedUnchanged(t, "POST", base, map[string]string{
		"high half alone":         `{"name":"x","value":"\ud800"}`,
		"low half alone":          `{"name":"x","value":"a\udc00b"}`,
		"high half then letter":   `{"name":"x","value":"\ud800\u0041"}`,
		"in the description":      `{"name":"x","description":"\udfff","value":"v"}`,
		"invalid escape":          `{"name":"x","value":"\x"}`,
		"short unicode escape":    `{"name":"x","value":"\u12"}`,
		"nested beyond the limit": `{"name":"x","value":"v","labels":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70) + `}`,
	})
}

func TestUpdateBodyCaseVariantRefused(t *testing.T) {
	refusedUnchanged(t, "PUT", base+"/api-key", map[string]string{
		"DECRYPTERS":       `{"revision":1,"decrypters":["k6-runner"],"DECRYPTERS":["evil-svc"]}`,
		"decrypters twice": `{"revision":1,"decrypters":["k6-runner"],"decrypters":["evil-svc"]}`,
		"Revision":         `{"Revision":1,"decrypters":["evil-svc"]}`,
		"lone surrogate":   `{"revision":1,"description":"\ud800","decrypters":["evil-svc"]}`,
	})
}

func TestResetBodyLoneSurrogateRefused(t *testing.T) {
	refusedUnchanged(t, "POST", base+"/api-key/reset", map[string]string{
		"lone surrogate": `{"value":"evil-svc\ud800"}`,
		"Value":          `{"Value":"evil-svc"}`,
		"value twice":    `{"value":"v","value":"evil-svc"}`,
	})
}

func TestRevokeBodyDuplicateMemberRefused(t *testing.T) {
	refusedUnchanged(t, "POST", base+"/api-key/revoke", map[string]string{
		"unknown member": `{"evil-svc":1}`,
		"trailing data":  `{}{"evil-svc":1}`,
	})
}

// TestClientRefusesLaxAnswers: the Client reads the server's answers as
// strictly as the server reads requests.
func TestClientRefusesLaxAnswers(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
	}{
		"duplicate member": {200, `{"namespace":"team-a","name":"x","name":"y","revision":1}`},
		"case variant":     {200, `{"namespace":"team-a","Name":"x","revision":1}`},
		"lone surrogate":   {200, `{"namespace":"team-a","name":"x","description":"\ud800","revision":1}`},
		"trailing data":    {200, `{"namespace":"team-a","name":"x","revision":1}{}`},
		"error code twice": {404, `{"error":{"code":"not_found","code":"internal","message":"m","status":404}}`},
	}
	for name, a := range answers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(a.status)
				_, _ = w.Write([]byte(a.body))
			}))
			defer srv.Close()
			c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Get(context.Background(), ns, "x")
			if err == nil {
				t.Fatalf("Get accepted the answer: %+v", s)
			}
			// A refused error body leaves only the status to go by.
			var ae *httpapi.Error
			if a.status != 200 && (!errors.As(err, &ae) || ae.Message == "m") {
				t.Errorf("the lax error body was read: %#v", err)
			}
		})
	}
}

// FuzzClientAnswer: whatever a server answers, Client.Get returns a secret
// only for an answer a strict reader accepts, and an error otherwise,
// never a panic.
func FuzzClientAnswer(f *testing.F) {
	var mu sync.Mutex
	var answer string
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	f.Cleanup(srv.Close)
	c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(200, `{"namespace":"team-a","name":"x","revision":1}`)
	f.Add(200, `{"namespace":"team-a","name":"x","Name":"y","revision":1}`)
	f.Add(200, `{"description":"\ud800"}`)
	f.Add(404, `{"error":{"code":"not_found","message":"m","status":404}}`)
	f.Add(404, `{"error":{"code":"not_found","CODE":"x","message":"m","status":404}}`)
	f.Add(500, `<html>`)
	f.Fuzz(func(t *testing.T, st int, body string) {
		if st < 200 || st > 599 || (st >= 300 && st < 400) {
			return
		}
		mu.Lock()
		answer, status = body, st
		mu.Unlock()
		s, err := c.Get(context.Background(), ns, "x")
		if st < 300 {
			var want secrets.Secret
			strictErr := strictjson.Decode([]byte(body), &want)
			if (err == nil) != (strictErr == nil) {
				t.Fatalf("Get err %v, strict reading err %v", err, strictErr)
			}
			if err == nil && !cmp.Equal(&want, s) {
				t.Fatalf("Get = %+v, strict reading %+v", s, want)
			}
		} else if err == nil {
			t.Fatalf("status %d without an error", st)
		}
	})
}
