package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// Exit codes of every command but run (which exits with its command's).
const (
	exitOK          = 0
	exitFailure     = 1 // anything else
	exitUsage       = 2 // unknown flag, missing or extra argument, bad flag value
	exitNotFound    = 3
	exitDenied      = 4 // permission denied or not signed in
	exitConflict    = 5 // already exists, or changed meanwhile (revision)
	exitUnavailable = 6 // the server (or store, key service) cannot be reached
	exitLeak        = 7 // run --scan, scan: a secret was found in a file
)

const exitCodesHelp = `Exit codes:
  0  success
  1  any other failure
  2  usage: unknown flag, missing or extra argument, bad flag value
  3  not found
  4  permission denied, or not signed in (strongbox login)
  5  conflict: already exists, or changed since it was read (retry)
  6  unavailable: the server, store or key service cannot be reached (retry)
  7  a secret was found in a scanned file (run --scan, scan)
strongbox run exits with its command's code (128+n when signal n ended it).`

// addClientCommands registers the management, run and operator commands
// (issue #15) on the root command.
func addClientCommands(root *cobra.Command, getenv func(string) string) {
	g := &globals{getenv: getenv}
	root.PersistentFlags().StringVar(&g.server, "server", "", "server URL (default: from strongbox login) [$STRONGBOX_SERVER]")
	root.PersistentFlags().StringVarP(&g.namespace, "namespace", "n", "", "namespace (default: from strongbox login, else \"default\") [$STRONGBOX_NAMESPACE]")
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "config file of strongbox login (default $XDG_CONFIG_HOME/strongbox/config.json) [$STRONGBOX_CONFIG]")
	root.Long += "\n\n" + exitCodesHelp
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr(c, err.Error()) })
	root.AddCommand(newLoginCmd(g), newSecretCmd(g), newTokenCmd(g), newRunCmd(g), newScanCmd(g), newKeyCmd(g), newGCCmd(g))
	var document func(c *cobra.Command)
	document = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			long := sub.Long
			if long == "" {
				long = sub.Short + "."
			}
			sub.Long = strings.TrimSpace(long) + "\n\n" + exitCodesHelp
			document(sub)
		}
	}
	document(root)
}

// globals are the flags and settings every client command shares.
type globals struct {
	getenv                        func(string) string
	server, namespace, configPath string
}

// config is what strongbox login keeps, in a file of mode 0600.
type config struct {
	Server    string `json:"server"`
	Namespace string `json:"namespace,omitempty"`
	Token     string `json:"token"`
}

func (g *globals) path() (string, error) {
	if g.configPath != "" {
		return g.configPath, nil
	}
	if p := g.getenv("STRONGBOX_CONFIG"); p != "" {
		return p, nil
	}
	d := g.getenv("XDG_CONFIG_HOME")
	if d == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("no config directory: set --config or STRONGBOX_CONFIG")
		}
		d = filepath.Join(h, ".config")
	}
	return filepath.Join(d, "strongbox", "config.json"), nil
}

// load reads the login config; a missing file is an empty config.
func (g *globals) load() (config, error) {
	var c config
	p, err := g.path()
	if err != nil {
		return c, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %s", p, reasonOf(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		return c, fmt.Errorf("config %s has mode %v: it holds a token, so group and others must have no access (chmod 600 %s)", p, st.Mode().Perm(), p)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return c, fmt.Errorf("config %s: %s", p, reasonOf(err))
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("config %s is not strongbox login's JSON: run strongbox login again", p)
	}
	return c, nil
}

// settings resolves server, namespace and token: flags, then STRONGBOX_*
// variables, then the login config.
func (g *globals) settings() (server, namespace string, token secrets.Value, err error) {
	c, err := g.load()
	if err != nil {
		return "", "", secrets.Value{}, err
	}
	server = first(g.server, g.getenv("STRONGBOX_SERVER"), c.Server)
	namespace = first(g.namespace, g.getenv("STRONGBOX_NAMESPACE"), c.Namespace, "default")
	tok := first(g.getenv("STRONGBOX_TOKEN"), c.Token)
	if server == "" {
		return "", "", secrets.Value{}, denied("no server: run strongbox login URL (or set --server or STRONGBOX_SERVER)")
	}
	if tok == "" {
		return "", "", secrets.Value{}, denied("not signed in: run strongbox login " + server + " (or set STRONGBOX_TOKEN)")
	}
	return server, namespace, secrets.NewValue(tok), nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// client is the management client of the configured server.
func (g *globals) client() (*httpapi.Client, string, string, error) {
	server, ns, tok, err := g.settings()
	if err != nil {
		return nil, "", "", err
	}
	c, err := httpapi.NewClient(server, httpapi.ClientOptions{Token: tok, HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		return nil, "", "", usage(fmt.Sprintf("server %q is not an absolute http or https URL without user info or query", safeURL(server)))
	}
	return c, ns, server, nil
}

// safeURL is a URL fit for a message: scheme, host and path only.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not a URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// exitError carries an exit code and a message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usage(msg string) error  { return &exitError{exitUsage, msg} }
func denied(msg string) error { return &exitError{exitDenied, msg} }

// usageErr is a usage error of c: the reason and where to read the usage.
func usageErr(c *cobra.Command, reason string) error {
	return &exitError{exitUsage, reason + "\nUsage: " + c.UseLine() + "\nRun '" + c.CommandPath() + " --help' for more."}
}

// args wraps a cobra argument check so that its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, a []string) error {
		if err := check(c, a); err != nil {
			return usageErr(c, err.Error())
		}
		return nil
	}
}

// apiErr turns a client error into the command's: one line, an exit code,
// and for a server that cannot be reached its URL and what to do.
func apiErr(server string, err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return &exitError{exitFailure, "interrupted"}
	}
	msg := err.Error()
	switch errcode.Of(err) {
	case errcode.NotFound:
		return &exitError{exitNotFound, msg}
	case errcode.PermissionDenied:
		return &exitError{exitDenied, msg}
	case errcode.Conflict, errcode.AlreadyExists:
		return &exitError{exitConflict, msg}
	case errcode.Invalid:
		return &exitError{exitUsage, msg}
	case errcode.Unavailable:
		return &exitError{exitUnavailable, "cannot reach the strongbox server at " + safeURL(server) +
			": check that it runs and the URL is right, then retry"}
	}
	if errors.Is(err, httpapi.ErrUnauthenticated) || strings.Contains(msg, "unauthenticated") {
		return &exitError{exitDenied, msg + " (run strongbox login again)"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &exitError{exitUnavailable, "the strongbox server at " + safeURL(server) + " did not answer in time: retry"}
	}
	return err
}

// exitCode is the process's exit code for an error a command returned.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// cobra's own argument and command errors are usage errors.
	if m := err.Error(); strings.HasPrefix(m, "unknown command") || strings.HasPrefix(m, "unknown flag") ||
		strings.HasPrefix(m, "unknown shorthand flag") || strings.Contains(m, "arg(s)") || strings.HasPrefix(m, "invalid argument") {
		return exitUsage
	}
	switch errcode.Of(err) {
	case errcode.NotFound:
		return exitNotFound
	case errcode.PermissionDenied:
		return exitDenied
	case errcode.Conflict, errcode.AlreadyExists:
		return exitConflict
	case errcode.Unavailable:
		return exitUnavailable
	case errcode.Invalid:
		return exitUsage
	}
	return exitFailure
}

// isTerminal reports whether f is a terminal: a character device that
// answers the terminal ioctl (so /dev/null is not one).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && isTTY(file.Fd())
}

// readValue reads a secret value from --value-file or stdin, dropping one
// trailing newline (echo and most editors add it).
func readValue(c *cobra.Command, file string) (secrets.Value, error) {
	var r io.Reader = c.InOrStdin()
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return secrets.Value{}, usage("--value-file " + file + ": " + reasonOf(err))
		}
		defer f.Close()
		r = f
	} else if isTerminal(r) {
		fmt.Fprintln(c.ErrOrStderr(), "Enter the value, then Ctrl-D (it is echoed; prefer a pipe or --value-file):")
	}
	b, err := io.ReadAll(io.LimitReader(r, secrets.MaxValueBytes+3))
	defer clear(b)
	if err != nil {
		return secrets.Value{}, fmt.Errorf("reading the value: %s", reasonOf(err))
	}
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return secrets.Value{}, usage("the value is empty: pipe it on stdin or give --value-file")
	}
	return secrets.NewValue(s), nil
}

// refuseValueFlag makes --value a flag that only explains why it is refused.
func refuseValueFlag(c *cobra.Command) *string {
	v := c.Flags().String("value", "", "refused: see --value-file")
	_ = c.Flags().MarkHidden("value")
	return v
}

const valueInArgv = "a value on the command line is refused: ps shows every process's arguments to every user of this host, and shells keep them in their history; pipe it on stdin or use --value-file"

// readLine reads one line of stdin (for confirmations).
func readLine(r io.Reader) string {
	line, _ := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	return strings.TrimRight(line, "\r\n")
}

// usageLines keeps the reason on one line and the usage hint of a usage
// error on the lines after it.
func usageLines(msg string) string {
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = oneLine(lines[i])
	}
	return strings.Join(lines, "\n")
}
