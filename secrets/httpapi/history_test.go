package httpapi_test

// The value-history routes (issue #18): versions, rollback, destroy, the
// pinned decrypt route (name@N) and keepVersions in the bodies.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// versionsOf decodes GET .../versions.
func versionsOf(t *testing.T, r resp) []secrets.Version {
	t.Helper()
	var out struct {
		Versions []secrets.Version `json:"versions"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
	return out.Versions
}

// summary is a Version without its time, for comparisons.
type summary struct {
	Version                     int64
	Current, Revoked, Destroyed bool
	By                          string
}

func summarize(vs []secrets.Version) []summary {
	out := make([]summary, len(vs))
	for i, v := range vs {
		out[i] = summary{v.Version, v.Current, v.Revoked, v.Destroyed, v.CreatedBy}
	}
	return out
}

// reset gives name a new value through the API and returns it.
func (e *env) reset(name string) string {
	e.t.Helper()
	v := e.newValue()
	if r := e.do("POST", base+"/"+name+"/reset", tokEditor, fmt.Sprintf(`{"value":%q}`, v)); r.status != http.StatusOK {
		e.t.Fatalf("reset %s: %d %s", name, r.status, r.body)
	}
	return v
}

// decrypted is the value a decrypt of path answers, or "" and the
// response.
func (e *env) decrypted(t *testing.T, path, token string) (string, resp) {
	t.Helper()
	r := e.do("GET", path, token, "")
	if r.status != http.StatusOK {
		return "", r
	}
	var b struct{ Value string }
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatal(err)
	}
	return b.Value, r
}

// TestHistoryRoutes walks a secret's history through the API: create with
// keepVersions, resets, versions, pinned decrypts (as sent and escaped),
// a value falling out of the window, rollback, destroy, and the errors
// that name the version.
func TestHistoryRoutes(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 1})
	v1 := e.newValue()
	r := e.do("POST", base, tokEditor, fmt.Sprintf(`{"name":"api-key","decrypters":["k6-runner"],"value":%q,"keepVersions":2}`, v1))
	if r.status != http.StatusCreated || r.secret(t).KeepVersions != 2 {
		t.Fatalf("create with keepVersions 2: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, `"keepVersions":2`) {
		t.Errorf("the Secret JSON lacks keepVersions: %s", r.body)
	}
	v2 := e.reset("api-key")
	v3 := e.reset("api-key")
	noValue := func(t *testing.T, r resp) {
		t.Helper()
		for _, v := range []string{v1, v2, v3} {
			if strings.Contains(r.body, v) {
				t.Fatalf("the answer holds a value: %s", r.body)
			}
		}
	}

	r = e.do("GET", base+"/api-key/versions", tokEditor, "")
	if r.status != http.StatusOK {
		t.Fatalf("versions: %d %s", r.status, r.body)
	}
	noValue(t, r)
	by := principals[tokEditor].String()
	want := []summary{{3, true, false, false, by}, {2, false, false, false, by}, {1, false, false, false, by}}
	if d := cmp.Diff(want, summarize(versionsOf(t, r))); d != "" {
		t.Errorf("versions (-want +got):\n%s", d)
	}

	dec := base + "/api-key@%d/decrypt"
	for _, tc := range []struct {
		path, want string
	}{
		{base + "/api-key/decrypt", v3},
		{fmt.Sprintf(dec, 3), v3},
		{fmt.Sprintf(dec, 2), v2},
		{fmt.Sprintf(dec, 1), v1},
		// '@' percent-encoded, as a client that escapes it sends it.
		{base + "/api-key%402/decrypt", v2},
		{base + "/api-key%402/decrypt?format=json", v2},
	} {
		if got, r := e.decrypted(t, tc.path, tokService); got != tc.want {
			t.Errorf("GET %s: %d %s; want the value of that version", tc.path, r.status, r.apiErr().Message)
		}
		if ev := e.lastEvent(); ev.Name != "api-key" || (strings.Contains(tc.path, "@") || strings.Contains(tc.path, "%40")) != (ev.Version != 0) {
			t.Errorf("GET %s: request event name %q version %d", tc.path, ev.Name, ev.Version)
		}
	}
	raw := e.do("GET", fmt.Sprintf(dec, 2)+"?format=raw", tokService, "")
	if raw.status != http.StatusOK || raw.body != v2 {
		t.Errorf("format=raw of version 2: %d", raw.status)
	}

	// A fourth value: with keepVersions 2, version 1 falls out.
	v4 := e.reset("api-key")
	r = e.do("GET", fmt.Sprintf(dec, 1), tokService, "")
	if r.status != http.StatusNotFound || !strings.Contains(r.apiErr().Message, "version 1 of secret \"api-key\"") {
		t.Errorf("decrypt of a version out of the window: %d %s; want 404 naming version 1", r.status, r.body)
	}
	if ev := e.lastEvent(); ev.Version != 1 || ev.Name != "api-key" || ev.Code != httpapi.CodeNotFound {
		t.Errorf("request event %+v", ev)
	}
	r = e.do("GET", fmt.Sprintf(dec, 9), tokService, "")
	if r.status != http.StatusNotFound || !strings.Contains(r.apiErr().Message, "version 9") {
		t.Errorf("decrypt of a version that never was: %d %s", r.status, r.body)
	}

	// Rollback to 2: a new version 5 with the value of 2.
	cur := e.do("GET", base+"/api-key", tokEditor, "").secret(t)
	r = e.do("POST", base+"/api-key/rollback", tokEditor, fmt.Sprintf(`{"version":2,"revision":%d}`, cur.Revision))
	if r.status != http.StatusOK || r.secret(t).Version != 5 || r.header.Get("ETag") != strconv.Quote(strconv.FormatInt(r.secret(t).Revision, 10)) {
		t.Fatalf("rollback to 2: %d %s; want 200, version 5, the ETag", r.status, r.body)
	}
	noValue(t, r)
	if ev := e.lastEvent(); ev.Version != 2 || ev.Route != "POST /v1/namespaces/{namespace}/secrets/{name}/rollback" {
		t.Errorf("request event %+v", ev)
	}
	if got, _ := e.decrypted(t, base+"/api-key/decrypt", tokService); got != v2 {
		t.Error("after rollback to 2, the current value is not version 2's")
	}
	if got, _ := e.decrypted(t, fmt.Sprintf(dec, 5), tokService); got != v2 {
		t.Error("version 5 is not the value of version 2")
	}
	// The stale revision of before the rollback is refused.
	if r := e.do("POST", base+"/api-key/rollback", tokEditor, fmt.Sprintf(`{"version":4,"revision":%d}`, cur.Revision)); r.status != http.StatusConflict || r.apiErr().Code != "conflict" {
		t.Errorf("rollback with a stale revision: %d %s", r.status, r.body)
	}

	// Destroy version 4 (kept, not current): listed as destroyed, gone
	// for decrypt and rollback, with messages naming it.
	if got, r := e.decrypted(t, fmt.Sprintf(dec, 4), tokService); got != v4 {
		t.Fatalf("version 4 before destroy: %d %s; want its value", r.status, r.body)
	}
	r = e.do("POST", base+"/api-key/destroy", tokEditor, `{"version":4}`)
	if r.status != http.StatusOK {
		t.Fatalf("destroy 4: %d %s", r.status, r.body)
	}
	noValue(t, r)
	vs := versionsOf(t, e.do("GET", base+"/api-key/versions", tokEditor, ""))
	var destroyed []int64
	for _, v := range vs {
		if v.Destroyed {
			destroyed = append(destroyed, v.Version)
		}
	}
	if d := cmp.Diff([]int64{4}, destroyed); d != "" || vs[0].Version != 5 || !vs[0].Current {
		t.Errorf("versions after destroy: %+v (destroyed -want +got):\n%s", vs, d)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", fmt.Sprintf(dec, 4), ""},
		{"POST", base + "/api-key/rollback", `{"version":4}`},
		{"POST", base + "/api-key/destroy", `{"version":4}`},
		{"POST", base + "/api-key/rollback", `{"version":77}`},
	} {
		token := tokEditor
		if tc.method == "GET" {
			token = tokService
		}
		r := e.do(tc.method, tc.path, token, tc.body)
		n := "4"
		if strings.Contains(tc.body, "77") {
			n = "77"
		}
		if r.status != http.StatusNotFound || !strings.Contains(r.apiErr().Message, "version "+n+" of secret \"api-key\"") {
			t.Errorf("%s %s %s: %d %s; want 404 naming version %s", tc.method, tc.path, tc.body, r.status, r.body, n)
		}
	}
	// The current value is not destroyed: revoke is for that.
	r = e.do("POST", base+"/api-key/destroy", tokEditor, `{"version":5}`)
	if r.status != http.StatusConflict || r.apiErr().Code != "failed_precondition" || !strings.Contains(r.apiErr().Message, "revoke") {
		t.Errorf("destroy of the current version: %d %s", r.status, r.body)
	}
	if got, _ := e.decrypted(t, base+"/api-key/decrypt", tokService); got != v2 {
		t.Error("a refused destroy changed the current value")
	}
}

// TestHistoryRevokeAndRollback: a revoked current value is not revealable,
// pinned or not; a rollback (by one who may update) makes the secret
// readable again.
func TestHistoryRevokeAndRollback(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 3})
	v1 := e.create("api-key", "k6-runner")
	e.reset("api-key")
	if r := e.do("POST", base+"/api-key/revoke", tokEditor, ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	for _, p := range []string{base + "/api-key/decrypt", base + "/api-key@2/decrypt"} {
		if r := e.do("GET", p, tokService, ""); r.status < 400 {
			t.Errorf("GET %s after revoke: %d", p, r.status)
		}
	}
	vs := versionsOf(t, e.do("GET", base+"/api-key/versions", tokEditor, ""))
	if len(vs) < 2 || !vs[0].Revoked || vs[0].Version != 2 || vs[1].Revoked {
		t.Errorf("versions after revoke: %+v; want 2 revoked, 1 kept", vs)
	}
	if r := e.do("POST", base+"/api-key/rollback", tokReader, `{"version":1}`); r.status != http.StatusForbidden {
		t.Errorf("rollback by a reader: %d %s", r.status, r.body)
	}
	if r := e.do("POST", base+"/api-key/rollback", tokEditor, `{"version":1}`); r.status != http.StatusOK || r.secret(t).Revoked {
		t.Fatalf("rollback after revoke: %d %s", r.status, r.body)
	}
	if got, r := e.decrypted(t, base+"/api-key/decrypt", tokService); got != v1 {
		t.Errorf("decrypt after rollback: %d %s", r.status, r.body)
	}
}

// TestHistoryAuthorization: who may list, roll back, destroy and reveal a
// pinned version.
func TestHistoryAuthorization(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 3})
	e.create("api-key", "k6-runner")
	e.create("other", "k6-runner")
	e.reset("api-key")
	scoped := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}})
	otherOnly := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"other"}})
	notDecrypter := e.token(runtoken.Grant{Namespace: ns, Subject: "someone-else", Names: []string{"api-key"}})
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"versions: no credentials", "GET", base + "/api-key/versions", "", "", 401},
		{"versions: no role", "GET", base + "/api-key/versions", tokNoOneRole, "", 403},
		{"versions: viewer", "GET", base + "/api-key/versions", tokViewer, "", 403},
		{"versions: reader", "GET", base + "/api-key/versions", tokReader, "", 200},
		{"versions: other namespace", "GET", base + "/api-key/versions", tokOtherNS, "", 403},
		{"versions: service", "GET", base + "/api-key/versions", tokService, "", 403},
		{"versions: run token", "GET", base + "/api-key/versions", scoped, "", 403},
		{"rollback: reader", "POST", base + "/api-key/rollback", tokReader, `{"version":1}`, 403},
		{"rollback: run token", "POST", base + "/api-key/rollback", scoped, `{"version":1}`, 403},
		{"rollback: service", "POST", base + "/api-key/rollback", tokService, `{"version":1}`, 403},
		{"destroy: reader", "POST", base + "/api-key/destroy", tokReader, `{"version":1}`, 403},
		{"destroy: run token", "POST", base + "/api-key/destroy", scoped, `{"version":1}`, 403},
		{"destroy: other namespace", "POST", base + "/api-key/destroy", tokOtherNS, `{"version":1}`, 403},
		{"pinned: editor (users never decrypt)", "GET", base + "/api-key@1/decrypt", tokEditor, "", 403},
		{"pinned: service", "GET", base + "/api-key@1/decrypt", tokService, "", 200},
		{"pinned: run token for the name", "GET", base + "/api-key@1/decrypt", scoped, "", 200},
		{"pinned escaped: run token for the name", "GET", base + "/api-key%401/decrypt", scoped, "", 200},
		{"pinned: run token for another name", "GET", base + "/api-key@1/decrypt", otherOnly, "", 403},
		// A run identity the secret does not list cannot read the
		// namespace: the secret looks missing, pinned or not.
		{"unpinned: run token of a non-decrypter", "GET", base + "/api-key/decrypt", notDecrypter, "", 404},
		{"pinned: run token of a non-decrypter", "GET", base + "/api-key@1/decrypt", notDecrypter, "", 404},
		{"pinned: no credentials", "GET", base + "/api-key@1/decrypt", "", "", 401},
		{"pinned: other namespace", "GET", base + "/api-key@1/decrypt", tokOtherNS, "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status {
				t.Errorf("%s %s: %d %s; want %d", tc.method, tc.path, r.status, r.body, tc.status)
			}
		})
	}
	// Nothing refused changed anything.
	vs := versionsOf(t, e.do("GET", base+"/api-key/versions", tokEditor, ""))
	if len(vs) != 2 || vs[0].Version != 2 || vs[1].Destroyed {
		t.Errorf("versions after refused writes: %+v", vs)
	}
}

// TestHistoryBadInput: malformed references and bodies are 400 invalid
// before the Manager changes anything, and the answers never quote them.
func TestHistoryBadInput(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 3})
	e.create("api-key", "k6-runner")
	e.reset("api-key")
	scoped := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}})
	for _, ref := range []string{"api-key@", "api-key@0", "api-key@03", "api-key@+3", "api-key@-1", "api-key@1.0",
		"api-key@1@2", "@1", "api-key@x", "api-key@99999999999999999999", "api-key@%201", "bad%20name@1", "api-key@1%0a"} {
		for _, tok := range []string{tokService, scoped} {
			r := e.do("GET", base+"/"+ref+"/decrypt", tok, "")
			if r.status != http.StatusBadRequest || r.apiErr().Code != httpapi.CodeInvalid {
				t.Errorf("GET %s: %d %s; want 400 invalid", ref, r.status, r.body)
			}
			if ev := e.lastEvent(); ev.Version != 0 || strings.Contains(ev.Name, "@") {
				t.Errorf("GET %s: request event %+v names the malformed input", ref, ev)
			}
		}
	}
	// A user never decrypts: the Manager refuses before it reads the
	// reference, and the route answers as it does (the model test over
	// HTTP holds the two together).
	if r := e.do("GET", base+"/api-key@0/decrypt", tokEditor, ""); r.status != http.StatusForbidden {
		t.Errorf("a malformed reference from a user: %d %s; want 403 as for any decrypt by a user", r.status, r.body)
	}
	before := versionsOf(t, e.do("GET", base+"/api-key/versions", tokEditor, ""))
	cur := e.do("GET", base+"/api-key", tokEditor, "").secret(t)
	for _, op := range []string{"rollback", "destroy"} {
		for name, tc := range map[string]struct {
			body string
			hdr  []string
		}{
			"empty":              {"", nil},
			"no version":         {`{}`, nil},
			"version 0":          {`{"version":0}`, nil},
			"negative":           {`{"version":-1}`, nil},
			"string":             {`{"version":"1"}`, nil},
			"fraction":           {`{"version":1.5}`, nil},
			"duplicate":          {`{"version":1,"version":1}`, nil},
			"case variant":       {`{"version":1,"Version":1}`, nil},
			"case variant alone": {`{"Version":1}`, nil},
			"unknown member":     {`{"version":1,"value":"evil-svc"}`, nil},
			"trailing data":      {`{"version":1}{}`, nil},
			"negative revision":  {`{"version":1,"revision":-1}`, nil},
			"disagreeing":        {fmt.Sprintf(`{"version":1,"revision":%d}`, cur.Revision), []string{"If-Match", `"999"`}},
			"bad If-Match":       {`{"version":1}`, []string{"If-Match", `W/"1"`}},
			"array":              {`[1]`, nil},
		} {
			r := e.do("POST", base+"/api-key/"+op, tokEditor, tc.body, tc.hdr...)
			if r.status != http.StatusBadRequest || r.apiErr().Code != httpapi.CodeInvalid {
				t.Errorf("%s %s: %d %s; want 400 invalid", op, name, r.status, r.body)
			}
			if strings.Contains(r.body, "evil-svc") {
				t.Errorf("%s %s: the answer quotes the body", op, name)
			}
		}
	}
	if d := cmp.Diff(before, versionsOf(t, e.do("GET", base+"/api-key/versions", tokEditor, ""))); d != "" {
		t.Errorf("refused requests changed the history (-before +after):\n%s", d)
	}
	for name, body := range map[string]string{
		"keepVersions 101":      `{"name":"k1","value":"v","keepVersions":101}`,
		"keepVersions -1":       `{"name":"k2","value":"v","keepVersions":-1}`,
		"keepVersions string":   `{"name":"k3","value":"v","keepVersions":"3"}`,
		"keepVersions fraction": `{"name":"k4","value":"v","keepVersions":2.5}`,
		"keepVersions twice":    `{"name":"k5","value":"v","keepVersions":1,"keepVersions":2}`,
		"KeepVersions variant":  `{"name":"k6","value":"v","keepVersions":1,"KeepVersions":2}`,
	} {
		if r := e.do("POST", base, tokEditor, body); r.status != http.StatusBadRequest || r.apiErr().Code != httpapi.CodeInvalid {
			t.Errorf("create, %s: %d %s; want 400 invalid", name, r.status, r.body)
		}
	}
	if r := e.do("PUT", base+"/api-key", tokEditor, fmt.Sprintf(`{"revision":%d,"keepVersions":101}`, cur.Revision)); r.status != http.StatusBadRequest {
		t.Errorf("update with keepVersions 101: %d %s", r.status, r.body)
	}
}

// TestUpdateKeepVersions: an update that leaves keepVersions out keeps the
// secret's (a client older than value history must not drop its kept
// values); one that gives it changes it, and shrinking drops what falls
// out.
func TestUpdateKeepVersions(t *testing.T) {
	e := newEnv(t, envOptions{keepVersions: 3})
	e.create("api-key", "k6-runner")
	e.reset("api-key")
	e.reset("api-key")
	s := e.do("GET", base+"/api-key", tokEditor, "").secret(t)
	if s.KeepVersions != 3 {
		t.Fatalf("keepVersions of a new secret = %d; want the Manager's default 3", s.KeepVersions)
	}
	r := e.do("PUT", base+"/api-key", tokEditor, fmt.Sprintf(`{"description":"d","decrypters":["k6-runner"],"revision":%d}`, s.Revision))
	if r.status != http.StatusOK || r.secret(t).KeepVersions != 3 {
		t.Fatalf("update without keepVersions: %d %s; want keepVersions 3 kept", r.status, r.body)
	}
	if r := e.do("GET", base+"/api-key@1/decrypt", tokService, ""); r.status != http.StatusOK {
		t.Errorf("version 1 after an update without keepVersions: %d", r.status)
	}
	r = e.do("PUT", base+"/api-key", tokEditor, fmt.Sprintf(`{"decrypters":["k6-runner"],"keepVersions":1,"revision":%d}`, r.secret(t).Revision))
	if r.status != http.StatusOK || r.secret(t).KeepVersions != 1 {
		t.Fatalf("update to keepVersions 1: %d %s", r.status, r.body)
	}
	if r := e.do("GET", base+"/api-key@1/decrypt", tokService, ""); r.status != http.StatusNotFound {
		t.Errorf("version 1 after shrinking to 1: %d; want 404", r.status)
	}
	if r := e.do("GET", base+"/api-key@2/decrypt", tokService, ""); r.status != http.StatusOK {
		t.Errorf("version 2 after shrinking to 1: %d; want it kept", r.status)
	}
	// An updater that may not read cannot have the current keepVersions
	// looked up: told to send it, and then its update goes through.
	rev := e.do("GET", base+"/api-key", tokEditor, "").secret(t).Revision
	r = e.do("PUT", base+"/api-key", tokUpdater, fmt.Sprintf(`{"decrypters":["k6-runner"],"revision":%d}`, rev))
	if r.status != http.StatusBadRequest || !strings.Contains(r.apiErr().Message, "send keepVersions") {
		t.Errorf("update by a non-reader without keepVersions: %d %s; want 400 saying to send it", r.status, r.body)
	}
	r = e.do("PUT", base+"/api-key", tokUpdater, fmt.Sprintf(`{"description":"by uma","decrypters":["k6-runner"],"keepVersions":1,"revision":%d}`, rev))
	if r.status != http.StatusOK {
		t.Errorf("update by a non-reader with keepVersions: %d %s", r.status, r.body)
	}
}

// TestClientHistory: the client's Versions, Rollback, Destroy and pinned
// RevealValue match the Manager's answers.
func TestClientHistory(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	ed := e.client(tokEditor)
	keep := 2
	v1 := e.newValue()
	s, err := ed.Create(ctx, ns, secrets.Spec{Name: "api-key", Decrypters: []string{"k6-runner"}, Value: secrets.NewValue(v1), KeepVersions: &keep})
	if err != nil || s.KeepVersions != 2 {
		t.Fatalf("Create with KeepVersions 2: %+v, %v", s, err)
	}
	if _, err := ed.Reset(ctx, ns, "api-key", secrets.NewValue(e.newValue()), 0); err != nil {
		t.Fatal(err)
	}
	got, err := ed.Versions(ctx, ns, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.m.Versions(asEditor(), ns, "api-key")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Client.Versions vs Manager.Versions (-manager +client):\n%s", d)
	}
	svc := e.client(tokService)
	if v, err := svc.RevealValue(ctx, ns, "api-key@1"); err != nil || v.DangerouslyExpose() != v1 {
		t.Errorf("RevealValue(api-key@1): %v", err)
	}
	for _, bad := range []string{"api-key@0", "api-key@", "api-key@01"} {
		if _, err := svc.RevealValue(ctx, ns, bad); !errors.Is(err, secrets.ErrInvalid) {
			t.Errorf("RevealValue(%s): %v; want ErrInvalid", bad, err)
		}
	}
	if _, err := svc.RevealValue(ctx, ns, "api-key@7"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("RevealValue(api-key@7): %v; want ErrNotFound", err)
	}
	s, err = ed.Rollback(ctx, ns, "api-key", 1, 0)
	if err != nil || s.Version != 3 {
		t.Fatalf("Rollback to 1: %+v, %v", s, err)
	}
	if _, err := ed.Rollback(ctx, ns, "api-key", 1, s.Revision-1); !errors.Is(err, secrets.ErrConflict) {
		t.Errorf("Rollback with a stale revision: %v; want ErrConflict", err)
	}
	if _, err := ed.Rollback(ctx, ns, "api-key", 0, 0); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("Rollback to 0: %v; want ErrInvalid", err)
	}
	if _, err := ed.Destroy(ctx, ns, "api-key", 2, s.Revision); err != nil {
		t.Fatalf("Destroy 2: %v", err)
	}
	if _, err := ed.Destroy(ctx, ns, "api-key", 3, 0); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Errorf("Destroy of the current version: %v; want ErrFailedPrecondition", err)
	}
	if _, err := svc.RevealValue(ctx, ns, "api-key@2"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("RevealValue of a destroyed version: %v; want ErrNotFound", err)
	}
	if _, err := e.client(tokReader).Destroy(ctx, ns, "api-key", 1, 0); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("Destroy by a reader: %v; want ErrPermissionDenied", err)
	}
	// Update keeps KeepVersions as the Secret carries it.
	cur, _ := ed.Get(ctx, ns, "api-key")
	cur.Description = "d"
	if up, err := ed.Update(ctx, ns, cur); err != nil || up.KeepVersions != 2 {
		t.Errorf("Update: %+v, %v; want KeepVersions 2", up, err)
	}
}
