package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
)

// FuzzParseURLConfig parses url source configs layered from inline options,
// a config file and the environment. Wherever an option's value is the
// placeholder (after "=" inline and in the environment, a JSON string
// value in the file), it becomes a registered test secret: errors must
// never show it, as ParseURLConfig's doc promises, nor may the printed
// config show a header value.
func FuzzParseURLConfig(f *testing.F) {
	for _, s := range [][3]string{
		{"urlTemplate=https://api.example.com/s/{key},headers.Authorization=TOKEN", "", "TOKEN"},
		{"config=c.json,timeout=5s", `{"urlTemplate":"https://x/{key}?t=TOKEN","headers":{"X-Key":"TOKEN"},"maxRetries":2}`, ""},
		{"headers.Bad Name=TOKEN", `{"headers":{"Bad Name":"TOKEN"}}`, "x"},
		{"timeout=TOKEN,retryBackoff=TOKEN,maxRetries=TOKEN,requestsBurst=TOKEN,requestsPerMinuteLimit=TOKEN", "", ""},
		{"config=c.json", `{"timeout":"TOKEN","method":TOKEN}`, ""},
		{"urlTemplate=TOKEN,method=TOKEN,responsePath=TOKEN", "", "TOKEN"},
		{"config=c.json", "{", ""}, {"", "", ""}, {"=", "[]", "="}, {"headers.=TOKEN", `{"headers":"TOKEN"}`, ""},
		// Strictness (issue #11 item 4): duplicates, case variants, unknown
		// members named like a value, invalid escapes, trailing data.
		{"config=c.json", `{"urlTemplate":"https://a/{key}","urlTemplate":"TOKEN"}`, ""},
		{"config=c.json", `{"urlTemplate":"https://a/{key}","URLTemplate":"TOKEN"}`, ""},
		{"config=c.json", `{"urlTemplate":"https://a/{key}","headers":{"A":"TOKEN","a":"TOKEN"}}`, ""},
		{"config=c.json", `{"urlTemplate":"https://a/{key}","TOKEN":"TOKEN"}`, ""},
		{"config=c.json", `{"urlTemplate":"https://a/{key}","headers":{"A":"TOKEN\ud800"}}`, ""},
		{"config=c.json", `{"urlTemplate":"https://a/{key}","headers":{"A":"TOKEN\ud83d\ude00"}}`, ""},
		{"config=c.json", `{"urlTemplate":"https://a/{key}"} {"TOKEN":"TOKEN"}`, ""},
		{"config=c.json", `{"maxRetries":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["TOKEN"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`, ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, config, file, envValue string) {
		since := leakcheck.Count()
		defer leakcheck.Verify(t, since)
		tok := leakcheck.NewValue("tok")
		defer leakcheck.Forget(tok)
		config = strings.ReplaceAll(config, "=TOKEN", "="+tok)
		file = strings.ReplaceAll(file, `"TOKEN`, `"`+tok)
		envValue = strings.ReplaceAll(envValue, "TOKEN", tok)
		env := func() []string {
			return []string{
				envURLPrefix + "URL_TEMPLATE=" + envValue,
				envURLPrefixK6 + "HEADERS_AUTHORIZATION=" + envValue,
				envURLPrefix + "TIMEOUT=" + envValue,
			}
		}
		readFile := func(string) ([]byte, error) { return []byte(file), nil }
		c, err := testParseURLConfig(config, env, readFile)
		leakcheck.CheckError("ParseURLConfig error", err)
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if strings.HasPrefix(config, "config=") && !strings.Contains(config, ",") {
			// Only the file was read: it must have been one strict
			// document, which encoding/json reads the same way (no
			// duplicate or case-variant member could have been
			// dropped), with members of the schema only.
			var members map[string]json.RawMessage
			if !utf8.Valid([]byte(file)) || json.Unmarshal([]byte(file), &members) != nil {
				t.Fatalf("accepted a config file that is not valid JSON or UTF-8")
			}
			known := map[string]bool{"urlTemplate": true, "method": true, "headers": true, "responsePath": true, "timeout": true,
				"requestsPerMinuteLimit": true, "requestsBurst": true, "maxRetries": true, "retryBackoff": true}
			for k := range members {
				if !known[k] {
					t.Fatalf("accepted a config file with an unknown member")
				}
			}
			if n := strings.Count(file, `"urlTemplate"`); n > 1 && !strings.Contains(file, `\`) {
				t.Fatalf("accepted a config file with urlTemplate %d times", n)
			}
			var hs struct{ Headers map[string]json.RawMessage }
			_ = json.Unmarshal([]byte(file), &hs)
			if len(c.Headers) < len(hs.Headers) {
				t.Fatalf("accepted a config file with %d headers that became %d (case duplicates)", len(hs.Headers), len(c.Headers))
			}
		}
		// Header values are secrets and print redacted; the template,
		// method and response path are not secret and print as they are.
		c.URLTemplate, c.Method, c.ResponsePath = "", "", ""
		leakcheck.Check("printed URLConfig", fmt.Sprintf("%v %+v %#v", c, c, c))
	})
}
