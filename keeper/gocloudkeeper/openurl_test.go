package gocloudkeeper_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"gocloud.dev/secrets"
)

// TestOpenURLRefusesIgnoredParts is the issue #11 item 2 class in this
// package: a strongbox:// URL with parts the opener would silently ignore
// (a host, a path, user info, a fragment, a second aad that loses to the
// first) or a mistyped base64key KEK is refused, not opened as something
// other than what it says.
func TestOpenURLRefusesIgnoredParts(t *testing.T) {
	ctx := context.Background()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kek := url.QueryEscape(u)
	key := strings.TrimPrefix(u, "base64key://")
	for _, tc := range []struct{ name, url, reason string }{
		{"host", "strongbox://host?kek=" + kek, "host"},
		{"path", "strongbox:///p?kek=" + kek, "path"},
		{"opaque", "strongbox:p?kek=" + kek, "path"},
		{"user info", "strongbox://u@?kek=" + kek, "user info"},
		{"fragment", "strongbox://?kek=" + kek + "#f", "fragment"},
		{"two aad", "strongbox://?kek=" + kek + "&aad=a&aad=b", "aad"},
		{"empty base64key", "strongbox://?kek=" + url.QueryEscape("base64key://"), "no key"},
		{"base64key in the path", "strongbox://?kek=" + url.QueryEscape("base64key:///"+key), "third '/'"},
		{"opaque base64key", "strongbox://?kek=" + url.QueryEscape("base64key:"+key), "two slashes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sk, err := secrets.OpenKeeper(ctx, tc.url)
			if err == nil {
				sk.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q: want Invalid saying %q", err, tc.reason)
			}
			if strings.Contains(err.Error(), key[:12]) || strings.Contains(err.Error(), key[20:32]) {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
	// The forms that say nothing more than the parameters still open.
	for _, ok := range []string{"strongbox://?kek=" + kek, "strongbox:///?kek=" + kek + "&aad=x", "strongbox:?kek=" + kek} {
		sk, err := secrets.OpenKeeper(ctx, ok)
		if err != nil {
			t.Errorf("OpenKeeper(%v): %v", keeper.KEK{URL: ok}, err)
			continue
		}
		sk.Close()
	}
}
