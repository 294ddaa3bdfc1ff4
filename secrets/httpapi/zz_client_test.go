package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// TestClientRefusesBeforeSending is the regression test of three Client
// bugs issue #8's model test found: each call below used to reach the
// server as another request (an unguarded write, the list route, a value
// with U+FFFD in place of its invalid bytes). Each must now fail with
// ErrInvalid without sending anything.
func TestClientRefusesBeforeSending(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	c, err := httpapi.NewClient(srv.URL, httpapi.ClientOptions{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := secrets.NewValue("s3cr3t\xff")
	calls := map[string]func() error{
		"Reset with revision -1":  func() error { _, err := c.Reset(ctx, "ns", "a", secrets.NewValue("v"), -1); return err },
		"Revoke with revision -1": func() error { _, err := c.Revoke(ctx, "ns", "a", -1); return err },
		"Delete with revision -1": func() error { return c.Delete(ctx, "ns", "a", -1) },
		"Get of .":                func() error { _, err := c.Get(ctx, "ns", "."); return err },
		"Get of ..":               func() error { _, err := c.Get(ctx, "ns", ".."); return err },
		"Get of empty name":       func() error { _, err := c.Get(ctx, "ns", ""); return err },
		"Delete in namespace .":   func() error { return c.Delete(ctx, ".", "a", 0) },
		"RevealValue of .":        func() error { _, err := c.RevealValue(ctx, "ns", "."); return err },
		"List in namespace ..":    func() error { _, err := c.List(ctx, "..", secrets.ListOptions{}); return err },
		"Create with a non-UTF-8 value": func() error {
			_, err := c.Create(ctx, "ns", secrets.Spec{Name: "a", Value: bad})
			return err
		},
		"Create with a non-UTF-8 description": func() error {
			_, err := c.Create(ctx, "ns", secrets.Spec{Name: "a", Description: "d\xff", Value: secrets.NewValue("v")})
			return err
		},
		"Reset with a non-UTF-8 value": func() error { _, err := c.Reset(ctx, "ns", "a", bad, 0); return err },
		"Update with a non-UTF-8 description": func() error {
			_, err := c.Update(ctx, "ns", &secrets.Secret{Name: "a", Description: "\xfe", Revision: 1})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
