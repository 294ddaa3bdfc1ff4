package source

import (
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/secrets"
)

// canary stands in for a secret value: errors must never contain it. It
// is not identifier-like, so nothing may print it as a name either.
const canary = "Q7#canary"

// withCanaryValues replaces the value of every "k=v" item of a spec's
// config (and every item without "=") with a numbered canary, but for the
// file paths of config= and filename=, which errors name.
func withCanaryValues(spec string) string {
	typ, config, ok := strings.Cut(spec, "=")
	if !ok {
		return spec
	}
	items := strings.Split(config, ",")
	for i, item := range items {
		if item == "default" {
			continue
		}
		if k, _, ok := strings.Cut(item, "="); ok {
			items[i] = k + "=" + canary + fmt.Sprint(i)
			if k == "config" || k == "filename" {
				items[i] = k + "=some/path" // paths are printed on purpose
			}
		} else {
			items[i] = canary + fmt.Sprint(i)
		}
	}
	return typ + "=" + strings.Join(items, ",")
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"", "mock", "mock=", "=", "=x", "mock=cool=something,else=source", "mock=name=first,cool=something",
		"mock=name=second,else=source,default", "file=file.secret", "file=filename=file.secret",
		"file=name=x,filename=p,default", "url=urlTemplate=https://api.example.com/secrets/{key},headers.Authorization=Bearer tok,responsePath=data.value,timeout=10s,maxRetries=5,retryBackoff=2s",
		"url=config=secrets-config.json,timeout=5s", "url", "mock=name=a,name=b", "mock=name", "mock=name=", "mock=name=default",
		"mo ck=a", "mock=,,,", "mock=default,default", "\xff=\xff", "mock=name=\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := testParseSpec(s)
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
		} else {
			if !isIdent(sp.Type) || sp.Name == "" || names.Name("", sp.Name) != nil {
				t.Fatalf("testParseSpec(%q) = %+v: bad type or name", s, sp)
			}
		}
		c := withCanaryValues(s)
		for _, specs := range [][]string{{c}, {c, c}, {"mock=default", c}} {
			if _, err := testParseSpecs(specs); err != nil && strings.Contains(err.Error(), "canary") {
				t.Fatalf("testParseSpecs(%q) error contains a value: %v", specs, err)
			}
		}
		if err == nil {
			// The source parsers see the config; their errors hide values too.
			csp, cerr := parseSpec(c)
			if cerr != nil {
				return
			}
			if out := fmt.Sprintf("%v %+v %#v %s", csp, csp, csp, csp); strings.Contains(out, "canary") {
				t.Fatalf("spec prints its config: %s", out)
			}
			checks := map[string]error{}
			_, checks["mock"] = parseMock(csp.Config)
			_, checks["store"] = parseStoreConfig(csp.Config)
			_, checks["url"] = parseURLConfig(csp.Config, nil, func(string) ([]byte, error) { return []byte(`{"timeout": "` + canary + `"}`), nil })
			_, checks["file"] = fileName(csp.Config)
			for typ, err := range checks {
				if err != nil && strings.Contains(err.Error(), "canary") {
					t.Fatalf("%s config %q: error contains a value: %v", typ, csp.Config, err)
				}
			}
		}
	})
}

// fileErr is the shape of every parseFile error: a line number and fixed
// text, nothing from the file.
var fileErr = regexp.MustCompile(`^(file has \d+ bytes; the limit is \d+|line \d+ needs key=value|line \d+: [a-zA-Z0-9 ;,.'=-]+)$`)

func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		"", "\n", "a=b", "a=b\n", "cool=something\nelse=source\n", "# comment\n\n a = b \r\n", "=x", "a=", "a=b\na=c",
		"novalue", "a=b\n\nnovalue\n", "a=\xff", "\r\n\r\n", "#=\n=#", "a=b=c", "a\x00=b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := parseFile(data)
		if err != nil {
			if !fileErr.MatchString(err.Error()) {
				t.Fatalf("error %q is not line number and fixed text", err)
			}
		} else {
			for line := range strings.SplitSeq(string(data), "\n") {
				line = strings.TrimSuffix(line, "\r")
				if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
					continue
				}
				k, v, _ := strings.Cut(line, "=")
				if got, ok := values[k]; !ok || got.DangerouslyExpose() != v {
					t.Fatalf("line with key %q did not parse to its value", k)
				}
			}
		}
		// The same file with canaries for contents.
		lines := strings.Split(string(data), "\n")
		for i, line := range lines {
			if k, _, ok := strings.Cut(line, "="); ok {
				lines[i] = k + "=" + canary
			} else if t := strings.TrimSpace(line); t != "" && t[0] != '#' {
				lines[i] = canary
			}
		}
		if _, err := parseFile([]byte(strings.Join(lines, "\n"))); err != nil && strings.Contains(err.Error(), "canary") {
			t.Fatalf("error contains the content of a line: %v", err)
		}
	})
}

func FuzzResponsePath(f *testing.F) {
	for _, s := range []struct{ body, path string }{
		{`{"data":{"value":"s"}}`, "data.value"},
		{`{"data":[{"v":"x"},{"v":"s"}]}`, "data.1.v"},
		{`{"data":[1]}`, "data.01"},
		{`{"data":[1]}`, "data.-1"},
		{`{"data":{"value":1}}`, "data.value"},
		{`{"data":null}`, "data.value"},
		{`"s"`, "a"},
		{`{"a":"s"} x`, "a"},
		{`not json`, "a"},
		{`{"a":"s"}`, "a..b"},
		{`{"a.b":"s"}`, "a.b"},
		{``, ""},
		{`{"a":"first","a":"second"}`, "a"},
		{`{"a":{"b":"x"},"a":{"b":"y"}}`, "a.b"},
		{`{"a":"\ud800"}`, "a"},
		{`{"a":"\udc00\ud800"}`, "a"},
		{`{"a":"\ud83d\ude00"}`, "a"},
		{`{"a":"\\ud800"}`, "a"},
		{`{"\u0061":"s"}`, "a"},
	} {
		f.Add(s.body, s.path)
	}
	f.Fuzz(func(t *testing.T, body, path string) {
		segs, err := parsePath(path)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "responsePath segment ") {
				t.Fatalf("parsePath error %q", err)
			}
			return
		}
		if segs == nil {
			return
		}
		got, err := extract([]byte(body), segs)
		if err == nil && strings.ContainsRune(got, utf8.RuneError) && !strings.ContainsRune(body, utf8.RuneError) && !strings.Contains(strings.ToLower(body), `\ufffd`) {
			t.Fatalf("extract returned U+FFFD, which the server never sent")
		}
		if err == nil && !strings.Contains(body, got) && !strings.Contains(body, `\`) {
			t.Fatalf("extract returned %q, which is not in the body", got)
		}
		if err != nil && len(body) >= 16 && strings.Contains(err.Error(), body) {
			t.Fatalf("error contains the body: %v", err)
		}
		// The canary sits next to whatever the fuzzer built.
		wrapped := `{"secret":"` + canary + `","doc":` + body + `}`
		for _, p := range [][]string{append([]string{"doc"}, segs...), append([]string{"secret"}, segs...)} {
			if _, err := extract([]byte(wrapped), p); err != nil && strings.Contains(err.Error(), "canary") {
				t.Fatalf("error contains a value of the body: %v", err)
			}
		}
	})
}
