package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/strictjson"
)

// Mirrors of the request schemas, to read a body the way the server must.
type (
	createSchema struct {
		Name         string            `json:"name"`
		Description  string            `json:"description"`
		Labels       map[string]string `json:"labels"`
		Decrypters   []string          `json:"decrypters"`
		Value        string            `json:"value"`
		KeepVersions *int              `json:"keepVersions"`
	}
	updateSchema struct {
		Description  string            `json:"description"`
		Labels       map[string]string `json:"labels"`
		Decrypters   []string          `json:"decrypters"`
		KeepVersions *int              `json:"keepVersions"`
		Revision     int64             `json:"revision"`
	}
	versionSchema struct {
		Version  int64 `json:"version"`
		Revision int64 `json:"revision"`
	}
	resetSchema struct {
		Value string `json:"value"`
	}
)

// strictSeeds are bodies that encoding/json accepts and a strict reader
// must refuse (issue #11 item 4).
var strictSeeds = []string{
	`{"name":"s1","decrypters":[],"DECRYPTERS":["evil-svc"],"value":"v"}`,
	`{"name":"s2","decrypters":[],"decrypters":["evil-svc"],"value":"v"}`,
	`{"Name":"s3","value":"v"}`,
	`{"name":"s4","value":"\ud800"}`,
	`{"name":"s5","value":"\udc00\ud800"}`,
	`{"name":"s6","labels":{"k":"a","K":"b"},"value":"v"}`,
	`{"revision":1,"Revision":2}`,
	`{"value":"a","VALUE":"b"}`,
	`{"name":"s7","value":"v"}` + " \n{}",
}

// fuzzBody sends body to one route and checks what must hold for any
// input: no 5xx, a JSON answer with a known code, no value in the
// response, (at cleanup) no value in the logs, and no success for a body
// that a strict reading into schema refuses.
func fuzzBody(f *testing.F, method, path string, allowed []int, schema func() any, seeds ...string) {
	e := newEnv(f, envOptions{})
	e.create("fuzz", "k6-runner")
	for _, s := range append(seeds, strictSeeds...) {
		f.Add(s, "")
	}
	f.Add(`{}`, `"1"`)
	f.Add(`{}`, `*`)
	f.Add(`{}`, `W/"1"`)
	f.Fuzz(func(t *testing.T, body, ifMatch string) {
		// Remember the value the body carries, if any, to look for it.
		var in struct{ Value string }
		if json.Unmarshal([]byte(body), &in) == nil && len(in.Value) >= 8 {
			e.mu.Lock()
			e.secrets = append(e.secrets, in.Value)
			e.mu.Unlock()
		}
		var hdr []string
		if ifMatch != "" {
			hdr = []string{"If-Match", ifMatch}
		}
		r := e.do(method, path, tokEditor, body, hdr...)
		ok := false
		for _, s := range allowed {
			ok = ok || r.status == s
		}
		if !ok {
			t.Fatalf("status %d for body %q: %s", r.status, body, r.body)
		}
		if r.status >= 400 {
			if ae := r.apiErr(); ae.Code == "" || ae.Status != r.status {
				t.Fatalf("error body %q", r.body)
			}
		}
		if strings.Contains(r.body, `"value":`) {
			t.Fatalf("response has a value member: %s", r.body)
		}
		if len(in.Value) >= 8 && strings.Contains(r.body, in.Value) {
			t.Fatalf("response echoes the value")
		}
		if r.status < 300 && strings.TrimSpace(body) != "" {
			if err := strictjson.Decode([]byte(body), schema()); err != nil {
				t.Fatalf("status %d for a body a strict reader refuses (%v): %q", r.status, err, body)
			}
		}
	})
}

func FuzzCreateBody(f *testing.F) {
	fuzzBody(f, "POST", base, []int{201, 400, 409, 413}, func() any { return new(createSchema) },
		`{"name":"a","value":"v"}`,
		`{"name":"b","description":"d","labels":{"env":"prod"},"decrypters":["k6-runner"],"value":"s3cr3t-value"}`,
		`{"name":"c","decrypters":[],"value":"x"}`,
		`{"name":"d","decrypters":null,"value":"\u00e9\ud83d\ude00"}`,
		`{"name":"fuzz","value":"taken"}`,
		`{"name":"e","value":""}`,
		`{"name":"e","value":1}`,
		`{"name":"e","value":"x","extra":true}`,
		`{"name":"e","labels":{"a":1},"value":"x"}`,
		`{"name":"e","value":"x"}{}`,
		`{"name":"k","value":"x","keepVersions":3}`,
		`{"name":"k","value":"x","keepVersions":101}`,
		`{"name":"k","value":"x","keepVersions":-1}`,
		`{"name":"k","value":"x","keepVersions":"3"}`,
		`{"name":"k","value":"x","keepVersions":1,"KeepVersions":2}`,
		`{"name":"e","value":"\ud800"}`,
		`[1]`, `null`, `"x"`, ``, `{`, "{\"name\":\"e\",\"value\":\"\xff\"}",
	)
}

func FuzzUpdateBody(f *testing.F) {
	fuzzBody(f, "PUT", base+"/fuzz", []int{200, 400, 404, 409, 413}, func() any { return new(updateSchema) },
		`{"revision":1}`,
		`{"description":"d","labels":{"env":"prod"},"decrypters":["k6-runner"],"revision":1}`,
		`{"revision":-1}`,
		`{"revision":1.5}`,
		`{"revision":"1"}`,
		`{"labels":{"k":"v"}}`,
		`{"decrypters":["a b"],"revision":1}`,
		`{"name":"other","revision":1}`,
		`{}`, ``, `[]`,
		`{"revision":1,"keepVersions":0}`,
		`{"revision":1,"keepVersions":100}`,
		`{"revision":1,"keepVersions":2.5}`,
		`{"revision":1,"keepversions":2}`,
	)
}

// FuzzVersionBody: the bodies of rollback and destroy, read strictly.
func FuzzVersionBody(f *testing.F) {
	seeds := []string{`{"version":1}`, `{"version":1,"revision":1}`, `{"version":0}`, `{"version":-1}`,
		`{"version":"1"}`, `{"version":1,"Version":2}`, `{"version":1,"version":2}`, `{"version":1.0}`,
		`{"version":1,"extra":1}`, `{"revision":1}`, `{}`, ``, `[]`, `{"version":99999999999999999999}`}
	for _, op := range []string{"rollback", "destroy"} {
		f.Add(op, `{"version":1}`)
		for _, s := range seeds {
			f.Add(op, s)
		}
	}
	e := newEnv(f, envOptions{keepVersions: 2})
	e.create("fuzz", "k6-runner")
	f.Fuzz(func(t *testing.T, op, body string) {
		if op != "rollback" {
			op = "destroy"
		}
		r := e.do("POST", base+"/fuzz/"+op, tokEditor, body)
		switch r.status {
		case 200, 400, 404, 409, 413:
		default:
			t.Fatalf("%s %q: status %d %s", op, body, r.status, r.body)
		}
		if ae := r.apiErr(); r.status >= 400 && (ae.Code == "" || ae.Status != r.status) {
			t.Fatalf("error body %q", r.body)
		}
		if r.status < 300 {
			if err := strictjson.Decode([]byte(body), new(versionSchema)); err != nil {
				t.Fatalf("status %d for a body a strict reader refuses (%v): %q", r.status, err, body)
			}
		}
		if strings.Contains(r.body, `"value":`) {
			t.Fatalf("response has a value member: %s", r.body)
		}
	})
}

func FuzzResetBody(f *testing.F) {
	fuzzBody(f, "POST", base+"/fuzz/reset", []int{200, 400, 409, 413}, func() any { return new(resetSchema) },
		`{"value":"new-s3cr3t-value"}`,
		`{"value":""}`,
		`{"value":null}`,
		`{"value":["x"]}`,
		`{"Value":"case-insensitive"}`,
		`{"value":"x","revision":1}`,
		``, `{}`,
	)
}

func FuzzRevokeBody(f *testing.F) {
	fuzzBody(f, "POST", base+"/fuzz/revoke", []int{200, 400, 409, 413}, func() any { return new(struct{}) },
		``, `{}`, ` `, `{"x":1}`, `[]`, `null`, `{}{}`,
	)
}

// FuzzBearer: any Authorization header gets 200 (a valid credential), 401
// or 403, never a 5xx.
func FuzzBearer(f *testing.F) {
	e := newEnv(f, envOptions{})
	e.create("fuzz", "k6-runner")
	f.Add("Bearer " + tokEditor)
	f.Add("bearer " + tokService)
	f.Add("Bearer sbrt1.test.e30.AAAA")
	f.Add("Bearer sbrt1....")
	f.Add("Basic YTpi")
	f.Add("")
	f.Fuzz(func(t *testing.T, auth string) {
		req := newRequest("GET", base+"/fuzz/decrypt")
		req.Header.Set("Authorization", auth)
		rec := newRecorder()
		e.h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		default:
			t.Fatalf("Authorization %q: status %d %s", auth, rec.Code, rec.Body)
		}
	})
}
