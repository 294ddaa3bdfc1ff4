package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"strconv"
)

// openAPISpec is the OpenAPI 3.1 description of the routes, served at
// /openapi.json. TestOpenAPIMatchesRoutes holds it to the route table.
//
//go:embed openapi.json
var openAPISpec []byte

func (h *Handler) openAPI(_ context.Context, w http.ResponseWriter, r *http.Request) error {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(openAPISpec)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openAPISpec)
	}
	return nil
}
