package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"strconv"
	"strings"
)

// Variant names a form in which a secret can appear in text. Variants are
// bit flags so that Options.Disable can switch several off at once.
type Variant uint16

// The variants a Redactor registers for every secret. Raw is always on.
const (
	// Raw is the secret exactly as added.
	Raw Variant = 1 << iota
	// Lines is each line of a multi-line secret on its own, trimmed of
	// surrounding white space, if it has at least minLine bytes (and at
	// least Options.MinLength) and a
	// letter or digit: lines such as "{" or "-----" of a JSON or PEM
	// secret would redact unrelated text everywhere.
	Lines
	// JSON is the secret escaped as the body of a JSON string, both as
	// encoding/json writes it (<, > and & as \u003c...) and as log/slog's
	// JSON handler writes it (those three unescaped), and as the body of a
	// Go quoted string (strconv.Quote: fmt's %q, slog's text handler).
	JSON
	// URLQuery is url.QueryEscape of the secret.
	URLQuery
	// URLPath is url.PathEscape of the secret, and the secret escaped as
	// the password of a URL (https://user:secret@host).
	URLPath
	// HTML is the secret escaped for HTML or XML text and attributes
	// (html.EscapeString, encoding/xml's EscapeText, and the &quot;/&#x27;
	// spelling).
	HTML
	// Base64Std is the part of the standard base64 encoding that depends
	// only on the secret, at each of the three byte alignments, so that
	// base64("user:"+secret) is caught. Padded and unpadded encodings share
	// that part, so both are caught.
	Base64Std
	// Base64URL is Base64Std with the URL-safe alphabet.
	Base64URL
)

// allVariants is every variant.
const allVariants = Raw | Lines | JSON | URLQuery | URLPath | HTML | Base64Std | Base64URL

var variantNames = []string{"raw", "line", "json", "url-query", "url-path", "html", "base64-std", "base64-url"}

// String returns a short lower-case name such as "base64-std"; for a set of
// several flags it joins the names with "|".
func (v Variant) String() string {
	var parts []string
	for i, name := range variantNames {
		if v&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// minLine is the shortest line of a multi-line secret registered alone.
const minLine = 4

func usefulLine(line string, minLen int) bool {
	if len(line) < max(minLine, minLen) {
		return false
	}
	for _, c := range []byte(line) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80 {
			return true
		}
	}
	return false
}

// minBase64Core is the shortest base64 core registered. Cores are about 4/3
// of the secret's length minus up to 2 characters; a shorter core would
// redact too much unrelated base64 (and ordinary words) to be useful, so
// secrets of 5 bytes or fewer get no base64 variants.
const minBase64Core = 6

// appendVariants calls add for every enabled variant of secret s. The same
// string may be passed more than once; the caller deduplicates. Lines
// shorter than minLen are skipped.
func appendVariants(s string, enabled Variant, minLen int, add func(p string, v Variant)) {
	add(s, Raw)
	if enabled&Lines != 0 && strings.ContainsAny(s, "\r\n") {
		for line := range strings.SplitSeq(s, "\n") {
			if line = strings.TrimSpace(line); usefulLine(line, minLen) {
				add(line, Lines)
			}
		}
	}
	if enabled&JSON != 0 {
		add(jsonEscape(s, true), JSON)
		add(jsonEscape(s, false), JSON)
		if q := strconv.Quote(s); len(q) >= 2 {
			add(q[1:len(q)-1], JSON)
		}
	}
	if enabled&URLQuery != 0 {
		add(url.QueryEscape(s), URLQuery)
	}
	if enabled&URLPath != 0 {
		add(url.PathEscape(s), URLPath)
		// The password of a URL's userinfo escapes yet another set.
		add(strings.TrimPrefix(url.UserPassword("", s).String(), ":"), URLPath)
	}
	if enabled&HTML != 0 {
		add(html.EscapeString(s), HTML)
		add(xmlEscape(s), HTML)
		add(htmlNamed.Replace(s), HTML)
	}
	if enabled&(Base64Std|Base64URL) != 0 {
		for a := range 3 {
			if enabled&Base64Std != 0 {
				if c := base64Core(base64.RawStdEncoding, s, a); len(c) >= minBase64Core {
					add(c, Base64Std)
				}
			}
			if enabled&Base64URL != 0 {
				if c := base64Core(base64.RawURLEncoding, s, a); len(c) >= minBase64Core {
					add(c, Base64URL)
				}
			}
		}
	}
}

var htmlNamed = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", `'`, "&#x27;")

// jsonEscape returns s as the body of a JSON string (without the quotes).
func jsonEscape(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}

// xmlEscape matches encoding/xml's EscapeText.
func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// base64Core returns the characters of the encoding of (a bytes, s, more
// bytes) whose six bits all come from s: the part that is the same whatever
// precedes and follows s. a is the number of bytes before s in its 3-byte
// group (0, 1 or 2). At most 4 bits of the first and of the last byte of s
// lie in characters outside the core.
func base64Core(enc *base64.Encoding, s string, a int) string {
	buf := make([]byte, a+len(s))
	copy(buf[a:], s)
	e := enc.EncodeToString(buf)
	lo := (8*a + 5) / 6
	hi := 8 * (a + len(s)) / 6
	if hi <= lo {
		return ""
	}
	return e[lo:hi]
}
