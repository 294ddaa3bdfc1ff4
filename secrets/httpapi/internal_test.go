package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// TestLimiterWrapper: the limiter itself (buckets, eviction, client
// addresses) is internal/ratelimit's, tested there; here, that a zero
// RateLimit disables limiting and a nil limiter allows everything.
func TestLimiterWrapper(t *testing.T) {
	if newLimiter(nil, time.Now) != nil || newLimiter(&RateLimit{}, time.Now) != nil {
		t.Error("a zero rate limit should disable limiting")
	}
	var off *limiter
	if _, ok := off.allow("x"); !ok {
		t.Error("nil limiter refused")
	}
	if _, blocked := off.blocked("x"); blocked {
		t.Error("nil limiter blocked")
	}
}

func TestSafeInput(t *testing.T) {
	for _, in := range []string{"a\nb", "\x1b[31mred", "sv-0123456789abcdef pasted", "a b", strings.Repeat("x", 300)} {
		got := safeInput("name", in)
		want := "invalid name (len " + strconv.Itoa(len(in)) + ", hash "
		if strings.Contains(got, in) || strings.ContainsAny(got, "\n\x1b") || !strings.HasPrefix(got, want) {
			t.Errorf("safeInput(%q) = %q, want %q...", in, got, want)
		}
		if again := safeInput("name", in); again != got {
			t.Errorf("the same input got two descriptions: %q, %q", got, again)
		}
	}
	if got := safeInput("name", "api-key"); got != "api-key" {
		t.Errorf("a valid name changed: %q", got)
	}
	if safeInput("name", "a\nb") == safeInput("name", "a\rb") {
		t.Error("two bad inputs look the same")
	}
}

func TestNewServerTimeouts(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler())
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 || s.MaxHeaderBytes == 0 {
		t.Errorf("server without timeouts: %+v", s)
	}
}

func TestStatusError(t *testing.T) {
	for status, code := range map[int]string{400: codeInvalid, 401: codeUnauthenticated, 403: codePermissionDenied,
		404: codeNotFound, 409: codeConflict, 412: codeConflict, 413: codeTooLarge, 429: codeRateLimited,
		502: codeUnavailable, 503: codeUnavailable, 504: codeUnavailable, 500: codeInternal, 418: codeInternal} {
		if got := statusError(status).Code; got != code {
			t.Errorf("statusError(%d) = %s, want %s", status, got, code)
		}
	}
}

// TestPublicErrorDependsOnCodeOnly: two errors of one code answer the same
// body whatever their text, so the HTTP layer adds no difference between
// "missing" and "not allowed" once the Manager gives both one code (issue
// #11 item 9), and shows no backend text (item 7).
func TestPublicErrorDependsOnCodeOnly(t *testing.T) {
	st := &reqState{namespace: "team-a", name: "api-key"}
	for _, code := range []errcode.Code{errcode.NotFound, errcode.PermissionDenied, errcode.Conflict, errcode.AlreadyExists,
		errcode.FailedPrecondition, errcode.Unavailable, errcode.Internal, errcode.Invalid} {
		t.Run(code.String(), func(t *testing.T) {
			a := publicError(errcode.Wrap(code, "secrets.Reveal", errcode.New(code, "docstorage.GetMetadata", "document with key team-a:api-key does not exist")), st)
			b := publicError(errcode.Wrap(code, "secrets.Reveal", errcode.New(code, "", "k6-runner is not a decrypter of secret \"api-key\"")), st)
			if diff := cmp.Diff(a, b, cmp.AllowUnexported(Error{})); diff != "" {
				t.Errorf("(-a +b):\n%s", diff)
			}
			if strings.Contains(a.Message, "docstorage") || strings.Contains(a.Message, "decrypter of secret") {
				t.Errorf("message shows the error's text: %q", a.Message)
			}
		})
	}
}
