package storage

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

type fakeOpener struct{ got *url.URL }

func (f *fakeOpener) OpenStoreURL(_ context.Context, u *url.URL) (*Store, error) {
	f.got = u
	return nil, errors.New("fake")
}

func TestURLMux(t *testing.T) {
	var m urlMux
	f := &fakeOpener{}
	m.register("fake", f)
	m.register("fake+x", f)
	if diff := cmp.Diff([]string{"fake", "fake+x"}, m.schemes()); diff != "" {
		t.Errorf("Schemes (-want +got):\n%s", diff)
	}
	if _, err := m.openStore(context.Background(), "FAKE://host/path?q=1"); err == nil || err.Error() != "fake" {
		t.Errorf("OpenStore = %v, want the opener's error", err)
	}
	if f.got == nil || f.got.Host != "host" || f.got.Path != "/path" {
		t.Errorf("opener got %v", f.got)
	}
	tests := []struct{ url, want string }{
		{"other://x", `no store registered for URL scheme "other" (registered: fake, fake+x)`},
		{"relative/path", "no scheme"},
		{"postgres://user:hunter2@[bad", "malformed store URL"},
	}
	for _, tc := range tests {
		_, err := m.openStore(context.Background(), tc.url)
		if !errors.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenStore(%q) = %v, want errcode.Invalid mentioning %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenStore error repeats the password: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.openStore(ctx, "fake://x"); err != context.Canceled {
		t.Errorf("OpenStore with a canceled context = %v, want context.Canceled", err)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name   string
		scheme string
		opener URLOpener
	}{
		{"duplicate", "dup", &fakeOpener{}},
		{"upper-case", "Bad", &fakeOpener{}},
		{"empty", "", &fakeOpener{}},
		{"nil-opener", "nil", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m urlMux
			m.register("dup", &fakeOpener{})
			defer func() {
				if recover() == nil {
					t.Errorf("register(%q) did not panic", tc.scheme)
				}
			}()
			m.register(tc.scheme, tc.opener)
		})
	}
}

func TestMatchLabels(t *testing.T) {
	labels := map[string]string{"env": "prod", "team": ""}
	tests := []struct {
		want map[string]string
		ok   bool
	}{
		{nil, true},
		{map[string]string{"env": "prod"}, true},
		{map[string]string{"team": ""}, true},
		{map[string]string{"env": "dev"}, false},
		{map[string]string{"absent": ""}, false},
	}
	for _, tc := range tests {
		if got := matchLabels(labels, tc.want); got != tc.ok {
			t.Errorf("matchLabels(%v, %v) = %v, want %v", labels, tc.want, got, tc.ok)
		}
	}
}
