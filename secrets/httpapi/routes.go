package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// pathOpenAPI serves the OpenAPI description of the routes (openapi.json).
const pathOpenAPI = "/openapi.json"

// access says how a route authenticates its callers.
type access int

const (
	// accessManage: users and services through Options.Authenticator;
	// run tokens are refused (403).
	accessManage access = iota
	// accessDecrypt: as accessManage, and run tokens within their scope.
	accessDecrypt
	// accessPublic: no credentials are read; for documents anyone may
	// fetch (the OpenAPI description).
	accessPublic
)

// route is one entry of the route table.
type route struct {
	method, path string
	access       access
	fn           routeFunc
}

// routeTable is every route the handler serves, the one list that
// routes registers and the OpenAPI test checks against openapi.json. A GET
// route also answers HEAD. The token routes depend on the Options (see
// tokenRouteTable).
func (h *Handler) routeTable() []route {
	return append([]route{
		{http.MethodPost, pathSecrets, accessManage, h.create},
		{http.MethodGet, pathSecrets, accessManage, h.list},
		{http.MethodGet, pathSecret, accessManage, h.get},
		{http.MethodPut, pathSecret, accessManage, h.update},
		{http.MethodDelete, pathSecret, accessManage, h.delete},
		{http.MethodPost, pathReset, accessManage, h.reset},
		{http.MethodPost, pathRevoke, accessManage, h.revoke},
		{http.MethodGet, pathDecrypt, accessDecrypt, h.decrypt},
		{http.MethodGet, pathVersions, accessManage, h.versions},
		{http.MethodPost, pathRollback, accessManage, h.rollback},
		{http.MethodPost, pathDestroy, accessManage, h.destroy},
		{http.MethodGet, pathOpenAPI, accessPublic, h.openAPI},
	}, h.tokenRouteTable()...)
}

// methodOrder is the order of methods in Allow headers.
var methodOrder = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// routes registers the route table, a 405 with Allow for every other
// method on each path, and a 404 for every other path.
func (h *Handler) routes() {
	h.mux = http.NewServeMux()
	methods := map[string][]string{}
	var paths []string
	for _, rt := range h.routeTable() {
		pattern := rt.method + " " + rt.path
		switch rt.access {
		case accessPublic:
			h.handlePublic(pattern, rt.fn)
		default:
			h.handle(pattern, rt.access == accessDecrypt, rt.fn)
		}
		if _, ok := methods[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
		if rt.method == http.MethodGet {
			methods[rt.path] = append(methods[rt.path], http.MethodHead)
		}
	}
	for _, path := range paths {
		ms := methods[path]
		slices.SortFunc(ms, func(a, b string) int { return slices.Index(methodOrder, a) - slices.Index(methodOrder, b) })
		allow := strings.Join(ms, ", ")
		h.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			h.fail(w, r, apiError(http.StatusMethodNotAllowed, codeMethodNotAllowed, r.Method+" is not allowed here; use "+allow))
		})
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, apiError(http.StatusNotFound, codeNotFound, "no such route"))
	})
}

// handlePublic registers a route that reads no credentials.
func (h *Handler) handlePublic(pattern string, fn routeFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		stateOf(r).client = h.clientAddr(r)
		if err := fn(r.Context(), w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}
