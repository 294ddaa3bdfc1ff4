package source

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
	"golang.org/x/time/rate"
)

// URLOptions are the programmatic settings of a url source; the zero value
// is ready to use.
type URLOptions struct {
	// HTTPClient sends the requests; nil means a client with no timeout of
	// its own (URLConfig.Timeout bounds each attempt). Whichever client is
	// used, redirects are followed only within the origin (scheme, host and
	// port) of the URL, so headers never go to another host or port: the
	// source sends through a copy of HTTPClient whose CheckRedirect refuses
	// other origins and then calls HTTPClient.CheckRedirect, if any, for
	// the hops it allows. HTTPClient itself is not modified.
	HTTPClient *http.Client
	// BeforeRequest, if set, is called with every attempt's request before
	// it is sent, e.g. to set a short-lived token. Its error ends the Get.
	BeforeRequest func(*http.Request) error
	// Limiter, if set, replaces the limiter built from the config
	// (RequestsPerMinuteLimit and RequestsBurst), e.g. to share one rate
	// among several sources: rate.NewLimiter(rate.Every(time.Minute/300), 10)
	// is the default. Every attempt, retries included, waits for one token.
	Limiter *rate.Limiter
}

// urlSource fetches one secret per HTTP request, with a rate limit and
// retries. It does not cache; NewCache or a Resolver does. It is safe for
// concurrent use.
type urlSource struct {
	cfg     URLConfig
	opts    URLOptions
	client  *http.Client
	limiter *rate.Limiter // nil: no limit
	jitter  func(d time.Duration) time.Duration
	path    []string
	queryAt int // index of the first "?" in the template, or -1
}

// NewURLSource checks cfg and returns a url source: one HTTP request per
// secret, with the rate limit, retries, redirect rule and response reading
// of a url spec (see the package doc), and no cache (wrap it in NewCache).
// Errors match secrets.ErrInvalid, name the field at fault and never
// contain the URL or a header value.
//
// Its Get fails with an error matching secrets.ErrNotFound for status 404,
// secrets.ErrPermissionDenied for 401 and 403, secrets.ErrUnavailable when
// network errors, 5xx or 429 outlast the retries, secrets.ErrInvalid for
// 400, a body over 24 KiB, a responsePath that does not resolve to a string
// or a value outside the limits, secrets.ErrFailedPrecondition for a
// refused cross-origin redirect, and secrets.ErrInternal for other
// statuses. Context errors are returned unchanged.
func NewURLSource(cfg URLConfig, opts URLOptions) (Source, error) {
	return newURLSource(cfg, opts, nil)
}

// newURLSource is NewURLSource with a jitter function (random in [0, d)
// when nil) that tests replace.
func newURLSource(cfg URLConfig, opts URLOptions, jitter func(d time.Duration) time.Duration) (*urlSource, error) {
	cfg = cfg.withDefaults()
	path, err := checkURLConfig(cfg)
	if err != nil {
		return nil, errcode.New(errcode.Invalid, "source.NewURLSource", err.Error())
	}
	s := &urlSource{cfg: cfg, opts: opts, limiter: opts.Limiter, jitter: jitter, path: path,
		queryAt: strings.IndexByte(cfg.URLTemplate, '?')}
	s.client = sameOriginClient(opts.HTTPClient)
	if s.limiter == nil && cfg.RequestsPerMinuteLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Every(time.Minute/time.Duration(cfg.RequestsPerMinuteLimit)), cfg.RequestsBurst)
	}
	if s.jitter == nil {
		s.jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	return s, nil
}

// wait waits for the rate limiter. A wait that would outlast ctx's
// deadline fails at once with context.DeadlineExceeded (rate.Limiter
// refuses it rather than sleep in vain); a cancelled ctx gives its error
// and the token back.
func (s *urlSource) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || s.limiter == nil {
		return err
	}
	if err := s.limiter.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, ok := ctx.Deadline(); ok {
			return context.DeadlineExceeded
		}
		// Only a caller's limiter with a burst of 0 refuses a wait
		// without a deadline.
		return errcode.New(errcode.FailedPrecondition, "source.url", "the rate limiter allows no request (burst 0)")
	}
	return nil
}

func checkURLConfig(cfg URLConfig) ([]string, error) {
	switch {
	case cfg.URLTemplate == "":
		return nil, errors.New("urlTemplate is required")
	case !strings.Contains(cfg.URLTemplate, "{key}"):
		return nil, errors.New("urlTemplate must contain {key}")
	}
	// Errors of url.Parse quote the URL, which may carry key material: do
	// not wrap them.
	u, err := url.Parse(strings.ReplaceAll(cfg.URLTemplate, "{key}", "k"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("urlTemplate is not an absolute http or https URL")
	}
	if !isToken(cfg.Method) {
		return nil, errors.New("method is not a valid HTTP token")
	}
	for name, v := range cfg.Headers {
		if !isToken(name) {
			return nil, fmt.Errorf("header %s: name is not a valid HTTP token", printable(name))
		}
		if !validHeaderValue(v.DangerouslyExpose()) {
			return nil, fmt.Errorf("header %s: value has a control character", printable(name))
		}
	}
	path, err := parsePath(cfg.ResponsePath)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Timeout < 0:
		return nil, errors.New("timeout is negative")
	case cfg.RetryBackoff < 0:
		return nil, errors.New("retryBackoff is negative")
	case cfg.RequestsBurst < 0:
		return nil, errors.New("requestsBurst is negative")
	}
	return path, nil
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

var errRedirect = errors.New("refused a redirect to another origin")

// sameOriginClient returns a copy of c (nil means a zero http.Client) that
// follows redirects only to the origin of the first request: net/http
// forwards custom headers (an X-Api-Key) to any host a redirect names, and
// Authorization to another port of the same host. c's own CheckRedirect,
// if any, then decides about the hops that stay; without one, at most 10
// are followed, as net/http does.
func sameOriginClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	inner := cp.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		if origin(req.URL) != origin(via[0].URL) {
			return errRedirect
		}
		if inner != nil {
			return inner(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// origin returns scheme://host:port of u, lower-cased, with the scheme's
// default port made explicit so that https://h and https://h:443 are one
// origin.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// config returns the configuration in use, defaults filled in.
func (s *urlSource) config() URLConfig { return s.cfg }

// url returns the URL of name: the template with {key} escaped: path-escaped
// before any "?", query-escaped after it. Keep it out of logs: the template
// may carry credentials.
func (s *urlSource) url(name string) string {
	if s.queryAt < 0 {
		return strings.ReplaceAll(s.cfg.URLTemplate, "{key}", url.PathEscape(name))
	}
	before, after := s.cfg.URLTemplate[:s.queryAt], s.cfg.URLTemplate[s.queryAt:]
	return strings.ReplaceAll(before, "{key}", url.PathEscape(name)) +
		strings.ReplaceAll(after, "{key}", url.QueryEscape(name))
}

// Get fetches name. Status 200 is success. Network errors, 5xx and 429
// are retried up to MaxRetries times with backoff and jitter, each attempt
// waiting for the rate limiter; the errors are those NewURLSource lists.
func (s *urlSource) Get(ctx context.Context, name string) (secrets.Value, error) {
	const op = "source.url"
	if err := checkSecretName(name); err != nil {
		return secrets.Value{}, errcode.New(errcode.Invalid, op, err.Error())
	}
	if name == "." || name == ".." {
		return secrets.Value{}, errcode.New(errcode.Invalid, op, `secret name "." or ".." cannot be put in a URL path`)
	}
	target := s.url(name)
	for attempt := 0; ; attempt++ {
		if err := s.wait(ctx); err != nil {
			return secrets.Value{}, err
		}
		v, retry, after, err := s.attempt(ctx, target, name)
		if err == nil {
			return v, nil
		}
		if !retry || s.cfg.MaxRetries < 0 || attempt >= s.cfg.MaxRetries {
			return secrets.Value{}, withOp(op, err, attempt+1)
		}
		// A server that says when to come back is believed (up to
		// maxRetryDelay): retrying sooner only earns another 429.
		if err := sleep(ctx, max(s.delay(attempt+1), after)); err != nil {
			return secrets.Value{}, err
		}
	}
}

// delay is the wait before retry n (1-based), k6's schedule: RetryBackoff
// in seconds raised to the power n (1s, 1s, 1s for the default of 1s; 2s,
// 4s, 8s for 2s), capped at maxRetryDelay, plus a jitter of up to one
// second. Unlike k6, a base under one second is not rounded away: it is
// waited each time, with a jitter of up to the base, so a fast local
// server is retried fast.
func (s *urlSource) delay(n int) time.Duration {
	b := s.cfg.RetryBackoff
	if b < time.Second {
		return b + s.jitter(b+1)
	}
	d := maxRetryDelay
	if p := math.Pow(b.Seconds(), float64(n)); p < maxRetryDelay.Seconds() {
		d = time.Duration(p * float64(time.Second))
	}
	return d + s.jitter(time.Second)
}

// retryAfter reads a Retry-After header (delta-seconds or an HTTP date) of
// a 429 or 503 answer; 0 when absent, invalid or past. The caller caps it.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryDelay/time.Second) {
			return maxRetryDelay
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryDelay)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// withOp gives an attempt's error the operation, and the number of
// attempts when there were several. Context errors pass through; errors of
// BeforeRequest are wrapped with their code (or Internal).
func withOp(op string, err error, attempts int) error {
	if errcode.IsContext(err) {
		return err
	}
	if e, ok := err.(*errcode.Error); ok && e.Op == "" {
		msg := e.Msg
		if attempts > 1 {
			msg += fmt.Sprintf(" (after %d attempts)", attempts)
		}
		return &errcode.Error{Code: e.Code, Op: op, Msg: msg, Err: e.Err}
	}
	return &errcode.Error{Code: errcode.Of(err), Op: op, Err: err}
}

// attempt makes one request. retry reports whether the failure may pass.
func (s *urlSource) attempt(ctx context.Context, target, name string) (v secrets.Value, retry bool, after time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, s.cfg.Method, target, nil)
	if err != nil {
		return v, false, 0, errcode.New(errcode.Invalid, "", "cannot build the request from urlTemplate")
	}
	for h, hv := range s.cfg.Headers {
		req.Header.Set(h, hv.DangerouslyExpose())
	}
	if s.opts.BeforeRequest != nil {
		if err := s.opts.BeforeRequest(req); err != nil {
			return v, false, 0, err
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return v, false, 0, ctx.Err()
		}
		if errors.Is(err, errRedirect) {
			return v, false, 0, errcode.New(errcode.FailedPrecondition, "", fmt.Sprintf("secret %q: %v", name, errRedirect))
		}
		return v, true, 0, errcode.New(errcode.Unavailable, "", "request failed: "+netCause(err, s.cfg.Timeout))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return v, false, 0, ctx.Err()
		}
		return v, true, 0, errcode.New(errcode.Unavailable, "", "reading the response failed: "+netCause(err, s.cfg.Timeout))
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == http.StatusNotFound:
		return v, false, 0, errcode.New(errcode.NotFound, "", fmt.Sprintf("secret %q not found (status 404)", name))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return v, false, 0, errcode.New(errcode.PermissionDenied, "", fmt.Sprintf("secret %q: status %d", name, code))
	case code == http.StatusTooManyRequests || code >= 500:
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			after = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return v, true, after, errcode.New(errcode.Unavailable, "", fmt.Sprintf("secret %q: status %d", name, code))
	case code == http.StatusBadRequest:
		return v, false, 0, errcode.New(errcode.Invalid, "", fmt.Sprintf("secret %q: status 400", name))
	default:
		return v, false, 0, errcode.New(errcode.Internal, "", fmt.Sprintf("secret %q: unexpected status %d", name, code))
	}
	if len(body) > maxBodyBytes {
		return v, false, 0, errcode.New(errcode.Invalid, "", fmt.Sprintf("secret %q: response body is over %d bytes", name, maxBodyBytes))
	}
	value := string(body)
	if s.path != nil {
		value, err = extract(body, s.path)
		if err != nil {
			return v, false, 0, errcode.New(errcode.Invalid, "", fmt.Sprintf("secret %q: %v", name, err))
		}
	}
	v = secrets.NewValue(value)
	if err := secrets.ValidateValue(v); err != nil {
		return secrets.Value{}, false, 0, errcode.New(errcode.Invalid, "", fmt.Sprintf("secret %q: %s", name, message(err)))
	}
	return v, false, 0, nil
}

// netCause describes a transport error without the URL (which *url.Error
// prints) and without bytes from the server (which some net/http errors
// quote, e.g. a malformed response): only timeouts, socket errors
// (addresses and system errors) and a few known kinds are described.
func netCause(err error, timeout time.Duration) string {
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out after " + timeout.String()
	case errors.As(err, &opErr):
		return opErr.Error()
	case errors.As(err, &certErr):
		return "TLS certificate verification failed"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the response was complete"
	}
	return "transport error (its text may quote the server and is not shown)"
}

// parsePath splits a responsePath on "."; "" means no path.
func parsePath(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	segs := strings.Split(p, ".")
	for i, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("responsePath segment %d is empty", i+1)
		}
	}
	return segs, nil
}

// extract follows path into a JSON document and returns the string there.
// A third party's response is read as k6 reads it with gjson, not as
// strictly as strongbox's own documents: each segment matches a member by
// its exact (unescaped) name, the first of duplicate members wins, and
// members off the path are not looked at. The body must still be one valid
// JSON document of valid UTF-8, and the string must not hold a lone
// surrogate escape: those would give a value the server never sent
// (U+FFFD). Errors name the path segment and never contain the body.
func extract(body []byte, path []string) (string, error) {
	if !utf8.Valid(body) {
		// encoding/json would turn invalid bytes into U+FFFD: a value the
		// server never sent.
		return "", errors.New("response is not valid JSON (not UTF-8)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var cur json.RawMessage
	if err := dec.Decode(&cur); err != nil {
		return "", errors.New("response is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("response is not valid JSON (data after the document)")
	}
	for i, seg := range path {
		var next json.RawMessage
		var found bool
		switch kind := rawKind(cur); kind {
		case "object":
			next, found = member(cur, seg)
			if !found {
				return "", fmt.Errorf("responsePath segment %d (%s) is not in the response", i+1, printable(seg))
			}
		case "array":
			n, err := strconv.Atoi(seg)
			if err == nil && n >= 0 && strconv.Itoa(n) == seg {
				next, found = element(cur, n)
			}
			if !found {
				return "", fmt.Errorf("responsePath segment %d (%s) is not an index of the array in the response", i+1, printable(seg))
			}
		default:
			return "", fmt.Errorf("responsePath segment %d (%s): the response has a %s there, not an object", i+1, printable(seg), kind)
		}
		cur = next
	}
	if kind := rawKind(cur); kind != "string" {
		return "", fmt.Errorf("responsePath resolves to a %s, not a string", kind)
	}
	if hasLoneSurrogate(cur) {
		return "", errors.New("the string at responsePath has a lone surrogate escape (\\ud800 to \\udfff alone), which is no UTF-8 text")
	}
	var v string
	if err := json.Unmarshal(cur, &v); err != nil {
		return "", errors.New("response is not valid JSON")
	}
	return v, nil
}

// member returns the first member of the valid JSON object obj named name.
func member(obj json.RawMessage, name string) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if k, ok := tok.(string); ok && k == name {
			return v, true
		}
	}
	return nil, false
}

// element returns element n of the valid JSON array arr.
func element(arr json.RawMessage, n int) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(arr))
	if _, err := dec.Token(); err != nil { // [
		return nil, false
	}
	for i := 0; dec.More(); i++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if i == n {
			return v, true
		}
	}
	return nil, false
}

// rawKind names the kind of a valid JSON value from its first byte.
func rawKind(v json.RawMessage) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "value"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// hasLoneSurrogate reports whether the valid JSON string literal lit holds
// a \u escape of a surrogate half that is not a high half followed by a
// low half.
func hasLoneSurrogate(lit []byte) bool {
	hex := func(i int) rune {
		if i+4 > len(lit) {
			return -1
		}
		n, err := strconv.ParseUint(string(lit[i:i+4]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' || i+1 >= len(lit) {
			continue
		}
		if lit[i+1] != 'u' {
			i++ // skip the escaped character
			continue
		}
		r := hex(i + 2)
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if i+7 >= len(lit) || lit[i+6] != '\\' || lit[i+7] != 'u' {
				return true
			}
			if lo := hex(i + 8); lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		default:
			i += 5
		}
	}
	return false
}

func newURL(_ context.Context, p Params) (Source, error) {
	cfg, err := parseURLConfig(p.Config, environ(p.Env), p.ReadFile)
	if err != nil {
		return nil, err
	}
	s, err := newURLSource(cfg, URLOptions{HTTPClient: p.HTTPClient}, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}
