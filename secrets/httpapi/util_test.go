package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"net/http/httptest"

	"github.com/strongbox-go/strongbox/rbac"
)

type rbacPrincipal = rbac.Principal

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func asEditor() context.Context {
	return rbac.WithPrincipal(context.Background(), principals[tokEditor])
}

func newRequest(method, target string) *http.Request { return httptest.NewRequest(method, target, nil) }

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
