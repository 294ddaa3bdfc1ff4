package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/strictjson"
	"github.com/strongbox-go/strongbox/secrets"
)

// The url source's defaults, those of k6.
const (
	defaultMethod            = http.MethodGet
	defaultTimeout           = 30 * time.Second
	defaultRequestsPerMinute = 300
	defaultRequestsBurst     = 10
	defaultMaxRetries        = 3
	defaultRetryBackoff      = time.Second
	// maxBodyBytes caps a response body, whatever responsePath selects; a
	// longer body is an error, never a truncated secret.
	maxBodyBytes = secrets.MaxValueBytes
	// maxRetryDelay caps one wait between attempts (before jitter).
	maxRetryDelay = time.Minute
)

// The environment variable prefixes of the url source, e.g.
// STRONGBOX_SECRET_SOURCE_URL_URL_TEMPLATE. The k6 names are accepted too;
// where both are set, the STRONGBOX_ one wins.
const (
	envURLPrefix   = "STRONGBOX_SECRET_SOURCE_URL_"
	envURLPrefixK6 = "K6_SECRET_SOURCE_URL_"
)

// URLConfig configures a url source. The zero value of each field but
// URLTemplate means the k6 default.
type URLConfig struct {
	// URLTemplate is an absolute http or https URL containing {key}, which
	// is replaced by the escaped secret name: path-escaped before any "?",
	// query-escaped after it. Required.
	URLTemplate string
	// Method is the HTTP method; "" means GET.
	Method string
	// Headers are sent with every request, keyed by header name. Values are
	// secrets.Value so that printing a URLConfig never shows a token.
	Headers map[string]secrets.Value
	// ResponsePath is a dot path into a JSON body ("data.value"; a numeric
	// segment indexes an array) that must resolve to a string; "" means the
	// whole body is the value.
	ResponsePath string
	// Timeout bounds each attempt; 0 means 30s.
	Timeout time.Duration
	// RequestsPerMinuteLimit is the average rate of requests, retries
	// included; 0 means 300, negative means no limit.
	RequestsPerMinuteLimit int
	// RequestsBurst is how many requests may go at once; 0 means 10.
	RequestsBurst int
	// MaxRetries is how many times a network error, 5xx or 429 is retried;
	// 0 means 3, negative means never.
	MaxRetries int
	// RetryBackoff sets the wait before retry n, as in k6: RetryBackoff in
	// seconds to the power n, up to one minute, plus a random jitter of up
	// to one second (under one second: RetryBackoff each time, plus up to
	// itself); a longer Retry-After of a 429 or 503 wins. 0 means 1s.
	RetryBackoff time.Duration
}

// withDefaults fills the zero fields.
func (c URLConfig) withDefaults() URLConfig {
	if c.Method == "" {
		c.Method = defaultMethod
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.RequestsPerMinuteLimit == 0 {
		c.RequestsPerMinuteLimit = defaultRequestsPerMinute
	}
	if c.RequestsBurst == 0 {
		c.RequestsBurst = defaultRequestsBurst
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = defaultMaxRetries
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = defaultRetryBackoff
	}
	return c
}

// setOption sets one option by its inline name. Errors never contain value.
func (c *URLConfig) setOption(key, value string) error {
	if h, ok := strings.CutPrefix(key, "headers."); ok {
		return c.setHeader(h, value)
	}
	var err error
	switch key {
	case "urlTemplate":
		c.URLTemplate = value
	case "method":
		c.Method = value
	case "responsePath":
		c.ResponsePath = value
	case "timeout":
		c.Timeout, err = positiveDuration(value)
	case "retryBackoff":
		c.RetryBackoff, err = positiveDuration(value)
	case "requestsPerMinuteLimit":
		c.RequestsPerMinuteLimit, err = positiveInt(value)
	case "requestsBurst":
		c.RequestsBurst, err = positiveInt(value)
	case "maxRetries":
		var n int
		n, err = strconv.Atoi(value)
		switch {
		case err != nil || n < 0:
			err = errors.New("not a non-negative integer")
		case n == 0:
			c.MaxRetries = -1
		default:
			c.MaxRetries = n
		}
	default:
		return errors.New("unknown option")
	}
	return err
}

func (c *URLConfig) setHeader(name, value string) error {
	if !isToken(name) {
		return errors.New("header name is not a valid HTTP token")
	}
	if c.Headers == nil {
		c.Headers = map[string]secrets.Value{}
	}
	c.Headers[http.CanonicalHeaderKey(name)] = secrets.NewValue(value)
	return nil
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("not a positive Go duration such as 10s")
	}
	return d, nil
}

func positiveInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errors.New("not a positive integer")
	}
	return n, nil
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names
// and methods must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// envOptions maps the environment variable suffixes to inline option names.
var envOptions = map[string]string{
	"URL_TEMPLATE":              "urlTemplate",
	"METHOD":                    "method",
	"RESPONSE_PATH":             "responsePath",
	"TIMEOUT":                   "timeout",
	"REQUESTS_PER_MINUTE_LIMIT": "requestsPerMinuteLimit",
	"REQUESTS_BURST":            "requestsBurst",
	"MAX_RETRIES":               "maxRetries",
	"RETRY_BACKOFF":             "retryBackoff",
}

// applyEnv sets the options found in env under prefix. HEADER_<NAME> sets
// header NAME with "_" read as "-" (HEADER_X_API_KEY sets X-Api-Key).
// Unknown variables under the prefix are ignored, as k6 does.
func (c *URLConfig) applyEnv(env map[string]string, prefix string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		suffix := strings.TrimPrefix(k, prefix)
		var err error
		if h, ok := strings.CutPrefix(suffix, "HEADER_"); ok {
			err = c.setHeader(strings.ReplaceAll(h, "_", "-"), env[k])
		} else if opt, ok := envOptions[suffix]; ok {
			err = c.setOption(opt, env[k])
		} else {
			continue
		}
		if err != nil {
			return fmt.Errorf("environment variable %s: %v", printable(k), err)
		}
	}
	return nil
}

// urlConfigFile is the schema of a url config file. Scalars are kept raw:
// each takes a string or a number, as inline options are text.
type urlConfigFile struct {
	URLTemplate            json.RawMessage   `json:"urlTemplate"`
	Method                 json.RawMessage   `json:"method"`
	Headers                map[string]string `json:"headers"`
	ResponsePath           json.RawMessage   `json:"responsePath"`
	Timeout                json.RawMessage   `json:"timeout"`
	RequestsPerMinuteLimit json.RawMessage   `json:"requestsPerMinuteLimit"`
	RequestsBurst          json.RawMessage   `json:"requestsBurst"`
	MaxRetries             json.RawMessage   `json:"maxRetries"`
	RetryBackoff           json.RawMessage   `json:"retryBackoff"`
}

// applyJSON sets the options of a JSON config file: the inline names as
// members, durations as strings ("10s"), numbers as numbers, and "headers"
// as an object of strings. The file is decoded with strictjson: a
// duplicate member or one differing only in case (header names included),
// an unknown member, an invalid escape or invalid UTF-8, trailing data or
// nesting deeper than strictjson.MaxDepth is an error, which gives a byte
// offset and never the file's text.
func (c *URLConfig) applyJSON(data []byte) error {
	var f urlConfigFile
	if err := strictjson.Decode(data, &f); err != nil {
		return err
	}
	if f.Headers != nil {
		names := make([]string, 0, len(f.Headers))
		for n := range f.Headers {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := c.setHeader(n, f.Headers[n]); err != nil {
				return fmt.Errorf("field \"headers\": header %s: %v", printable(n), err)
			}
		}
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"urlTemplate", f.URLTemplate}, {"method", f.Method}, {"responsePath", f.ResponsePath},
		{"timeout", f.Timeout}, {"requestsPerMinuteLimit", f.RequestsPerMinuteLimit},
		{"requestsBurst", f.RequestsBurst}, {"maxRetries", f.MaxRetries}, {"retryBackoff", f.RetryBackoff},
	} {
		if m.raw == nil {
			continue
		}
		if err := c.applyJSONField(m.name, m.raw); err != nil {
			return fmt.Errorf("field %q: %v", m.name, err)
		}
	}
	return nil
}

// applyJSONField sets the option k (a schema name) from a string or a
// number.
func (c *URLConfig) applyJSONField(k string, raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return errors.New("not a string or number")
		}
		s = n.String()
	}
	return c.setOption(k, s)
}

// parseURLConfig builds the URLConfig of a url spec's config from its
// layers, lowest first: defaults (left zero, NewURLSource fills them), the
// K6_SECRET_SOURCE_URL_ environment, the STRONGBOX_SECRET_SOURCE_URL_
// environment, the config=<file.json> file and the inline options. Errors
// name the option, variable or field, never a value.
func parseURLConfig(config string, env map[string]string, readFile func(string) ([]byte, error)) (URLConfig, error) {
	var c URLConfig
	if err := c.applyEnv(env, envURLPrefixK6); err != nil {
		return c, err
	}
	if err := c.applyEnv(env, envURLPrefix); err != nil {
		return c, err
	}
	opts := splitOptions(config)
	file := ""
	for _, o := range opts {
		if !o.hasValue {
			return c, fmt.Errorf("config item %d needs key=value", o.pos)
		}
		if o.key == "config" {
			if file != "" {
				return c, fmt.Errorf("%v: config= is given twice", o)
			}
			if o.value == "" {
				return c, fmt.Errorf("%v: no file name", o)
			}
			file = o.value
		}
	}
	if file != "" {
		data, err := readFile(file)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return c, fmt.Errorf("config file %q: %w", file, pe.Err)
			}
			return c, fmt.Errorf("config file %q: cannot read it", file)
		}
		if err := c.applyJSON(data); err != nil {
			return c, fmt.Errorf("config file %q: %v", file, err)
		}
	}
	for _, o := range opts {
		if o.key == "config" {
			continue
		}
		if err := c.setOption(o.key, o.value); err != nil {
			return c, fmt.Errorf("%v: %v", o, err)
		}
	}
	return c, nil
}
