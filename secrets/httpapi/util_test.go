package httpapi_test

import (
	"net/http/httptest"

	"github.com/strongbox-go/strongbox/rbac"
)

type rbacPrincipal = rbac.Principal

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
