// Package leakcheck catches test secrets that escape: tests register every
// secret value they make (NewValue, Register), collectors look at what the
// code under test emits (error strings, log lines, audit events, HTTP
// response bodies), and Main fails the package's test run if a registered
// value appeared in any of them. It enforces "no value in any output" on the
// whole suite rather than on hand-picked assertions.
//
// Wire it in a package's TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// Main routes slog's and the log package's default output through a
// checking handler; tests add the other collectors where they build the
// code under test: Auditor for rbac audit events, Handler for an
// slog.Handler, Writer for an io.Writer, Transport for an HTTP client,
// Middleware for an HTTP server, CheckError for returned errors, Verify at
// the end of a test to fail it (rather than the whole package run).
//
// Values from NewValue carry a marker and a random part, so a scan for them
// costs one substring search however many values are registered; values
// from Register are searched one by one (with their JSON, URL, base64 and
// hex forms), so keep that list short.
package leakcheck

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Marker starts the random part of every value NewValue makes. Nothing but
// a test secret contains it.
const Marker = "LKv9"

// randLen is the number of hex digits after Marker.
const randLen = 16

// MinLen is the shortest value Register accepts; shorter strings would match
// by accident.
const MinLen = 6

// Leak is one registered value seen where it must not be.
type Leak struct {
	// Where names the collector and context, e.g. "error of Create".
	Where string
	// Value identifies the leaked value without repeating it: its first
	// characters and length.
	Value string
	// Excerpt is the text around the leak, with the value replaced by
	// [LEAKED].
	Excerpt string
}

func (l Leak) String() string { return fmt.Sprintf("%s: %s in %q", l.Where, l.Value, l.Excerpt) }

var (
	mu        sync.Mutex
	generated = map[string]bool{} // Marker + random part
	others    []string            // registered values and their encodings
	leaks     []Leak
	seq       atomic.Int64
	nLeaks    atomic.Int64
	checked   atomic.Int64
)

// NewValue returns a fresh secret value, registered: hint (letters, digits,
// '-'), a dash, Marker and 16 random hex digits. It is valid UTF-8 text of
// at most len(hint)+21 bytes.
func NewValue(hint string) string {
	var b [randLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	r := Marker + hex.EncodeToString(b[:])
	mu.Lock()
	generated[r] = true
	mu.Unlock()
	seq.Add(1)
	if hint == "" {
		return r
	}
	return hint + "-" + r
}

// Forget unregisters values made by NewValue, for fuzz targets that make
// one per input and would otherwise grow the registry without bound. Call
// it after the value's last check.
func Forget(values ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, v := range values {
		if i := strings.Index(v, Marker); i >= 0 && len(v)-i >= len(Marker)+randLen {
			delete(generated, v[i:i+len(Marker)+randLen])
		}
	}
}

// Register adds secret values made elsewhere (a fixture file, a fuzz
// input). Values shorter than MinLen are ignored. Their JSON-escaped,
// URL-escaped, base64 and hex forms are registered too.
func Register(values ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		if strings.Contains(v, Marker) {
			if i := strings.Index(v, Marker); len(v)-i >= len(Marker)+randLen {
				generated[v[i:i+len(Marker)+randLen]] = true
				continue
			}
		}
		j, _ := json.Marshal(v)
		forms := []string{v, string(j[1 : len(j)-1]), url.QueryEscape(v), url.PathEscape(v),
			base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)),
			hex.EncodeToString([]byte(v))}
		for _, f := range forms {
			if !contains(others, f) {
				others = append(others, f)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Check looks for registered values in text and records each one found as
// a leak at where. It reports whether text was clean.
func Check(where, text string) bool {
	checked.Add(1)
	if text == "" {
		return true
	}
	var found []string
	mu.Lock()
	for rest := text; ; {
		i := strings.Index(rest, Marker)
		if i < 0 {
			break
		}
		if tok := rest[i:min(len(rest), i+len(Marker)+randLen)]; generated[tok] {
			found = append(found, tok)
		}
		rest = rest[i+len(Marker):]
	}
	for _, v := range others {
		if strings.Contains(text, v) {
			found = append(found, v)
		}
	}
	slices.Sort(found)
	found = slices.Compact(found)
	for _, v := range found {
		leaks = append(leaks, Leak{Where: where, Value: describe(v), Excerpt: excerpt(text, v)})
	}
	mu.Unlock()
	nLeaks.Add(int64(len(found)))
	return len(found) == 0
}

// CheckError checks err's message (nil is clean).
func CheckError(where string, err error) bool {
	if err == nil {
		return true
	}
	return Check(where, err.Error()+"\n"+fmt.Sprintf("%+v %#v", err, err))
}

// Checkf checks the fmt rendering of v under %v, %+v and %#v.
func Checkf(where string, v any) bool {
	return Check(where, fmt.Sprintf("%v\n%+v\n%#v", v, v, v))
}

func describe(v string) string {
	n := min(4, len(v))
	return fmt.Sprintf("value %q... (%d bytes)", v[:n], len(v))
}

func excerpt(text, v string) string {
	i := strings.Index(text, v)
	lo, hi := max(0, i-60), min(len(text), i+len(v)+60)
	return strings.ReplaceAll(text[lo:hi], v, "[LEAKED]")
}

// Leaks returns the leaks recorded so far.
func Leaks() []Leak {
	mu.Lock()
	defer mu.Unlock()
	return append([]Leak(nil), leaks...)
}

// Count returns how many leaks were recorded so far; compare two counts to
// see whether a stretch of a test leaked.
func Count() int { return int(nLeaks.Load()) }

// Stats returns how many values were generated and how many texts checked.
func Stats() (values, texts int64) { return seq.Load(), checked.Load() }

// Verify fails t with every leak recorded since count (from Count), so a
// test fails where it leaked: defer-style use is
//
//	n := leakcheck.Count()
//	t.Cleanup(func() { leakcheck.Verify(t, n) })
func Verify(t testing.TB, since int) {
	t.Helper()
	all := Leaks()
	if since > len(all) {
		since = len(all)
	}
	for _, l := range all[since:] {
		t.Errorf("leakcheck: secret leaked: %s", l)
	}
}

// Main runs the package's tests with the default slog and log output
// checked, then fails the run (exit status 1) if any registered value
// leaked anywhere a collector saw it, listing the leaks on stderr.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it returns the exit status, so that a
// TestMain can clean up after the tests (Main's os.Exit skips defers).
func Run(m *testing.M) int {
	Install()
	code := m.Run()
	if all := Leaks(); len(all) > 0 {
		fmt.Fprintf(os.Stderr, "leakcheck: %d test secret(s) leaked:\n", len(all))
		for _, l := range all {
			fmt.Fprintf(os.Stderr, "\t%s\n", l)
		}
		fmt.Fprintln(os.Stderr, "FAIL: leakcheck")
		if code == 0 {
			code = 1
		}
	}
	return code
}
