package leakcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/strongbox-go/strongbox/rbac"
)

// Auditor returns an auditor (secrets.Options.Auditor) that checks every event (its fmt and
// JSON forms) and passes it to next (nil: dropped).
func Auditor(next func(context.Context, rbac.AuditEvent)) func(context.Context, rbac.AuditEvent) {
	return func(ctx context.Context, e rbac.AuditEvent) {
		j, _ := json.Marshal(e)
		Check("audit event of "+e.Operation, fmt.Sprintf("%+v\n%s", e, j))
		if next != nil {
			next(ctx, e)
		}
	}
}

// Handler returns an slog.Handler that checks every record, rendered as
// text with its attributes and groups, and passes it to next (nil: dropped).
func Handler(next slog.Handler) slog.Handler {
	return &handler{next: next, attrs: nil}
}

type handler struct {
	next   slog.Handler
	attrs  []slog.Attr
	groups []string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	var th slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	th = th.WithAttrs(h.attrs)
	for _, g := range h.groups {
		th = th.WithGroup(g)
	}
	_ = th.Handle(ctx, r.Clone())
	Check("log record", buf.String())
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	if h.next != nil {
		c.next = h.next.WithAttrs(as)
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

// Writer returns an io.Writer that checks each write and passes it to
// next (nil: dropped). It suits line-oriented output such as a log.Logger's.
func Writer(where string, next io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		Check(where, string(p))
		if next == nil {
			return len(p), nil
		}
		return next.Write(p)
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Transport returns an http.RoundTripper that checks the headers and body
// of every response, except of requests for which expose returns true (a
// reveal endpoint, whose job is to return values; nil: none). next nil
// means http.DefaultTransport.
func Transport(next http.RoundTripper, expose func(*http.Request) bool) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		CheckError("HTTP client error", err)
		if err != nil || (expose != nil && expose(req)) {
			return resp, err
		}
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		where := fmt.Sprintf("HTTP response to %s %s", req.Method, req.URL.Path)
		Check(where, fmt.Sprintf("%d %v\n%s", resp.StatusCode, resp.Header, body))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
		}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Middleware returns an http.Handler that checks the headers and body of
// every response next writes, except for requests for which expose returns
// true (nil: none).
func Middleware(next http.Handler, expose func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if expose != nil && expose(r) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		Check(fmt.Sprintf("HTTP response to %s %s", r.Method, r.URL.Path), fmt.Sprintf("%v\n%s", w.Header(), rec.body.Bytes()))
	})
}

type recorder struct {
	http.ResponseWriter
	mu   sync.Mutex
	body bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.body.Write(p)
	r.mu.Unlock()
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var installOnce sync.Once

// Install makes slog's default logger (and through it the log package's)
// check every record before writing it as text to stderr. Main calls it.
func Install() {
	installOnce.Do(func() {
		slog.SetDefault(slog.New(Handler(slog.NewTextHandler(os.Stderr, nil))))
	})
}
