package keeper_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
)

// FuzzRedactURL checks that RedactURL, every printed form of a KEK and of
// options holding it (fmt, JSON, text, slog's handlers) and the error of
// opening it never show the parts of a key-encryption-key URL that can be
// secret: the key of a base64key:// URL, a password, query values, an
// opaque part, raw or escaped.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=",
		"base64key://", "BASE64KEY://c2VjcmV0c2VjcmV0", "base64key:c2VjcmV0c2VjcmV0",
		"awskms://alias/key?region=us-east-1", "hashivault://mykey?token=s3cr3tt0ken",
		"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
		"https://user:passw0rd@vault.example/key", "azurekeyvault://v.vault.azure.net/keys/k",
		"%zz", "", "://", "base64key://a%2Fb%3D", "x://h/p#fragment-s3cret",
		"hashivault://k?token=s3cr3t-t0ken\n", "awskms://k?token=s3cr3t\"t0ken\x7f",
		"base64key:///smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=",
		"base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := keeper.RedactURL(raw)
		k := keeper.KEK{ID: "k", URL: raw}
		opts := keeper.EnvelopeOptions{KEKs: []keeper.KEK{k}}
		printed := []string{out, fmt.Sprint(k), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%d", k, k, k, k, k, k, k),
			fmt.Sprintf("%v|%+v|%#v", opts, opts, opts)}
		for _, v := range []any{k, &k, opts} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("json.Marshal(%T): %v", v, err)
			}
			var text []byte
			if m, ok := v.(encoding.TextMarshaler); ok {
				text, _ = m.MarshalText()
			}
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("m", "kek", v)
			slog.New(slog.NewTextHandler(&logged, nil)).Info("m", "kek", v)
			printed = append(printed, string(b), string(text), logged.String())
		}
		// Opening it fails (no such driver, or a malformed key) or
		// succeeds; an error must hide the secret parts like the rest.
		if e, err := keeper.OpenEnvelope(context.Background(), "", opts); err != nil {
			printed = append(printed, err.Error(), fmt.Sprintf("%+v", err))
		} else {
			e.Close()
		}
		var secret []string
		u, err := url.Parse(raw)
		if err != nil {
			// Unparsable: nothing of it may show.
			if len(raw) >= 4 {
				secret = append(secret, raw)
			}
		} else {
			if strings.EqualFold(u.Scheme, "base64key") {
				secret = append(secret, u.Host, u.Opaque, u.Path)
			}
			if p, ok := u.User.Password(); ok {
				secret = append(secret, p)
			}
			secret = append(secret, u.Opaque, u.RawQuery, u.Fragment)
			for _, vs := range u.Query() {
				secret = append(secret, vs...)
			}
		}
		for _, s := range secret {
			if len(s) < 4 || s == "[REDACTED]" || strings.Contains("[REDACTED]", s) {
				continue // too short to tell from the scheme or the redaction mark
			}
			// Printers may escape the secret (JSON, %q): look for those
			// forms too.
			js, _ := json.Marshal(s)
			forms := []string{s, strings.Trim(strconv.Quote(s), `"`), string(js[1 : len(js)-1]), url.QueryEscape(s), url.PathEscape(s)}
			for _, p := range printed {
				if containsAny(p, forms) && !containsAny(redactedParts(raw), forms) {
					t.Fatalf("RedactURL(%q): %q shows the secret part %q", raw, p, s)
				}
			}
		}
	})
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// redactedParts is what RedactURL may legitimately print of raw: its
// scheme, and for URLs that are not base64key, host and path.
func redactedParts(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if strings.EqualFold(u.Scheme, "base64key") {
		return u.Scheme + "://"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath() + " " + u.Path
}
