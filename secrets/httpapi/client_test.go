package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

func (e *env) client(token string) *httpapi.Client {
	e.t.Helper()
	c, err := httpapi.NewClient(e.serve().URL, httpapi.ClientOptions{Token: secrets.NewValue(token)})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestClient drives the Manager's lifecycle through Client and checks it
// matches what the Manager itself returns, errors included.
func TestClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.client(tokEditor)
	v1, v2 := e.newValue(), e.newValue()

	s, err := c.Create(ctx, ns, secrets.Spec{Name: "api-key", Description: "d", Labels: map[string]string{"env": "prod"},
		Value: secrets.NewValue(v1), Decrypters: []string{"k6-runner"}})
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := e.m.Get(asEditor(), ns, "api-key")
	if diff := cmp.Diff(direct, s); diff != "" {
		t.Errorf("Create over HTTP vs Manager.Get (-manager +client):\n%s", diff)
	}
	if _, err := c.Create(ctx, ns, secrets.Spec{Name: "api-key", Value: secrets.NewValue("x")}); !errors.Is(err, secrets.ErrAlreadyExists) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := c.Create(ctx, ns, secrets.Spec{Name: "other", Value: secrets.NewValue("x"), Decrypters: []string{}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, ns, "api-key")
	if err != nil || !cmp.Equal(direct, got) {
		t.Errorf("Get: %v", err)
	}
	if _, err := c.Get(ctx, ns, "nope"); !errors.Is(err, secrets.ErrNotFound) || secrets.ErrorCode(err) != secrets.ErrNotFound {
		t.Errorf("Get missing: %v (code %v)", err, secrets.ErrorCode(err))
	}
	var ae *httpapi.Error
	if _, err := c.Get(ctx, ns, "nope"); !errors.As(err, &ae) || ae.Status != 404 || ae.Code != httpapi.CodeNotFound {
		t.Errorf("Get missing: %#v", err)
	}
	page, err := c.List(ctx, ns, secrets.ListOptions{PageSize: 1})
	if err != nil || len(page.Secrets) != 1 || page.NextPageToken == "" {
		t.Fatalf("List page 1: %v %+v", err, page)
	}
	page, err = c.List(ctx, ns, secrets.ListOptions{PageSize: 1, PageToken: page.NextPageToken})
	if err != nil || len(page.Secrets) != 1 || page.Secrets[0].Name != "other" || page.NextPageToken != "" {
		t.Fatalf("List page 2: %v %+v", err, page)
	}
	page, err = c.List(ctx, ns, secrets.ListOptions{Selector: "env=prod"})
	if err != nil || len(page.Secrets) != 1 {
		t.Fatalf("List selector: %v %+v", err, page)
	}

	got.Description = "new"
	up, err := c.Update(ctx, ns, got)
	if err != nil || up.Description != "new" || up.Revision != got.Revision+1 || !cmp.Equal(up.Decrypters, []string{"k6-runner"}) {
		t.Fatalf("Update: %v %+v", err, up)
	}
	if _, err := c.Update(ctx, ns, got); !errors.Is(err, secrets.ErrConflict) {
		t.Errorf("stale Update: %v", err)
	}
	rs, err := c.Reset(ctx, ns, "api-key", secrets.NewValue(v2), up.Revision)
	if err != nil || rs.Version != 2 {
		t.Fatalf("Reset: %v", err)
	}
	runner := e.client(e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", Names: []string{"api-key"}}))
	if v, err := runner.RevealValue(ctx, ns, "api-key"); err != nil || v.DangerouslyExpose() != v2 {
		t.Errorf("RevealValue: %v", err)
	}
	if _, err := runner.RevealValue(ctx, ns, "other"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("RevealValue outside the token: %v", err)
	}
	if _, err := runner.Get(ctx, ns, "api-key"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("Get with a run token: %v", err)
	}
	if _, err := c.Revoke(ctx, ns, "api-key", 1); !errors.Is(err, secrets.ErrConflict) {
		t.Errorf("stale Revoke: %v", err)
	}
	if rv, err := c.Revoke(ctx, ns, "api-key", 0); err != nil || !rv.Revoked {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := runner.RevealValue(ctx, ns, "api-key"); !errors.Is(err, secrets.ErrFailedPrecondition) {
		t.Errorf("RevealValue revoked: %v", err)
	}
	if err := c.Delete(ctx, ns, "api-key", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, ns, "api-key", 0); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Delete twice: %v", err)
	}
	if _, err := e.client("wrong").Get(ctx, ns, "other"); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Errorf("bad token: %v", err)
	}
	if _, err := c.Create(ctx, ns, secrets.Spec{Name: "x", Value: secrets.NewValue(string(make([]byte, 70<<10)))}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("too large: %v", err)
	}
}

func TestClientTransport(t *testing.T) {
	if _, err := httpapi.NewClient("ftp://x", httpapi.ClientOptions{}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("NewClient ftp: %v", err)
	}
	c, _ := httpapi.NewClient("http://127.0.0.1:1", httpapi.ClientOptions{})
	if _, err := c.Get(context.Background(), ns, "x"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("unreachable: %v", err)
	}
	// A proxy's error page without a JSON error body.
	e := newEnv(t, envOptions{})
	srv := e.serve()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) })
	c, _ = httpapi.NewClient(srv.URL, httpapi.ClientOptions{})
	if _, err := c.Get(context.Background(), ns, "x"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("502: %v", err)
	}
}
