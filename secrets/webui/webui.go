package webui

import (
	"context"
	"embed"
	"errors"
	"github.com/strongbox-go/strongbox/storage"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/ratelimit"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows the page its own stylesheet, its own static
// script and form posts to itself, and nothing else: no inline script or
// style, no frames, no other origin.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const (
	defaultSessionLifetime = 8 * time.Hour
	defaultPageSize        = 20
	// maxFormBytes bounds a form post: a 24 KiB value, which a browser may
	// percent-encode to three times its size, and the other fields.
	maxFormBytes = 3*secrets.MaxValueBytes + 16<<10
	// maxTokenBytes bounds the API token pasted into the sign-in form.
	maxTokenBytes = 4096
)

// Options configures the secrets page.
type Options struct {
	// Manager runs every operation; it authorizes each one. Required.
	Manager *secrets.Manager
	// Authenticator identifies the caller, as for package httpapi. A
	// request it accepts needs no sign-in; for one it answers with an error
	// matching httpapi.ErrUnauthenticated, the page uses the session made
	// by the sign-in form, which checks an API token by presenting it to
	// the Authenticator as a Bearer token. Required.
	Authenticator httpapi.Authenticator
	// Authorizer decides which controls a page shows. It only hides
	// controls: the Manager decides every operation. Give it the
	// Manager's authorizer; nil means rbac.NewRoleAuthorizer(nil), the
	// Manager's default.
	Authorizer rbac.Authorizer
	// Prefix is the path the handler is mounted at, e.g. "/ui" (the handler
	// gets the whole path, without http.StripPrefix); "" means "/".
	Prefix string
	// SessionLifetime is how long a sign-in lasts; 0 means 8 hours.
	SessionLifetime time.Duration
	// Sessions keeps the sign-in sessions; nil means
	// NewMemorySessionStore(), private to this process. Several instances
	// behind one address need a shared one: fleet.WebSessions over their
	// common store.
	Sessions SessionStore
	// APITokens, if set, are the API tokens the sign-in form accepts (those
	// the Authenticator verifies): a session signed in with one of them
	// keeps only the token's id and digest and verifies them with
	// APITokens.VerifyDigest on every request, instead of a sealed copy of
	// the token presented to the Authenticator again.
	APITokens *apitoken.Tokens
	// PageSize is how many secrets the list shows per page; 0 means 20.
	PageSize int
	// Logger receives operation failures the page does not explain (store
	// or key service errors), never a value or a token; nil discards them.
	Logger *slog.Logger
	// SignInFailures bounds failed sign-ins per client address, with the
	// limiter and defaults of httpapi.Options.AuthFailures (10 at once,
	// then one a second): while an address is over it, its sign-ins are
	// answered 429 with Retry-After before the token is looked at.
	SignInFailures httpapi.AuthFailureLimit
	// TrustForwardedFor takes the client address of SignInFailures from
	// the last X-Forwarded-For entry, as httpapi.Options.TrustForwardedFor.
	// Set it only behind a proxy that appends that header.
	TrustForwardedFor bool
	// OIDC, if set, adds sign-in with an OpenID Connect provider to the
	// sign-in page, next to the API token.
	OIDC *OIDC
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// handler is the secrets page.
type handler struct {
	m        *secrets.Manager
	auth     httpapi.Authenticator
	authz    rbac.Authorizer
	prefix   string
	pageSize int
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
	static   http.Handler
	origin   *http.CrossOriginProtection
	oidc     *oidcSignIn // nil without Options.OIDC
	// signInFail counts failed sign-ins per client address.
	signInFail        *ratelimit.Keyed
	trustForwardedFor bool
}

// New returns the secrets page. It fails with secrets.ErrInvalid when the
// Manager or the Authenticator is missing.
func New(opts Options) (http.Handler, error) {
	const op = "webui.New"
	if opts.Manager == nil || opts.Authenticator == nil {
		return nil, errcode.New(errcode.Invalid, op, "Manager and Authenticator are required")
	}
	prefix := strings.TrimSuffix(opts.Prefix, "/")
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "?#%\"'<> ")) {
		return nil, errcode.New(errcode.Invalid, op, "Prefix must be a plain path starting with /")
	}
	h := &handler{
		m:        opts.Manager,
		auth:     opts.Authenticator,
		authz:    opts.Authorizer,
		prefix:   prefix,
		pageSize: opts.PageSize,
		log:      opts.Logger,
		now:      opts.Now,
		origin:   http.NewCrossOriginProtection(),
	}
	if h.authz == nil {
		h.authz = rbac.NewRoleAuthorizer(nil)
	}
	if h.pageSize <= 0 {
		h.pageSize = defaultPageSize
	}
	if h.pageSize > storage.MaxPageSize {
		h.pageSize = storage.MaxPageSize
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	lifetime := opts.SessionLifetime
	if lifetime <= 0 {
		lifetime = defaultSessionLifetime
	}
	store := opts.Sessions
	if store == nil {
		store = newMemorySessionStore(h.now)
	}
	h.sessions = &sessions{store: store, now: h.now, lifetime: lifetime, apiTokens: opts.APITokens}
	f := opts.SignInFailures
	h.signInFail = ratelimit.NewAuthFailures(f.Disabled, f.PerSecond, f.Burst, f.MaxClients, h.now)
	h.trustForwardedFor = opts.TrustForwardedFor
	if opts.OIDC != nil {
		o, err := newOIDCSignIn(*opts.OIDC)
		if err != nil {
			return nil, err
		}
		h.oidc = o
	}
	pages, err := parsePages()
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	h.pages = pages
	sub, _ := fs.Sub(staticFS, "static")
	h.static = http.StripPrefix(prefix+"/static/", http.FileServerFS(sub))
	h.routes()
	return h, nil
}

func (h *handler) routes() {
	mux := http.NewServeMux()
	p := h.prefix
	mux.HandleFunc("GET "+p+"/static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.static.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET "+p+"/signin", h.signInPage)
	mux.HandleFunc("POST "+p+"/signin", h.signIn)
	mux.HandleFunc("POST "+p+"/signout", h.withUser(h.signOut))
	if h.oidc != nil {
		mux.HandleFunc("GET "+p+"/signin/oidc", h.oidcStart)
		mux.HandleFunc("GET "+p+"/signin/oidc/callback", h.oidcCallback)
	}
	mux.HandleFunc("GET "+p+"/{$}", h.withUser(h.list))
	if p != "" {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) { h.redirect(w, r, "/") })
	}
	mux.HandleFunc("GET "+p+"/new", h.withUser(h.createPage))
	mux.HandleFunc("POST "+p+"/new", h.withUser(h.create))
	mux.HandleFunc("GET "+p+"/s/{name}", h.withUser(h.detail))
	mux.HandleFunc("POST "+p+"/s/{name}/edit", h.withUser(h.edit))
	mux.HandleFunc("GET "+p+"/s/{name}/reset", h.withUser(h.detail))
	mux.HandleFunc("POST "+p+"/s/{name}/reset", h.withUser(h.reset))
	mux.HandleFunc("GET "+p+"/s/{name}/revoke", h.withUser(h.revokePage))
	mux.HandleFunc("POST "+p+"/s/{name}/revoke", h.withUser(h.revoke))
	mux.HandleFunc("GET "+p+"/s/{name}/delete", h.withUser(h.deletePage))
	mux.HandleFunc("POST "+p+"/s/{name}/delete", h.withUser(h.deleteSecret))
	mux.HandleFunc("POST "+p+"/s/{name}/rollback", h.withUser(h.rollback))
	mux.HandleFunc("GET "+p+"/s/{name}/destroy", h.withUser(h.destroyPage))
	mux.HandleFunc("POST "+p+"/s/{name}/destroy", h.withUser(h.destroy))
	h.mux = mux
}

// ServeHTTP sets the security headers of every response and routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		// Browsers say where a post comes from: refuse one from another
		// site before reading it, whatever it carries.
		if err := h.origin.Check(r); err != nil {
			h.fail(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused.")
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// user is the caller of a page request.
type user struct {
	p rbac.Principal
	// sid is the session id; csrf the token every form of the page carries.
	sid, csrf string
	// sess is the session as this request read it.
	sess *session
	// signedIn is true for a session made by the sign-in form, which
	// sign-out ends; false for a principal the Authenticator accepted.
	signedIn bool
}

// withUser identifies the caller (Authenticator first, then the session
// cookie), sends one without either to the sign-in page, and checks the
// CSRF token of every post.
func (h *handler) withUser(next func(http.ResponseWriter, *http.Request, *user)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := h.identify(w, r)
		if !ok {
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				h.fail(w, r, http.StatusBadRequest, "The form could not be read (it may be too large).")
				return
			}
			if !tokensEqual(u.csrf, r.PostForm.Get("csrf")) {
				h.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this page. Go back, reload the page and try again.")
				return
			}
		}
		next(w, r, u)
	}
}

func (h *handler) identify(w http.ResponseWriter, r *http.Request) (*user, bool) {
	ctx := r.Context()
	sid := h.sessionCookie(r)
	p, err := h.auth.Authenticate(r)
	switch {
	case err == nil:
		// The embedding service authenticated the request itself. A session
		// still carries the CSRF token and flashes, bound to the principal.
		s, err := h.sessions.get(ctx, sid)
		if err != nil {
			h.sessionFailed(w, r, err)
			return nil, false
		}
		if s == nil || !s.direct || s.principal.String() != p.String() {
			if sid, s, err = h.sessions.create(ctx, p, true, ""); err != nil {
				h.sessionFailed(w, r, err)
				return nil, false
			}
			h.setSessionCookie(w, r, sid)
		}
		return &user{p: p, sid: sid, csrf: s.csrf, sess: s}, true
	case errors.Is(err, httpapi.ErrUnauthenticated):
		s, err := h.sessions.get(ctx, sid)
		if err != nil {
			h.sessionFailed(w, r, err)
			return nil, false
		}
		if s != nil && !s.direct {
			// Check the session's credential again: a token revoked or
			// expired since sign-in ends the session now.
			p, err := h.recheck(r, sid, s)
			switch {
			case err == nil && p.Valid() && p.String() == s.principal.String():
				return &user{p: p, sid: sid, csrf: s.csrf, sess: s, signedIn: true}, true
			case err == nil || errors.Is(err, httpapi.ErrUnauthenticated) || errors.Is(err, apitoken.ErrInvalidToken):
				if err := h.sessions.delete(ctx, sid); err != nil {
					h.sessionFailed(w, r, err)
					return nil, false
				}
				h.setSessionCookie(w, r, "")
			default:
				h.sessionFailed(w, r, err)
				return nil, false
			}
		}
		if r.Method == http.MethodGet {
			h.redirect(w, r, "/signin")
		} else {
			h.fail(w, r, http.StatusUnauthorized, "You are not signed in, or your session has ended. Sign in again.")
		}
		return nil, false
	default:
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: authentication failed", slog.String("error", err.Error()))
		h.fail(w, r, statusOf(err), "Your credentials could not be checked right now. Try again later.")
		return nil, false
	}
}

// recheck verifies a signed-in session's credential again: an API token by
// its id and digest, another credential by presenting it (unsealed with
// the session id) to the Authenticator; an OIDC session has none and
// stands for its lifetime.
func (h *handler) recheck(r *http.Request, sid string, s *session) (rbac.Principal, error) {
	switch {
	case s.tokenID != "":
		if h.sessions.apiTokens == nil {
			return rbac.Principal{}, httpapi.ErrUnauthenticated
		}
		return h.sessions.apiTokens.VerifyDigest(r.Context(), s.tokenID, s.tokenDigest)
	case len(s.sealed) != 0:
		cred, ok := openCredential(sid, s.key, s.sealed)
		if !ok {
			return rbac.Principal{}, httpapi.ErrUnauthenticated
		}
		return h.authenticateToken(r, cred)
	}
	return s.principal, nil
}

// sessionFailed answers a request whose session could not be read,
// written or checked (the session store or the token store is down).
func (h *handler) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: session could not be checked", slog.String("error", err.Error()))
	h.fail(w, r, statusOf(err), "Your credentials could not be checked right now. Try again later.")
}

// Cookies. The session cookie is HttpOnly and SameSite=Strict, and Secure
// unless the page is served over plain HTTP to a loopback address; a
// Secure cookie at the root path takes the __Host- prefix, which browsers
// only accept from a secure origin, for the whole host.
const (
	sessionCookieName     = "strongbox-session"
	hostSessionCookieName = "__Host-strongbox-session"
	signInCookieName      = "strongbox-signin"
)

func (h *handler) secure(r *http.Request) bool { return r.TLS != nil || !isLoopback(r.Host) }

func (h *handler) cookieName(r *http.Request) string {
	if h.secure(r) && h.prefix == "" {
		return hostSessionCookieName
	}
	return sessionCookieName
}

func (h *handler) cookiePath() string {
	if h.prefix == "" {
		return "/"
	}
	return h.prefix + "/"
}

func (h *handler) sessionCookie(r *http.Request) string {
	c, err := r.Cookie(h.cookieName(r))
	if err != nil {
		return ""
	}
	return c.Value
}

// setSessionCookie sets (sid "" clears) the session cookie. Cookies carry
// Max-Age rather than Expires, so a browser whose clock is off keeps them
// for the right time; the server enforces the expiry in any case.
func (h *handler) setSessionCookie(w http.ResponseWriter, r *http.Request, sid string) {
	http.SetCookie(w, h.cookie(r, h.cookieName(r), sid, h.sessions.lifetime))
}

func (h *handler) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: h.cookiePath(),
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteStrictMode,
	}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}

// isLoopback reports whether a Host header names this machine.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redirect answers a post (or a page that moved) with 303 See Other to a
// path under the prefix: every write is post, redirect, get.
func (h *handler) redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, h.prefix+path, http.StatusSeeOther)
}

// can reports whether the caller's roles allow action, to show or hide a
// control. The Manager still decides the operation itself.
func (h *handler) can(ctx context.Context, u *user, action rbac.Action) bool {
	return h.authz.Authorize(ctx, u.p, u.p.Namespace, action) == nil
}

// statusOf maps an error code to the page's status.
func statusOf(err error) int {
	switch secrets.ErrorCode(err) {
	case errcode.NotFound:
		return http.StatusNotFound
	case errcode.AlreadyExists, errcode.Conflict:
		return http.StatusConflict
	case errcode.Invalid:
		return http.StatusBadRequest
	case errcode.PermissionDenied:
		return http.StatusForbidden
	case errcode.FailedPrecondition:
		return http.StatusPreconditionFailed
	case errcode.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
