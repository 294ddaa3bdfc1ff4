// Package service holds the parts of running strongbox as a service that
// are not HTTP wiring: the data directory a service keeps its keys and
// embedded database in, and the readiness check of its store and
// key-encryption keys. The strongbox binary (cmd/strongbox, "strongbox
// serve") is built on it; a Go program that embeds strongbox's HTTP API in
// a service of its own uses it the same way:
//
//	d, err := service.OpenDataDir(path, service.DataDirOptions{})
//	// ... check every other piece of configuration; then:
//	err = d.Save() // writes the keys OpenDataDir made for a fresh directory
//	kek, _ := d.LocalKEK()
//	env, err := keeper.OpenEnvelope(ctx, kek.URL, keeper.EnvelopeOptions{})
//	st, err := storage.OpenStore(ctx, d.StoreURL())
//	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: d.RunTokenKey()})
//
// # Format
//
// A data directory (DataDirVersion 1) holds:
//
//	FORMAT           "strongbox-data 1\n": the layout version
//	kek              "base64key://<key>\n": the local key-encryption key (absent
//	                 when the directory was made for cloud keys only)
//	runtoken.key     "ed25519 <key id> <base64url seed>\n": the run-token signing key
//	strongbox.db     the SQLite database (made by the store, not by this package)
//
// The directory is created with mode 0700 and every key file with mode
// 0600. FORMAT is written last, so a directory without it that is not
// empty was never completely made, or is not strongbox's: it is refused,
// never written into.
//
// # Rules
//
// OpenDataDir only reads. For a fresh directory (absent or empty) it makes
// the keys in memory, and Save writes them; for an existing one it reads
// them and Save writes nothing. So a caller can check all of its other
// configuration between the two and leave no file behind when that fails.
// Keys are made only for a fresh directory: an existing directory with a
// key file missing is refused (a new key would make every stored secret
// unreadable), as is one whose FORMAT names a newer version (it is
// refused, not rewritten), and one whose key file is readable or writable
// by group or others, is not a regular file, or cannot be read.
//
// # Errors
//
// Every error is one line that names the file and what to do about it,
// with code Invalid (bad layout, permissions, newer version) or
// FailedPrecondition (a missing key), and never contains key material.
// Readiness errors name the part that is not ready (the store, or a key-
// encryption key by its id) and the error code, never a URL.
//
// # Security
//
// The key files are the keys: whoever reads kek can decrypt every value
// stored under it, and whoever reads runtoken.key can mint run tokens. Keep
// the directory on a disk only the service's user reads, and back up kek
// apart from strongbox.db (a copy of both is a copy of every secret). The
// values of DataDir print only the directory's path.
package service
