// Package bearer reads the bearer token of an HTTP request, for the
// packages that authenticate strongbox API calls (httpapi, oidcauth).
package bearer

import (
	"net/http"
	"strings"
)

// Token returns the token of an "Authorization: Bearer <token>" header (the
// scheme is case-insensitive) and whether there is a non-empty one.
func Token(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
