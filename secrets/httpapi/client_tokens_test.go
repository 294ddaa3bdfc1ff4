package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

func tokenClient(t *testing.T, srv *httptest.Server, token string) *httpapi.Client {
	t.Helper()
	c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{Token: secrets.NewValue(token)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientRunTokens: the CLI's "token issue" and "strongbox run" issue a
// run token, use it on the decrypt route and revoke it.
func TestClientRunTokens(t *testing.T) {
	e := newTokenEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	ctx := context.Background()
	ed := tokenClient(t, srv, tokEditor)
	if _, err := ed.Create(ctx, ns, secrets.Spec{Name: "api-key", Decrypters: []string{"k6"}, Value: secrets.NewValue("s3cret-value")}); err != nil {
		t.Fatal(err)
	}
	tok, err := ed.IssueRunToken(ctx, ns, httpapi.RunTokenRequest{Names: []string{"api-key"}, TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok.Secret.DangerouslyExpose())
	if !strings.HasPrefix(tok.Secret.DangerouslyExpose(), runtoken.Prefix) || tok.ID == "" || tok.Subject != "k6" ||
		len(tok.Names) != 1 || tok.ExpireTime.Sub(tok.IssueTime) != 10*time.Minute {
		t.Fatalf("IssueRunToken = %+v", tok)
	}
	if s := fmt.Sprintf("%v %+v %#v", tok, tok, *tok); strings.Contains(s, tok.Secret.DangerouslyExpose()) {
		t.Fatalf("a Token prints its secret: %s", s)
	}
	run := tokenClient(t, srv, tok.Secret.DangerouslyExpose())
	v, err := run.RevealValue(ctx, ns, "api-key")
	if err != nil || v.DangerouslyExpose() != "s3cret-value" {
		t.Fatalf("RevealValue = %v", err)
	}
	if err := tokenClient(t, srv, tokViewer).RevokeRunToken(ctx, ns, tok.ID); !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("viewer RevokeRunToken = %v, want permission denied", err)
	}
	if err := ed.RevokeRunToken(ctx, ns, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := run.RevealValue(ctx, ns, "api-key"); err == nil {
		t.Fatal("the revoked token still decrypts")
	} else if strings.Contains(err.Error(), tok.Secret.DangerouslyExpose()) {
		t.Fatal("the error holds the token")
	}
	for _, tc := range []struct {
		name string
		req  httpapi.RunTokenRequest
		want error
	}{
		{"no names", httpapi.RunTokenRequest{}, secrets.ErrInvalid},
		{"negative ttl", httpapi.RunTokenRequest{Names: []string{"api-key"}, TTL: -time.Second}, secrets.ErrInvalid},
		{"over the maximum", httpapi.RunTokenRequest{Names: []string{"api-key"}, TTL: 3 * time.Hour}, secrets.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ed.IssueRunToken(ctx, ns, tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("IssueRunToken = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestClientAPITokens(t *testing.T) {
	e := newTokenEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	ctx := context.Background()
	admin := tokenClient(t, srv, tokAdmin)
	tok, err := admin.CreateAPIToken(ctx, ns, httpapi.APITokenRequest{Subject: "ci", Roles: []rbac.Role{rbac.RoleEditor}, TTL: time.Hour, Description: "CI"})
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(tok.Secret.DangerouslyExpose())
	if tok.ID == "" || tok.Subject != "ci" || tok.Secret.Len() == 0 || tok.IssueTime.IsZero() {
		t.Fatalf("CreateAPIToken = %+v", tok)
	}
	list, err := admin.ListAPITokens(ctx, ns)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].Secret.Len() != 0 {
		t.Fatalf("ListAPITokens = %+v, %v", list, err)
	}
	ci := tokenClient(t, srv, tok.Secret.DangerouslyExpose())
	if _, err := ci.List(ctx, ns, secrets.ListOptions{}); err != nil {
		t.Fatalf("the API token cannot list: %v", err)
	}
	if err := admin.RevokeAPIToken(ctx, ns, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ci.List(ctx, ns, secrets.ListOptions{}); !errors.Is(err, httpapi.ErrUnauthenticated) && !errors.Is(err, secrets.ErrPermissionDenied) {
		t.Fatalf("the revoked API token: %v", err)
	}
}

// TestClientTokenAnswerStrict: a token answer with a duplicate member is
// refused, as every other answer.
func TestClientTokenAnswerStrict(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprint(w, `{"id":"a","token":"sbrt1.x","token":"sbrt1.y"}`)
	}))
	defer srv.Close()
	_, err := tokenClient(t, srv, "t").IssueRunToken(context.Background(), ns, httpapi.RunTokenRequest{Names: []string{"a"}})
	if !errors.Is(err, secrets.ErrInternal) || strings.Contains(err.Error(), "sbrt1") {
		t.Fatalf("IssueRunToken of a duplicate member = %v", err)
	}
}
