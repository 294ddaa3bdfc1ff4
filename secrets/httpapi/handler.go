package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/bearer"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// defaultMaxBodyBytes caps request bodies when Options.MaxBodyBytes is 0:
// room for a 24 KiB value, even fully \u-escaped in JSON, plus metadata.
const defaultMaxBodyBytes = 64 << 10

// defaultRequestTimeout is the Options.RequestTimeout of the zero value:
// far above a healthy request (milliseconds), below NewServer's
// WriteTimeout.
const defaultRequestTimeout = 20 * time.Second

// Options configures a Handler. Manager is required.
type Options struct {
	// Manager does the work; the handler adds HTTP, authentication and
	// auditing. The handler does not close it.
	Manager *secrets.Manager
	// Authenticator authenticates users and services on every route; nil
	// means only run tokens are accepted.
	Authenticator Authenticator
	// RunTokens verifies bearer tokens in the runtoken format ("sbrt1.");
	// nil means they are not accepted (they go to Authenticator like any
	// other bearer token). A run token may only use the decrypt route, in
	// its namespace, for the names it lists.
	RunTokens *runtoken.Verifier
	// RunTokenIssuer, if set, serves the run-token routes (POST and DELETE
	// .../runtokens, authorized as rbac.ActionIssueRunToken and audited by
	// the Manager); RunTokens nil then means its Verifier. With either,
	// GET /.well-known/jwks.json publishes the Ed25519 verification keys.
	RunTokenIssuer *runtoken.Issuer
	// RunSubject is the run identity of run tokens whose request names
	// none; "" means "k6".
	RunSubject string
	// APITokens, if set, serves the API-token routes (.../apitokens, Admin
	// only) and accepts its tokens ("sbx_") as bearer credentials, before
	// Authenticator.
	APITokens *apitoken.Tokens
	// Auditor receives one event per request; nil discards them. The
	// Manager's own Auditor (secrets.Options) still sees every decision.
	Auditor func(ctx context.Context, e RequestEvent)
	// Logger receives the details of 5xx errors (codes and messages, never
	// values or credentials); nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (413 above); 0 means
	// defaultMaxBodyBytes.
	MaxBodyBytes int64
	// RateLimit, if set, bounds each principal's requests (429 above).
	RateLimit *RateLimit
	// AuthFailures bounds failed authentications per client address (429
	// with Retry-After above); the zero value is the default limit, see
	// AuthFailureLimit.
	AuthFailures AuthFailureLimit
	// TrustForwardedFor takes the client address of AuthFailures from the
	// last X-Forwarded-For entry instead of the connection. Set it only
	// behind a proxy that appends that header: otherwise any client can
	// name any address and escape the limit.
	TrustForwardedFor bool
	// RequestTimeout bounds the work of one request, the Manager's store
	// and key-service calls included, whatever the client is willing to
	// wait: past it the request fails with 503 unavailable, so a hanging
	// backend cannot hold requests (and their connections) without end.
	// 0 means 20 seconds; negative means no limit besides the
	// client's. Keep it below the server's WriteTimeout (NewServer: 30 s)
	// so that the 503 still reaches the client.
	RequestTimeout time.Duration
	// Clock returns the current time (for rate limits, run-token expiry
	// and audit durations); nil means time.Now.
	Clock func() time.Time
	// MeterProvider receives the handler's metrics (see # Metrics in the
	// package doc); nil means otel.GetMeterProvider(), the global one.
	MeterProvider metric.MeterProvider
}

// Handler serves the strongbox HTTP API; see the package documentation for
// its routes. It is safe for concurrent use.
type Handler struct {
	m      *secrets.Manager
	auth   Authenticator
	tokens *runtoken.Verifier
	// issuer, apiTokens and runSubject serve the token routes (tokens.go).
	issuer     *runtoken.Issuer
	apiTokens  *apitoken.Tokens
	apiAuth    Authenticator
	runSubject string
	auditor    func(context.Context, RequestEvent)
	log        *slog.Logger
	maxBody    int64
	limit      *limiter
	// authFail counts failed authentications per client address.
	authFail          *limiter
	trustForwardedFor bool
	timeout           time.Duration // 0: none
	now               func() time.Time
	mux               *http.ServeMux
	metrics           *handlerMetrics
}

// New returns a Handler. It fails with secrets.ErrInvalid when Manager is
// missing.
func New(opts Options) (*Handler, error) {
	if opts.Manager == nil {
		return nil, errcode.New(errcode.Invalid, "httpapi.New", "Options.Manager is required")
	}
	h := &Handler{
		m: opts.Manager, auth: opts.Authenticator, tokens: opts.RunTokens, auditor: opts.Auditor,
		log: opts.Logger, maxBody: opts.MaxBodyBytes, now: opts.Clock, trustForwardedFor: opts.TrustForwardedFor,
		metrics: newHandlerMetrics(opts.MeterProvider),
		issuer:  opts.RunTokenIssuer, apiTokens: opts.APITokens, runSubject: opts.RunSubject,
	}
	if h.tokens == nil && h.issuer != nil {
		h.tokens = h.issuer.Verifier()
	}
	if h.runSubject == "" {
		h.runSubject = "k6"
	}
	if h.apiTokens != nil {
		h.apiAuth = APITokens(h.apiTokens)
	}
	if h.auditor == nil {
		h.auditor = func(context.Context, RequestEvent) {}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = defaultMaxBodyBytes
	}
	if h.now == nil {
		h.now = time.Now
	}
	switch {
	case opts.RequestTimeout == 0:
		h.timeout = defaultRequestTimeout
	case opts.RequestTimeout > 0:
		h.timeout = opts.RequestTimeout
	}
	h.limit = newLimiter(opts.RateLimit, h.now)
	h.authFail = newAuthFailureLimiter(opts.AuthFailures, h.now)
	h.routes()
	return h, nil
}

// Route paths.
const (
	pathSecrets = "/v1/namespaces/{namespace}/secrets"
	pathSecret  = pathSecrets + "/{name}"
	pathReset   = pathSecret + "/reset"
	pathRevoke  = pathSecret + "/revoke"
	pathDecrypt = pathSecret + "/decrypt"
	// The value-history routes (history.go).
	pathVersions = pathSecret + "/versions"
	pathRollback = pathSecret + "/rollback"
	pathDestroy  = pathSecret + "/destroy"
)

// decryptPath returns the path of the decrypt route for a secret, with
// "{key}" as the name when name is "{key}" (a k6 urlTemplate).
func decryptPath(namespace, name string) string {
	if name != "{key}" {
		name = url.PathEscape(name)
	}
	return "/v1/namespaces/" + url.PathEscape(namespace) + "/secrets/" + name + "/decrypt"
}

type routeFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request) error

// reqState collects what the audit event needs while a request runs.
type reqState struct {
	// namespace and name are as the request gave them when they are valid
	// names, and described by length and keyed hash otherwise (safeInput).
	namespace, name string
	list            bool // the list route, for error messages
	// principal is the caller's Principal.String(), once authenticated;
	// the request event and the rate limiter take it as a string.
	principal string
	tokenID   string
	client    string
	code      string

	// version is the version the request names (a pinned decrypt's
	// name@N, a rollback's or destroy's), for error messages and the
	// request event; 0 for none.
	version int64
	destroy bool // the destroy route, for error messages
}

// Header values every response of a route carries, shared by all of them
// rather than allocated per request: net/http only reads them, Set
// replaces them, and Add appends to a full slice, which copies it.
var (
	headerNoStore = []string{"no-store"}
	headerNosniff = []string{"nosniff"}
	headerJSON    = []string{"application/json"}
)

type stateKey struct{}

func stateOf(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	st := &reqState{}
	ctx := context.WithValue(r.Context(), stateKey{}, st)
	if h.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	r = r.WithContext(ctx)
	sw := &statusWriter{ResponseWriter: w}
	hd := w.Header()
	hd["Cache-Control"] = headerNoStore
	hd["X-Content-Type-Options"] = headerNosniff
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The panic value could hold anything; log only its type.
			h.log.ErrorContext(r.Context(), "strongbox handler panic", slog.String("route", r.Pattern), slog.String("type", fmt.Sprintf("%T", v)))
			if sw.status == 0 {
				h.fail(sw, r, apiError(http.StatusInternalServerError, codeInternal, "internal error"))
			}
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		h.metrics.request(r.Context(), r.Pattern, r.Method, status, st.code, h.now().Sub(start))
		principal := st.principal
		if principal == "" {
			principal = rbac.Principal{}.String() // "anonymous"
		}
		h.auditor(r.Context(), RequestEvent{
			Time: start.UTC(), Method: r.Method, Route: r.Pattern, Namespace: st.namespace, Name: st.name,
			Principal: principal, TokenID: st.tokenID, Client: st.client, Status: status, Code: st.code,
			Duration: h.now().Sub(start), Version: st.version,
		})
	}()
	h.mux.ServeHTTP(sw, r)
}

// handle registers a route: authentication, rate limiting and run-token
// scope come first, then fn runs with the principal in its context.
func (h *Handler) handle(pattern string, decrypt bool, fn routeFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		st.namespace, st.name = safeInput("namespace", r.PathValue("namespace")), safeInput("name", r.PathValue("name"))
		st.list = r.Pattern == "GET "+pathSecrets
		var refErr error
		if decrypt && strings.IndexByte(r.PathValue("name"), '@') >= 0 {
			// The decrypt route's {name} may pin a version (name@N).
			st.name, st.version, refErr = decryptRef(r.PathValue("name"))
		}
		addr := h.clientAddr(r)
		st.client = addr
		if wait, blocked := h.authFail.blocked(addr); blocked {
			h.metrics.limited(r.Context(), limitAuthFailures)
			h.fail(w, r, rateLimited("too many failed authentications from this address; retry later", wait))
			return
		}
		p, claims, err := h.authenticate(r)
		if err != nil {
			// A request with no credentials at all guesses nothing; one
			// whose credentials were refused counts against its address.
			if publicError(err, st).Status == http.StatusUnauthorized {
				h.metrics.authFailed(r, err)
				if !errors.Is(err, ErrNoCredentials) {
					h.authFail.failed(addr)
				}
			}
			h.fail(w, r, err)
			return
		}
		st.principal = p.String()
		if wait, ok := h.limit.allow(st.principal); !ok {
			h.metrics.limited(r.Context(), limitPrincipal)
			h.fail(w, r, rateLimited("too many requests; slow down", wait))
			return
		}
		if claims != nil {
			st.tokenID = claims.ID
			switch {
			case !decrypt:
				h.fail(w, r, apiError(http.StatusForbidden, codePermissionDenied, "a run token may only decrypt"))
				return
			case st.namespace != claims.Namespace:
				h.fail(w, r, apiError(http.StatusForbidden, codePermissionDenied, "the run token is for another namespace"))
				return
			case refErr != nil:
				// A run token may decrypt here: the Manager would refuse
				// the reference as invalid, so say so rather than that
				// the token does not cover an unreadable name. Other
				// callers get the Manager's answer (403 for users, who
				// never decrypt; 400 for services).
				h.fail(w, r, refErr)
				return
			case !claims.AllowsName(st.name):
				h.fail(w, r, apiError(http.StatusForbidden, codePermissionDenied, "the run token does not cover secret "+strconv.Quote(st.name)))
				return
			}
		}
		if err := fn(rbac.WithPrincipal(r.Context(), p), w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// authenticate returns the caller, and the run token's claims when the
// caller used one.
func (h *Handler) authenticate(r *http.Request) (rbac.Principal, *runtoken.Claims, error) {
	if tok, ok := bearer.Token(r); ok && h.tokens != nil && strings.HasPrefix(tok, runtoken.Prefix) {
		c, err := h.tokens.Verify(r.Context(), tok)
		if err != nil {
			// The id of a validly signed token that was refused
			// (expired, revoked...) goes to the request event.
			if id, ok := runtoken.IDFromError(err); ok {
				stateOf(r).tokenID = id
			}
			// publicError says why (expired, revoked...) from the
			// runtoken error it matches, never from its text.
			return rbac.Principal{}, nil, err
		}
		return c.Principal(), &c, nil
	}
	if tok, ok := bearer.Token(r); ok && h.apiAuth != nil && strings.HasPrefix(tok, apitoken.Prefix) {
		p, err := h.apiAuth.Authenticate(r)
		if err == nil {
			// Verified: the id is the issuer's, not the sender's choice.
			stateOf(r).tokenID, _ = apitoken.IDOf(tok)
		}
		return p, nil, err
	}
	if h.auth == nil {
		return rbac.Principal{}, nil, ErrNoCredentials
	}
	p, err := h.auth.Authenticate(r)
	if err != nil {
		return rbac.Principal{}, nil, err
	}
	if !p.Valid() {
		return rbac.Principal{}, nil, fmt.Errorf("%w: authenticator returned no principal", ErrUnauthenticated)
	}
	return p, nil, nil
}

// fail writes err as a JSON error and records its code. The body's message
// is publicError's, chosen from the code and safe context; the error's own
// text, which may hold backend internals, goes to the Logger only: at Error
// level for 5xx, at Debug level for not found, already exists, conflict and
// failed precondition (outcomes of the store, reached only with valid
// names). Invalid and permission-denied errors are not logged with their
// text: it can quote the rejected input (an rbac message names the
// namespace asked for), and the request event already records them.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r)
	e := publicError(err, st)
	st.code = e.Code
	var own *Error
	switch code := errcode.Of(err); {
	case e.Status >= 500:
		h.log.LogAttrs(r.Context(), slog.LevelError, "strongbox request failed",
			slog.String("route", r.Pattern), slog.String("code", e.Code), slog.String("error", err.Error()))
	case errors.As(err, &own) || code == errcode.Invalid || code == errcode.PermissionDenied:
	default:
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "strongbox request refused",
			slog.String("route", r.Pattern), slog.String("code", e.Code), slog.String("error", err.Error()))
	}
	writeError(w, e)
}

// etag formats a revision as a strong entity tag.
func etag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// ifMatch returns the revision an If-Match header asks for: 0 when absent
// or "*".
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	s, ok := strings.CutPrefix(v, `"`)
	if ok {
		s, ok = strings.CutSuffix(s, `"`)
	}
	rev, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || rev <= 0 || strconv.FormatInt(rev, 10) != s {
		return 0, apiError(http.StatusBadRequest, codeInvalid, `If-Match must be one strong entity tag as returned in ETag, e.g. "3"`)
	}
	return rev, nil
}

func writeSecret(w http.ResponseWriter, status int, s *secrets.Secret) {
	w.Header().Set("ETag", etag(s.Revision))
	writeJSON(w, status, s)
}

func (h *Handler) create(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var body createBody
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	stateOf(r).name = safeInput("name", body.Name)
	s, err := h.m.Create(ctx, r.PathValue("namespace"), body.spec())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/namespaces/"+url.PathEscape(s.Namespace)+"/secrets/"+url.PathEscape(s.Name))
	writeSecret(w, http.StatusCreated, s)
	return nil
}

// listResponse is the body of a listing.
type listResponse struct {
	Secrets []*secrets.Secret `json:"secrets"`
	// NextPageToken is "" after the last page; pass it as pageToken.
	NextPageToken string `json:"nextPageToken,omitempty"`
}

func (h *Handler) list(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	opts := secrets.ListOptions{Selector: q.Get("selector"), PageToken: q.Get("pageToken")}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return apiError(http.StatusBadRequest, codeInvalid, "pageSize must be a whole number (0: 100; above 1000: 1000)")
		}
		opts.PageSize = n
	}
	res, err := h.m.List(ctx, r.PathValue("namespace"), opts)
	if err != nil {
		return err
	}
	out := listResponse{Secrets: res.Secrets, NextPageToken: res.NextPageToken}
	if out.Secrets == nil {
		out.Secrets = []*secrets.Secret{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) get(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	s, err := h.m.Get(ctx, r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		return err
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag(s.Revision) {
		w.Header().Set("ETag", etag(s.Revision))
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeSecret(w, http.StatusOK, s)
	return nil
}

func (h *Handler) update(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	rev, err := ifMatch(r)
	if err != nil {
		return err
	}
	var body updateBody
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	switch {
	case rev != 0 && body.Revision != 0 && rev != body.Revision:
		return apiError(http.StatusBadRequest, codeInvalid, "If-Match and revision disagree")
	case rev == 0 && body.Revision == 0:
		return apiError(http.StatusBadRequest, codeInvalid, "the revision is required: send the ETag you read as If-Match")
	case rev == 0:
		rev = body.Revision
	}
	keep, err := h.keepVersions(ctx, r, body.KeepVersions)
	if err != nil {
		return err
	}
	s, err := h.m.Update(ctx, r.PathValue("namespace"), &secrets.Secret{
		Name: r.PathValue("name"), Description: body.Description, Labels: body.Labels,
		Decrypters: body.Decrypters, Revision: rev, KeepVersions: keep,
	})
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, s)
	return nil
}

func (h *Handler) delete(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	rev, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := h.m.Delete(ctx, r.PathValue("namespace"), r.PathValue("name"), rev); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) reset(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	rev, err := ifMatch(r)
	if err != nil {
		return err
	}
	var body resetBody
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	s, err := h.m.Reset(ctx, r.PathValue("namespace"), r.PathValue("name"), secrets.NewValue(body.Value), rev)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, s)
	return nil
}

func (h *Handler) revoke(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	rev, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := h.decodeEmpty(w, r); err != nil {
		return err
	}
	s, err := h.m.Revoke(ctx, r.PathValue("namespace"), r.PathValue("name"), rev)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, s)
	return nil
}

// decryptBody is the JSON body of the decrypt route. A k6 url source picks
// the value with responsePath=value. It has no other member, so that values
// close to the 24 KiB limit still fit in the 24 KiB response cap of k6.
type decryptBody struct {
	Value string `json:"value"`
}

func (h *Handler) decrypt(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var raw bool
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
	case "raw":
		raw = true
	default:
		return apiError(http.StatusBadRequest, codeInvalid, "format must be json or raw")
	}
	v, err := h.m.RevealValue(ctx, r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		return err
	}
	if raw {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(v.Len()))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, v.DangerouslyExpose())
		return nil
	}
	writeDecryptJSON(w, v.DangerouslyExpose())
	return nil
}
