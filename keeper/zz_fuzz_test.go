package keeper_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
)

// FuzzRedactURL checks that RedactURL and a KEK's printed forms never show
// the parts of a key-encryption-key URL that can be secret: the key of a
// base64key:// URL, a password, query values, an opaque part.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"base64key://smGbjm71Nxd1Ig5FS0wj9SlbzAIrnolCz9bQQ6uAhl4=",
		"base64key://", "BASE64KEY://c2VjcmV0c2VjcmV0", "base64key:c2VjcmV0c2VjcmV0",
		"awskms://alias/key?region=us-east-1", "hashivault://mykey?token=s3cr3tt0ken",
		"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
		"https://user:passw0rd@vault.example/key", "azurekeyvault://v.vault.azure.net/keys/k",
		"%zz", "", "://", "base64key://a%2Fb%3D", "x://h/p#fragment-s3cret",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := keeper.RedactURL(raw)
		k := keeper.KEK{ID: "k", URL: raw}
		printed := []string{out, k.String(), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", k, k, k, k, k, k)}
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
			for _, p := range printed {
				if strings.Contains(p, s) && !strings.Contains(redactedParts(raw), s) {
					t.Fatalf("RedactURL(%q): %q shows the secret part %q", raw, p, s)
				}
			}
		}
	})
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
