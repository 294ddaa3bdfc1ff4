package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/strongbox-go/strongbox/internal/auditlog"
)

// RequestEvent records one request: who called which route and how it
// ended. It never holds a value, a request body or a credential.
type RequestEvent struct {
	Time   time.Time
	Method string
	// Route is the matched pattern, e.g.
	// "GET /v1/namespaces/{namespace}/secrets/{name}/decrypt", or "" when
	// no route matched.
	Route string
	// Namespace and Name are the request's, from the path (or, on create,
	// the body) as given when they are valid names; any other input is
	// recorded as its length and a short keyed hash, e.g. "invalid name
	// (len 12, hash 1a2b3c4d)", never echoed.
	Namespace string
	Name      string
	// Version is the version the request named: N of a pinned decrypt
	// (name@N; Name is then the name alone), or the version a rollback or
	// destroy asked for. 0: none (the current value).
	Version int64
	// Principal is rbac.Principal.String() of the caller, "anonymous" when
	// authentication failed or did not happen.
	Principal string
	// TokenID is the id of the run token used, if any, or of the API token
	// that authenticated the request (not the token; ids
	// are not secret and are what runtoken revocation takes), also when
	// the token was refused after its signature verified (expired,
	// revoked, too long-lived: see runtoken.IDFromError); "" for a token
	// whose signature did not verify, whose id anyone could have chosen.
	TokenID string
	// Client is the client address failed authentications are counted
	// against (see AuthFailureLimit): the connection's IP address, an IPv6
	// one as its /64, or with Options.TrustForwardedFor the proxy's last
	// X-Forwarded-For entry. "" for requests that matched no route.
	Client string
	Status int
	// Code is the error code of a failed request, "" on success.
	Code     string
	Duration time.Duration
}

// LogAuditor returns an Options.Auditor that logs each request at Info level (Warn
// for 4xx, Error for 5xx) as message "strongbox request".
func LogAuditor(l *slog.Logger) func(context.Context, RequestEvent) {
	return func(ctx context.Context, e RequestEvent) {
		level := slog.LevelInfo
		switch {
		case e.Status >= 500:
			level = slog.LevelError
		case e.Status >= 400:
			level = slog.LevelWarn
		}
		// Room for every attribute on the stack: LogAttrs copies them into
		// its record, and a slice literal that appends grew to the heap
		// twice per request (1 KiB of the decrypt route's 8).
		var buf [11]slog.Attr
		attrs := append(buf[:0],
			slog.String("method", e.Method),
			slog.String("route", e.Route),
			slog.String("namespace", e.Namespace),
			slog.String("name", e.Name),
			slog.String("principal", e.Principal),
			slog.Int("status", e.Status),
			slog.Duration("duration", e.Duration),
		)
		if e.Client != "" {
			attrs = append(attrs, slog.String("client", e.Client))
		}
		if e.TokenID != "" {
			attrs = append(attrs, slog.String("token_id", e.TokenID))
		}
		if e.Code != "" {
			attrs = append(attrs, slog.String("code", e.Code))
		}
		if e.Version != 0 {
			attrs = append(attrs, slog.Int64("version", e.Version))
		}
		auditlog.Write(ctx, l, level, "strongbox request", attrs...)
	}
}
