package sqlstorage_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage"
)

// TestOpenErrorsHideCredentials opens store URLs that carry a registered
// test secret as password or parameter and fail in every way (malformed,
// unreachable, refused credentials, bad options); no error may show it.
func TestOpenErrorsHideCredentials(t *testing.T) {
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	pw := leakcheck.NewValue("pw")
	dir := t.TempDir()
	t.Chdir(dir) // "sqlite:%zz..." opens a relative path: keep it out of the source tree
	urls := []string{
		"postgres://u:" + pw + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgresql://u:" + pw + "@[::1/db",
		"postgres://u:" + pw + "@127.0.0.1:1/db?sslmode=bogus",
		"postgres://u@127.0.0.1:1/db?password=" + pw + "&sslmode=disable&connect_timeout=2",
		"postgres://u:" + pw + "@127.0.0.1:1/db?sslmode=disable&unknown_option=" + pw,
		"sqlite://u:" + pw + "@" + filepath.Join(dir, "x.db"),
		"sqlite://" + filepath.Join(dir, "x.db") + "?bogus=" + pw,
		"sqlite://" + filepath.Join(dir, "missing", "dir", "x.db") + "?busy_timeout=" + pw,
		"sqlite:%zz" + pw,
	}
	if os.Getenv("STRONGBOX_TEST_POSTGRES_URL") != "" {
		u, err := url.Parse(postgresURL(t))
		if err != nil {
			t.Fatal("STRONGBOX_TEST_POSTGRES_URL is not a URL")
		}
		u.User = url.UserPassword(u.User.Username(), pw) // the right server, a wrong password
		urls = append(urls, u.String())
	}
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := storage.OpenStore(ctx, u)
		if err == nil {
			s.Close()
		}
		leakcheck.CheckError("storage.OpenStore", err)
		s2, err := storage.OpenStore(ctx, u)
		if err == nil {
			s2.Close()
		}
		leakcheck.CheckError("sqlstorage.Open", err)
		cancel()
	}
}

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }
