package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// DataDirVersion is the layout version of the data directories this
// package makes and reads; a directory with a higher one is refused.
const DataDirVersion = 1

// Names of the files of a data directory (see the package doc's # Format).
const (
	formatFile   = "FORMAT"
	kekFile      = "kek"
	runTokenFile = "runtoken.key"
	dbFile       = "strongbox.db"
	formatMagic  = "strongbox-data"
	maxKeyFile   = 4 << 10
)

// DataDirOptions configures OpenDataDir. The zero value makes and uses a
// local key-encryption key.
type DataDirOptions struct {
	// NoLocalKEK says the service's key-encryption keys are elsewhere (a
	// cloud KMS): a fresh directory gets no kek file. A kek file an
	// existing directory holds is still read, so that data written under
	// it stays readable.
	NoLocalKEK bool
}

// DataDir is a service's data directory: its format version, its local
// key-encryption key, its run-token signing key and its SQLite database.
// It prints only its path, under every fmt verb (and so in slog).
type DataDir struct {
	path     string
	fresh    bool
	kekURL   string // "" if none
	rtKey    *runtoken.Key
	rtLine   []byte // the runtoken.key file to write on Save, if fresh
	saved    bool
	kekWrite bool
}

// DefaultDataDir returns $XDG_DATA_HOME/strongbox, or
// ~/.local/share/strongbox when XDG_DATA_HOME is unset or not absolute (as
// the XDG base directory specification says).
func DefaultDataDir() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "strongbox"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errcode.New(errcode.FailedPrecondition, "", "no home directory to keep the data directory in: set --data-dir")
	}
	return filepath.Join(home, ".local", "share", "strongbox"), nil
}

func dirErr(code errcode.Code, format string, a ...any) error {
	return errcode.New(code, "", fmt.Sprintf(format, a...))
}

// OpenDataDir reads the data directory at path, or plans a fresh one if
// path does not exist or is an empty directory. It writes nothing: Save
// does. See the package doc's # Rules for what it refuses.
func OpenDataDir(path string, opts DataDirOptions) (*DataDir, error) {
	if path == "" {
		return nil, dirErr(errcode.Invalid, "no data directory given")
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, dirErr(errcode.Invalid, "data directory %s: %v", path, err)
	}
	d := &DataDir{path: path}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d.plan(opts)
	case err != nil:
		return nil, dirErr(errcode.Invalid, "data directory %s cannot be read (%s): fix its permissions or choose another with --data-dir", path, reason(err))
	case !fi.IsDir():
		return nil, dirErr(errcode.Invalid, "data directory %s is not a directory: choose another with --data-dir", path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, dirErr(errcode.Invalid, "data directory %s cannot be read (%s): fix its permissions or choose another with --data-dir", path, reason(err))
	}
	if len(entries) == 0 {
		return d.plan(opts)
	}
	if err := d.checkFormat(); err != nil {
		return nil, err
	}
	// An existing directory: read its keys, make none.
	if b, err := d.readKeyFile(kekFile); err == nil {
		u := strings.TrimSuffix(string(b), "\n")
		var env *keeper.Envelope
		if strings.HasPrefix(u, "base64key://") {
			env, err = keeper.OpenEnvelope(context.Background(), u, keeper.EnvelopeOptions{})
		}
		if env == nil || err != nil {
			return nil, dirErr(errcode.Invalid, "key file %s is not a base64key:// URL: restore it from a backup", d.file(kekFile))
		}
		env.Close()
		d.kekURL = u
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else if !opts.NoLocalKEK {
		return nil, dirErr(errcode.FailedPrecondition, "key file %s is missing: restore it from a backup, or pass the --kek the directory was made with (a new key could not read the stored secrets)", d.file(kekFile))
	}
	b, err := d.readKeyFile(runTokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, dirErr(errcode.FailedPrecondition, "key file %s is missing: restore it from a backup", d.file(runTokenFile))
	}
	if err != nil {
		return nil, err
	}
	if d.rtKey, err = parseRunTokenKey(b); err != nil {
		return nil, dirErr(errcode.Invalid, "key file %s is not a strongbox run-token key: restore it from a backup", d.file(runTokenFile))
	}
	return d, nil
}

// plan makes the keys of a fresh directory, in memory.
func (d *DataDir) plan(opts DataDirOptions) (*DataDir, error) {
	d.fresh = true
	if !opts.NoLocalKEK {
		u, err := keeper.NewThrowawayKEKURL()
		if err != nil {
			return nil, err
		}
		d.kekURL, d.kekWrite = u, true
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	line := []byte("ed25519 rt-" + hex.EncodeToString(id[:]) + " " + base64.RawURLEncoding.EncodeToString(seed) + "\n")
	k, err := parseRunTokenKey(line)
	if err != nil {
		return nil, err
	}
	d.rtKey, d.rtLine = k, line
	return d, nil
}

func (d *DataDir) file(name string) string { return filepath.Join(d.path, name) }

func (d *DataDir) checkFormat() error {
	b, err := os.ReadFile(d.file(formatFile))
	if errors.Is(err, fs.ErrNotExist) {
		return dirErr(errcode.Invalid, "data directory %s is not empty and has no %s file: it is not a strongbox data directory, or was never completely made; choose an empty or new one with --data-dir", d.path, formatFile)
	}
	if err != nil {
		return dirErr(errcode.Invalid, "file %s cannot be read (%s): fix its permissions", d.file(formatFile), reason(err))
	}
	magic, v, ok := strings.Cut(strings.TrimSuffix(string(b), "\n"), " ")
	n, err := strconv.Atoi(v)
	if !ok || magic != formatMagic || err != nil || n < 1 || len(b) > 64 {
		return dirErr(errcode.Invalid, "file %s is not a strongbox format file: restore it from a backup", d.file(formatFile))
	}
	if n > DataDirVersion {
		return dirErr(errcode.Invalid, "data directory %s has format version %d, newer than this strongbox reads (%d): run a newer strongbox; the directory was not changed", d.path, n, DataDirVersion)
	}
	return nil
}

// readKeyFile reads a key file after checking it is a regular file that
// only its owner may read or write.
func (d *DataDir) readKeyFile(name string) ([]byte, error) {
	p := d.file(name)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, dirErr(errcode.Invalid, "key file %s cannot be read (%s): fix its permissions", p, reason(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, dirErr(errcode.Invalid, "key file %s is not a regular file: replace it with the file itself", p)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, dirErr(errcode.Invalid, "key file %s is accessible by group or others (mode %04o): chmod 600 %s", p, perm, p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, dirErr(errcode.Invalid, "key file %s cannot be read (%s): fix its permissions (it must be readable by the service's user, mode 0600)", p, reason(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, dirErr(errcode.Invalid, "key file %s cannot be read (%s)", p, reason(err))
	}
	if len(b) > maxKeyFile {
		return nil, dirErr(errcode.Invalid, "key file %s is larger than a key file can be: restore it from a backup", p)
	}
	return b, nil
}

// parseRunTokenKey reads "ed25519 <id> <base64url seed>\n".
func parseRunTokenKey(b []byte) (*runtoken.Key, error) {
	fields := strings.Split(strings.TrimSuffix(string(b), "\n"), " ")
	if len(fields) != 3 || fields[0] != "ed25519" {
		return nil, errors.New("bad key file")
	}
	seed, err := base64.RawURLEncoding.Strict().DecodeString(fields[2])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("bad key file")
	}
	return runtoken.NewEd25519Key(fields[1], ed25519.NewKeyFromSeed(seed))
}

// reason is the part of a file error worth showing: its cause without the
// path, which the message names already.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Save writes what OpenDataDir made for a fresh directory: the directory
// (mode 0700), the key files and an empty database (mode 0600), and
// FORMAT last. For an existing
// directory, or a second time, it writes nothing. A file that appeared in
// the meantime is not overwritten: Save fails instead.
func (d *DataDir) Save() error {
	if !d.fresh || d.saved {
		return nil
	}
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return dirErr(errcode.Invalid, "data directory %s cannot be made (%s): choose another with --data-dir", d.path, reason(err))
	}
	if d.kekWrite {
		if err := writeNew(d.file(kekFile), []byte(d.kekURL+"\n")); err != nil {
			return err
		}
	}
	if err := writeNew(d.file(runTokenFile), d.rtLine); err != nil {
		return err
	}
	// An empty file is an empty SQLite database: made here, it has mode
	// 0600 like the keys, and SQLite gives its journal files the same.
	if err := writeNew(d.file(dbFile), nil); err != nil {
		return err
	}
	if err := writeNew(d.file(formatFile), []byte(formatMagic+" "+strconv.Itoa(DataDirVersion)+"\n")); err != nil {
		return err
	}
	d.saved = true
	return nil
}

// writeNew creates p with mode 0600, failing if it exists, and syncs it.
func writeNew(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return dirErr(errcode.Invalid, "file %s cannot be made (%s)", p, reason(err))
	}
	_, err = io.Copy(f, bytes.NewReader(b))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return dirErr(errcode.Invalid, "file %s cannot be written (%s)", p, reason(err))
	}
	return nil
}

// Path is the directory's absolute path.
func (d *DataDir) Path() string { return d.path }

// Fresh reports whether OpenDataDir found no data directory and planned a
// new one (the service's first start).
func (d *DataDir) Fresh() bool { return d.fresh }

// StoreURL is the sqlite:// URL of the directory's database, for
// storage.OpenStore with package sqlstorage linked in.
func (d *DataDir) StoreURL() string {
	return "sqlite://" + filepath.ToSlash(d.file(dbFile))
}

// LocalKEK returns the directory's local key-encryption key, and false if
// it has none (made with NoLocalKEK). The KEK's URL is the key: it prints
// redacted, but keep it out of anything else.
func (d *DataDir) LocalKEK() (keeper.KEK, bool) {
	if d.kekURL == "" {
		return keeper.KEK{}, false
	}
	return keeper.KEK{URL: d.kekURL}, true
}

// RunTokenKey returns the run-token signing key (Ed25519, so that its
// public half can be published).
func (d *DataDir) RunTokenKey() *runtoken.Key { return d.rtKey }

// String returns "service.DataDir{<path>}".
func (d DataDir) String() string { return "service.DataDir{" + d.path + "}" }

// Format prints String under every verb, so no key is ever printed.
func (d DataDir) Format(f fmt.State, _ rune) { io.WriteString(f, d.String()) }
