package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"net/http"
	"strconv"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// The error codes of the API: the "code" member of every error body. They
// are stable; messages are not.
const (
	codeInvalid              = "invalid"                // 400
	codeUnauthenticated      = "unauthenticated"        // 401
	codePermissionDenied     = "permission_denied"      // 403
	codeNotFound             = "not_found"              // 404
	codeMethodNotAllowed     = "method_not_allowed"     // 405
	codeAlreadyExists        = "already_exists"         // 409
	codeConflict             = "conflict"               // 409
	codeFailedPrecondition   = "failed_precondition"    // 409
	codeRevoked              = "revoked"                // 409
	codeTooLarge             = "too_large"              // 413
	codeUnsupportedMediaType = "unsupported_media_type" // 415
	codeRateLimited          = "rate_limited"           // 429
	codeInternal             = "internal"               // 500
	codeUnavailable          = "unavailable"            // 503
	// codeUnknownKey: the secret's value is under a key-encryption key
	// this instance does not hold (keeper.ErrUnknownKEK), a matter of
	// configuration in a fleet, not damaged data.
	codeUnknownKey = "unknown_key" // 503
)

// ErrUnauthenticated matches every error an Authenticator returns for a
// request whose credentials are missing, malformed, expired or unknown; the
// handler answers 401. Errors that do not match it are answered by their
// code (503 for Unavailable, 500 otherwise), never 401. It has code
// PermissionDenied (secrets.ErrPermissionDenied).
var ErrUnauthenticated error = errcode.New(errcode.PermissionDenied, "", "unauthenticated")

// ErrNoCredentials is what an Authenticator returns for a request that
// carries no credentials it recognises. It matches ErrUnauthenticated; a
// chain of authenticators (Chain) tries the next one.
var ErrNoCredentials = fmt.Errorf("%w: no credentials", ErrUnauthenticated)

// Error is the JSON body of every error response:
//
//	{"error": {"code": "not_found", "message": "...", "status": 404}}
type Error struct {
	// Code is one of these stable strings (messages are not stable), by
	// status: invalid (400), unauthenticated (401), permission_denied
	// (403), not_found (404), method_not_allowed (405), already_exists,
	// conflict, failed_precondition and revoked (409), too_large (413),
	// unsupported_media_type (415), rate_limited (429), internal (500),
	// unavailable (503). Go clients test the codes with errors.Is and the
	// secrets sentinels (see Unwrap) rather than compare these strings.
	Code string `json:"code"`
	// Message is a human-readable detail: it names fields, limits and
	// secrets, never a value or a token.
	Message string `json:"message"`
	// Status repeats the HTTP status.
	Status int `json:"status"`

	retryAfter int // seconds, for 429 and 503; 0: 1
}

func (e *Error) Error() string {
	return "httpapi: " + strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Message
}

// Unwrap returns the secrets error code of e.Code, so that clients can test
// errors.Is(err, secrets.ErrNotFound) and secrets.ErrorCode(err) works.
// unauthenticated maps to PermissionDenied, rate_limited to Unavailable,
// too_large, unsupported_media_type and method_not_allowed to Invalid.
//
// A "revoked" error also matches secrets.ErrRevoked, and "unknown_key"
// keeper.ErrUnknownKEK, so a client sees the same errors.Is answers as a
// caller of the Manager.
func (e *Error) Unwrap() []error {
	switch e.Code {
	case codeRevoked:
		return []error{codeOfAPI(e.Code), secrets.ErrRevoked}
	case codeUnknownKey:
		return []error{codeOfAPI(e.Code), keeper.ErrUnknownKEK}
	}
	return []error{codeOfAPI(e.Code)}
}

type errorBody struct {
	Error *Error `json:"error"`
}

// apiError builds an *Error.
func apiError(status int, code, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: status}
}

// publicError maps any error to the response it gets. The message is chosen
// from the error's code and from safe context only: the secret name and
// namespace of the request (when they are valid names), the route, and the
// messages the secrets package writes for the limits it checks. It is never
// err.Error() of a store, key service or identity provider error, which can
// hold backend internals (document keys, table names, hosts); those go to
// the handler's Logger only.
func publicError(err error, st *reqState) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, runtoken.ErrInvalidToken) {
		return apiError(http.StatusUnauthorized, codeUnauthenticated, runTokenMessage(err))
	}
	if errors.Is(err, ErrUnauthenticated) {
		return apiError(http.StatusUnauthorized, codeUnauthenticated, "missing or invalid credentials")
	}
	if errors.Is(err, secrets.ErrRevoked) {
		return apiError(http.StatusConflict, codeRevoked, "the secret's value is revoked; reset it to give it a new value")
	}
	if errors.Is(err, keeper.ErrUnknownKEK) {
		return apiError(http.StatusServiceUnavailable, codeUnknownKey, "the secret's value is encrypted under a key-encryption key this instance does not hold; give the instance that key (the server log names its id) or retry through another instance")
	}
	secret := "the secret"
	if st.name != "" && names.Name("", st.name) == nil {
		secret = "secret " + strconv.Quote(st.name)
	}
	switch errcode.Of(err) {
	case errcode.NotFound:
		if st.version > 0 {
			return apiError(http.StatusNotFound, codeNotFound, "version "+strconv.FormatInt(st.version, 10)+" of "+secret+
				" does not exist in this namespace or is no longer kept (it fell out of the history, or was revoked or destroyed)")
		}
		if st.name == "" {
			return apiError(http.StatusNotFound, codeNotFound, "not found")
		}
		return apiError(http.StatusNotFound, codeNotFound, secret+" does not exist in this namespace")
	case errcode.AlreadyExists:
		return apiError(http.StatusConflict, codeAlreadyExists, secret+" already exists in this namespace")
	case errcode.Invalid:
		if msg, ok := validationMessage(err); ok {
			return apiError(http.StatusBadRequest, codeInvalid, msg)
		}
		if st.list {
			return apiError(http.StatusBadRequest, codeInvalid, "the selector, pageSize or pageToken is not valid")
		}
		return apiError(http.StatusBadRequest, codeInvalid, "the request is not valid")
	case errcode.Conflict:
		return apiError(http.StatusConflict, codeConflict, secret+" was changed by another write (stale revision); read it again and retry")
	case errcode.PermissionDenied:
		return apiError(http.StatusForbidden, codePermissionDenied, "permission denied: the caller lacks the role for this in this namespace, or is not a decrypter of the secret")
	case errcode.FailedPrecondition:
		if st.destroy {
			return apiError(http.StatusConflict, codeFailedPrecondition, "version "+strconv.FormatInt(st.version, 10)+
				" of "+secret+" is its current value, which destroy does not remove: revoke it instead (or the service is shutting down)")
		}
		return apiError(http.StatusConflict, codeFailedPrecondition, "the operation cannot be done now (for example, the service is shutting down)")
	case errcode.Unavailable:
		return apiError(http.StatusServiceUnavailable, codeUnavailable, "temporarily unavailable; retry later")
	}
	return apiError(http.StatusInternalServerError, codeInternal, "internal error")
}

// validationMessage returns the message of strongbox's own validation
// error in err's chain: an *errcode.Error of code Invalid with a message,
// from an operation of package secrets, apitoken or runtoken
// ("the name rules", "apitoken.Issue", ...). Those name a field and a limit and never a value.
// Invalid errors of other packages (a store refusing a page token, say)
// give false: their text is the backend's.
func validationMessage(err error) (string, bool) {
	var found string
	var walk func(error) bool
	walk = func(err error) bool {
		if err == nil {
			return false
		}
		if e, ok := err.(*errcode.Error); ok && e.Code == errcode.Invalid && e.Msg != "" && ownOp(e.Op) {
			found = e.Msg
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			return walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	if walk(err) {
		return found, true
	}
	return "", false
}

// ownOp reports whether op is an operation of strongbox's packages whose
// validation messages name fields and limits, never values or tokens.
func ownOp(op string) bool {
	for _, p := range []string{"secrets.", "apitoken.", "runtoken."} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// runTokenMessage says why a run token was refused, from runtoken.Reason
// (never the error's text): it helps the runner and
// reveals nothing the holder of the token does not know.
func runTokenMessage(err error) string {
	switch runtoken.Reason(err) {
	case "expired":
		return "the run token has expired"
	case "revoked":
		return "the run token is revoked"
	case "lifetime":
		return "the run token's lifetime exceeds the server's maximum"
	case "not_yet_valid":
		return "the run token is not valid yet (issued in the future)"
	case "unknown_key":
		return "the run token is signed with an unknown key"
	case "signature":
		return "the run token's signature does not verify"
	case "malformed":
		return "the run token is malformed"
	}
	return "invalid run token"
}

// codeOfAPI maps an API code back to a secrets error code, for clients.
func codeOfAPI(code string) errcode.Code {
	switch code {
	case codeInvalid, codeTooLarge, codeUnsupportedMediaType, codeMethodNotAllowed:
		return errcode.Invalid
	case codeUnauthenticated, codePermissionDenied:
		return errcode.PermissionDenied
	case codeNotFound:
		return errcode.NotFound
	case codeAlreadyExists:
		return errcode.AlreadyExists
	case codeConflict:
		return errcode.Conflict
	case codeFailedPrecondition, codeRevoked:
		return errcode.FailedPrecondition
	case codeRateLimited, codeUnavailable, codeUnknownKey:
		return errcode.Unavailable
	}
	return errcode.Internal
}

// writeError writes e as the JSON error body.
func writeError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	switch e.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="strongbox"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(max(1, e.retryAfter)))
	}
	writeJSON(w, e.Status, errorBody{Error: e})
}

// writeJSON writes v as the response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	// No HTML escaping: the body is JSON (nosniff), and escaping would
	// grow values toward the 24 KiB response cap of k6.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error","status":500}}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	clear(buf.Bytes()) // it may hold a value
}
