package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/strictjson"
	"github.com/strongbox-go/strongbox/secrets"
)

// ClientOptions configures a Client.
type ClientOptions struct {
	// HTTPClient sends the requests; nil means http.DefaultClient. Give it
	// a Timeout or pass contexts with deadlines. The Client uses a copy of
	// it that follows redirects only within the origin (scheme, host and
	// port) of BaseURL, then asks its CheckRedirect: every request carries
	// the token, and writes carry values.
	HTTPClient *http.Client
	// Token is sent as "Authorization: Bearer <token>" when set.
	Token secrets.Value
	// BeforeRequest, if set, is called with every request before it is
	// sent, e.g. to set other credentials. Its error ends the call.
	BeforeRequest func(*http.Request) error
}

// Client is the management side of the API for Go programs: the Manager's
// methods over HTTP. Errors are *Error values that match the secrets error
// codes with errors.Is (errors.Is(err, secrets.ErrNotFound)), or transport
// errors with code Unavailable. It does not retry: writes carry revisions,
// so retry a failed one after reading again. Safe for concurrent use.
//
// A Client prints as httpapi.Client{<base URL>} under every fmt verb, in
// JSON, text and slog: never its token.
type Client struct {
	base string
	hc   *http.Client
	opts ClientOptions
}

// NewClient returns a client of the server at baseURL (absolute http or
// https, no query). Errors match secrets.ErrInvalid.
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errcode.New(errcode.Invalid, "httpapi.NewClient", "baseURL must be an absolute http or https URL without query, fragment or user info")
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: sameOriginClient(opts.HTTPClient), opts: opts}, nil
}

func (c Client) text() string { return "httpapi.Client{" + c.base + "}" }

// Format prints "httpapi.Client{<base URL>}" under every verb (%#v
// included), so that no verb reaches the token through reflection.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.text()) }

// MarshalText returns "httpapi.Client{<base URL>}"; encoding/json and the
// slog handlers use it too.
func (c Client) MarshalText() ([]byte, error) { return []byte(c.text()), nil }

func secretPath(ns, name string) string {
	return "/v1/namespaces/" + url.PathEscape(ns) + "/secrets/" + url.PathEscape(name)
}

// do sends one request and decodes a 2xx JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in any, rev int64, out any) (http.Header, error) {
	if rev < 0 {
		// As the Manager: a negative revision is a mistake, not "any".
		return nil, errcode.New(errcode.Invalid, "httpapi.Client", "revision is negative")
	}
	// An empty, "." or ".." namespace or name would make another path once
	// cleaned (Get of "." lists the namespace, and decoded the empty
	// list as a secret): refuse it as the Manager would.
	segs, _, _ := strings.Cut(path, "?")
	for _, seg := range strings.Split(segs, "/")[1:] {
		if seg == "" || seg == "." || seg == ".." {
			return nil, errcode.New(errcode.Invalid, "httpapi.Client", "namespace or name is empty, \".\" or \"..\"")
		}
	}
	var body io.Reader
	var buf []byte
	if in != nil {
		var err error
		buf, err = json.Marshal(in)
		if err != nil {
			return nil, errcode.Wrap(errcode.Internal, "httpapi.Client", err)
		}
		body = bytes.NewReader(buf)
	}
	// The request body may hold a value: wipe it once sent.
	defer clear(buf)
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, errcode.New(errcode.Invalid, "httpapi.Client", "cannot build the request")
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if rev > 0 {
		req.Header.Set("If-Match", etag(rev))
	}
	if c.opts.Token.Len() != 0 {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token.DangerouslyExpose())
	}
	if c.opts.BeforeRequest != nil {
		if err := c.opts.BeforeRequest(req); err != nil {
			return nil, err
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if errors.Is(err, errCrossOriginRedirect) {
			return nil, errcode.New(errcode.FailedPrecondition, "httpapi.Client", method+" "+path+
				": the server redirected to another origin (scheme, host or port); not followed, since the request carries credentials")
		}
		// url.Error repeats the URL; keep only that the transport failed.
		return nil, errcode.New(errcode.Unavailable, "httpapi.Client", method+" "+path+": the server could not be reached")
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, defaultMaxBodyBytes*16))
	defer clear(data)
	if err != nil {
		return nil, errcode.New(errcode.Unavailable, "httpapi.Client", method+" "+path+": the response was cut short")
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		var eb errorBody
		if strictjson.Decode(data, &eb) == nil && eb.Error != nil && eb.Error.Code != "" {
			eb.Error.Status = res.StatusCode
			return nil, eb.Error
		}
		return nil, statusError(res.StatusCode)
	}
	if out != nil {
		// Strictly, as the server reads requests: a duplicate or
		// case-variant member would mean one thing here and another to a
		// proxy or log reader.
		if err := strictjson.Decode(data, out); err != nil {
			return nil, errcode.New(errcode.Internal, "httpapi.Client", method+" "+path+": the response is not the expected JSON")
		}
	}
	return res.Header, nil
}

// statusError is the *Error of a response without an error body (a proxy's).
func statusError(status int) *Error {
	code := codeInternal
	switch status {
	case http.StatusBadRequest:
		code = codeInvalid
	case http.StatusUnauthorized:
		code = codeUnauthenticated
	case http.StatusForbidden:
		code = codePermissionDenied
	case http.StatusNotFound:
		code = codeNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		code = codeConflict
	case http.StatusRequestEntityTooLarge:
		code = codeTooLarge
	case http.StatusTooManyRequests:
		code = codeRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		code = codeUnavailable
	}
	return apiError(status, code, http.StatusText(status))
}

// Create is Manager.Create over HTTP.
// utf8Only refuses text that JSON would silently change: encoding/json
// replaces invalid UTF-8 with U+FFFD, so the server would store (or
// accept as a value) something the caller never gave; the Manager refuses
// it as ErrInvalid.
func utf8Only(op string, texts ...string) error {
	for _, s := range texts {
		if !utf8.ValidString(s) {
			return errcode.New(errcode.Invalid, op, "a value or description is not valid UTF-8")
		}
	}
	return nil
}

func (c *Client) Create(ctx context.Context, namespace string, spec secrets.Spec) (*secrets.Secret, error) {
	if err := utf8Only("httpapi.Client.Create", spec.Description, spec.Value.DangerouslyExpose()); err != nil {
		return nil, err
	}
	in := createBody{Name: spec.Name, Description: spec.Description, Labels: spec.Labels,
		Decrypters: spec.Decrypters, Value: spec.Value.DangerouslyExpose(), KeepVersions: spec.KeepVersions}
	var s secrets.Secret
	if _, err := c.do(ctx, http.MethodPost, "/v1/namespaces/"+url.PathEscape(namespace)+"/secrets", &in, 0, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Get is Manager.Get over HTTP.
func (c *Client) Get(ctx context.Context, namespace, name string) (*secrets.Secret, error) {
	var s secrets.Secret
	if _, err := c.do(ctx, http.MethodGet, secretPath(namespace, name), nil, 0, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// List is Manager.List over HTTP.
func (c *Client) List(ctx context.Context, namespace string, opts secrets.ListOptions) (*secrets.ListResult, error) {
	q := url.Values{}
	if opts.Selector != "" {
		q.Set("selector", opts.Selector)
	}
	if opts.PageSize != 0 {
		q.Set("pageSize", strconv.Itoa(opts.PageSize))
	}
	if opts.PageToken != "" {
		q.Set("pageToken", opts.PageToken)
	}
	path := "/v1/namespaces/" + url.PathEscape(namespace) + "/secrets"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var lr listResponse
	if _, err := c.do(ctx, http.MethodGet, path, nil, 0, &lr); err != nil {
		return nil, err
	}
	return &secrets.ListResult{Secrets: lr.Secrets, NextPageToken: lr.NextPageToken}, nil
}

// Update is Manager.Update over HTTP: s.Revision guards the write, and
// s.KeepVersions is sent as given (pass the Secret Get returned, changed).
func (c *Client) Update(ctx context.Context, namespace string, s *secrets.Secret) (*secrets.Secret, error) {
	if s == nil {
		return nil, errcode.New(errcode.Invalid, "httpapi.Client.Update", "secret is nil")
	}
	if err := utf8Only("httpapi.Client.Update", s.Description); err != nil {
		return nil, err
	}
	keep := s.KeepVersions
	in := updateBody{Description: s.Description, Labels: s.Labels, Decrypters: s.Decrypters, KeepVersions: &keep}
	var out secrets.Secret
	if s.Revision <= 0 {
		return nil, errcode.New(errcode.Invalid, "httpapi.Client.Update", "revision is required; pass the one Get returned")
	}
	if _, err := c.do(ctx, http.MethodPut, secretPath(namespace, s.Name), &in, s.Revision, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Reset is Manager.Reset over HTTP.
func (c *Client) Reset(ctx context.Context, namespace, name string, value secrets.Value, revision int64) (*secrets.Secret, error) {
	if err := utf8Only("httpapi.Client.Reset", value.DangerouslyExpose()); err != nil {
		return nil, err
	}
	var out secrets.Secret
	if _, err := c.do(ctx, http.MethodPost, secretPath(namespace, name)+"/reset", &resetBody{Value: value.DangerouslyExpose()}, revision, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke is Manager.Revoke over HTTP.
func (c *Client) Revoke(ctx context.Context, namespace, name string, revision int64) (*secrets.Secret, error) {
	var out secrets.Secret
	if _, err := c.do(ctx, http.MethodPost, secretPath(namespace, name)+"/revoke", nil, revision, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete is Manager.Delete over HTTP.
func (c *Client) Delete(ctx context.Context, namespace, name string, revision int64) error {
	_, err := c.do(ctx, http.MethodDelete, secretPath(namespace, name), nil, revision, nil)
	return err
}

// RevealValue is Manager.RevealValue over the decrypt route; the client's
// credentials must be a run token or a service identity. name may pin a
// kept version, "api-key@3" (see the name@N syntax); the server answers a
// malformed one as the Manager does (secrets.ErrInvalid for a caller that
// may decrypt).
func (c *Client) RevealValue(ctx context.Context, namespace, name string) (secrets.Value, error) {
	var out decryptBody
	if _, err := c.do(ctx, http.MethodGet, secretPath(namespace, name)+"/decrypt", nil, 0, &out); err != nil {
		return secrets.Value{}, err
	}
	return secrets.NewValue(out.Value), nil
}

// Versions is Manager.Versions over HTTP: the secret's history, newest
// first, metadata only.
func (c *Client) Versions(ctx context.Context, namespace, name string) ([]secrets.Version, error) {
	var out versionsResponse
	if _, err := c.do(ctx, http.MethodGet, secretPath(namespace, name)+"/versions", nil, 0, &out); err != nil {
		return nil, err
	}
	return out.Versions, nil
}

// Rollback is Manager.Rollback over HTTP: the kept value of version becomes
// current as a new version; revision 0 means the current one.
func (c *Client) Rollback(ctx context.Context, namespace, name string, version, revision int64) (*secrets.Secret, error) {
	return c.versionOp(ctx, namespace, name, "rollback", version, revision)
}

// Destroy is Manager.Destroy over HTTP: the kept value of version is
// removed for good; revision 0 means the current one.
func (c *Client) Destroy(ctx context.Context, namespace, name string, version, revision int64) (*secrets.Secret, error) {
	return c.versionOp(ctx, namespace, name, "destroy", version, revision)
}

func (c *Client) versionOp(ctx context.Context, namespace, name, op string, version, revision int64) (*secrets.Secret, error) {
	if version < 1 {
		return nil, errcode.New(errcode.Invalid, "httpapi.Client", "version must be 1 or more")
	}
	var out secrets.Secret
	// The revision travels as If-Match, as for Reset and Revoke.
	if _, err := c.do(ctx, http.MethodPost, secretPath(namespace, name)+"/"+op, &versionBody{Version: version}, revision, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
