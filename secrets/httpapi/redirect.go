package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// errCrossOriginRedirect is what sameOriginClient's CheckRedirect returns.
var errCrossOriginRedirect = errors.New("redirect to another origin not followed")

// sameOriginClient returns a shallow copy of hc (http.DefaultClient when
// nil) that follows redirects only within the origin (scheme, host and
// port) of the first request, at most 10 of them, and then asks hc's own
// CheckRedirect, if any. The caller's client is not changed. Every request
// of Client and remoteSource carries a credential, and writes carry values:
// a redirect elsewhere, even to another port of the same host (where Go
// keeps the Authorization header) or with a 307 that re-sends the body, must
// not take them along.
func sameOriginClient(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && !sameOrigin(req.URL, via[0].URL) {
			return errCrossOriginRedirect
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (an absent port is the scheme's default).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
