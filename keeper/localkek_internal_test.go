package keeper

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"gocloud.dev/secrets/localsecrets"
)

// FuzzParseLocalKEKURL checks parseLocalKEKURL against gocloud's own
// reading of a base64key URL: it accepts exactly the URLs from which
// localsecrets takes a key out of the host and ignores nothing (no path,
// query, fragment or user info), and then yields that same key; whatever
// it refuses, its error quotes nothing of the key part.
func FuzzParseLocalKEKURL(f *testing.F) {
	key := base64.URLEncoding.EncodeToString([]byte("fuzz seed key, 32 bytes long....."[:32]))
	for _, s := range []string{
		"base64key://" + key, "BASE64KEY://" + key, "base64key://", "base64key:", "base64key:" + key,
		"base64key:/" + key, "base64key:///" + key, "base64key://" + key[:43], "base64key://" + key + "=",
		"base64key://" + key + "/", "base64key://" + key + "?", "base64key://" + key + "#x",
		"base64key://u@" + key, "base64key://" + key + ":1", "base64key://" + key[:42] + "R=",
		"base64key://" + base64.StdEncoding.EncodeToString([]byte("\xfb\xff\xbf 32 bytes of key material ..."[:32])),
		"base64key://" + base64.URLEncoding.EncodeToString(make([]byte, 31)),
		"base64key://" + base64.URLEncoding.EncodeToString(make([]byte, 33)),
		"base64key://" + key[:43] + "%3D", "base64key://" + key + "\n", "base64key://[REDACTED]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parseLocalKEKURL(raw)
		want, gocloudReads := gocloudKey(raw)
		if err != nil {
			if gocloudReads {
				t.Fatalf("refused %q, which gocloud reads as a key with nothing ignored: %v", raw, err)
			}
			if got != ([localKeyLen]byte{}) {
				t.Fatal("a key returned with an error")
			}
			if isLocalURL(raw) {
				part := raw[len(localScheme):]
				if len(part) >= 12 && !strings.Contains(part, " ") && strings.Contains(err.Error(), part) {
					t.Fatalf("error %q quotes the key part of %q", err, raw)
				}
			}
			return
		}
		if !gocloudReads {
			t.Fatalf("accepted %q, which gocloud does not read as exactly a key", raw)
		}
		if got != want {
			t.Fatalf("%q: key differs from gocloud's", raw)
		}
	})
}

// gocloudKey returns the key localsecrets' URL opener takes from raw, and
// whether it takes one from the host while ignoring nothing else.
func gocloudKey(raw string) ([32]byte, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "base64key" || u.Host == "" || u.Opaque != "" || u.Path != "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		return [32]byte{}, false
	}
	k, err := localsecrets.Base64Key(u.Host)
	return k, err == nil
}
