package source

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/leakcheck"
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
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, config, file, envValue string) {
		since := leakcheck.Count()
		defer leakcheck.Verify(t, since)
		tok := leakcheck.NewValue("tok")
		defer leakcheck.Forget(tok)
		config = strings.ReplaceAll(config, "=TOKEN", "="+tok)
		file = strings.ReplaceAll(file, `:"TOKEN"`, `:"`+tok+`"`)
		envValue = strings.ReplaceAll(envValue, "TOKEN", tok)
		env := func() []string {
			return []string{
				EnvURLPrefix + "URL_TEMPLATE=" + envValue,
				EnvURLPrefixK6 + "HEADERS_AUTHORIZATION=" + envValue,
				EnvURLPrefix + "TIMEOUT=" + envValue,
			}
		}
		readFile := func(string) ([]byte, error) { return []byte(file), nil }
		c, err := ParseURLConfig(config, env, readFile)
		leakcheck.CheckError("ParseURLConfig error", err)
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		// Header values are secrets and print redacted; the template,
		// method and response path are not secret and print as they are.
		c.URLTemplate, c.Method, c.ResponsePath = "", "", ""
		leakcheck.Check("printed URLConfig", fmt.Sprintf("%v %+v %#v", c, c, c))
	})
}
