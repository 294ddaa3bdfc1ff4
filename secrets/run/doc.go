// Package run runs a command with the secrets of a strongbox server the way
// k6 expects them, and keeps them out of what the command prints and writes:
// the library behind "strongbox run -- k6 run script.js" and "strongbox
// scan".
//
// Run issues a run token scoped to the names (POST .../runtokens, with the
// caller's management token), fetches the values itself with that token
// (the decrypt route, as k6 will) and teaches them to a redact.Redactor,
// starts the command with the k6 secret source spec in its environment
// (K6_SECRET_SOURCE, httpapi.K6SpecRaw: a url source over the decrypt route's
// raw form, so a value of the full 24 KiB fits k6's response cap),
// passes the command's stdout and stderr through redact.Writers, forwards
// SIGINT and SIGTERM to it, and when it has exited revokes the token, scans
// the files under Options.ScanDirs with Redactor.Scan and returns the
// command's exit code. Any command can be run this way, not only k6.
//
//	res, err := run.Run(ctx, run.Options{
//		ServerURL: "https://secrets.example.com", Token: adminOrTestAuthorToken,
//		Namespace: "team-a", Names: []string{"api-key"},
//		Command:   []string{"k6", "run", "script.js"},
//		ScanDirs:  []string{"results"},
//	})
//	os.Exit(res.ExitCode)
//
// A name may pin a kept version of a secret's value, "api-key@3", for a
// script that reads secrets.get('api-key@3'): the run token is scoped to
// api-key, and version 3's value is the one fetched and redacted.
//
// Scan does the scanning alone (for CI): it fetches the named values in the
// same way and reports where they occur in the files given.
//
// # Exit codes
//
// Result.ExitCode is the command's exit status; a command ended by a signal
// gives 128+n, as shells report it (130 for SIGINT, 143 for SIGTERM); a
// command that cannot be started gives 127 (not found) or 126 (not
// executable), again as shells do, with the error.
//
// # Signals
//
// The command runs in its own process group, so a terminal's Ctrl-C reaches
// it once, forwarded by Run, rather than twice (k6 aborts at once on a second
// interrupt, skipping teardown and the summary). A consequence: a command
// that reads from a terminal on stdin is stopped by the terminal (SIGTTIN);
// give it its input through a pipe or file.
//
// # Security
//
// No value and no token is ever in an argument list: the spec (which holds
// the run token) travels in the command's environment, visible to its owner
// and root only, never to other users through ps. The run token is scoped to
// the names, lives Options.TTL at most, and is revoked when the command
// exits, also when Run fails after issuing it (fetching, starting); a
// revocation that fails is returned as an error naming the token's id, so
// the caller can revoke it by hand.
//
// The redactor knows every fetched value and the run token itself (k6
// prints request headers with --http-debug). A value the redactor refuses
// (shorter than 4 bytes, redact's default minimum) fails Run before the command
// starts: it could not be redacted. Whitespace-only values are not redacted
// (as in k6 and package source) and are passed on. Output is redacted as a
// stream, whatever the write boundaries (redact.Writer), so a value the
// command prints split across writes, JSON-escaped, URL-encoded or in
// base64 shows as the marker. What the command sends elsewhere (a network,
// files outside ScanDirs) is not seen.
//
// Leaks name the file, the byte offset, the secret's name and the variant
// it was found in, never the value.
//
// # Errors
//
// Errors are those of httpapi.Client (matching the secrets error codes
// with errors.Is; a server that cannot be reached is secrets.ErrUnavailable),
// of starting the command (exec.ErrNotFound, fs.ErrPermission), and of
// reading scanned files. None holds a value or a token.
package run
