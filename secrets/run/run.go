package run

import (
	"context"
	"errors"
	"fmt"
	sbnames "github.com/strongbox-go/strongbox/internal/names"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// Options configures Run and Scan. ServerURL, Token and Namespace are
// required; Command too for Run.
type Options struct {
	// ServerURL is the strongbox server's base URL (absolute http or
	// https), as the command will reach it: it goes into the k6 spec.
	ServerURL string
	// Token is the management credential (an API token or an OIDC token)
	// that may issue run tokens in Namespace (rbac.ActionIssueRunToken).
	Token secrets.Value
	// HTTPClient sends the requests; nil means one with a 30s timeout.
	HTTPClient *http.Client
	// Namespace holds the secrets.
	Namespace string
	// Names are the secrets the run may read. Empty means every secret of
	// Namespace that lists Subject as a decrypter. A name may pin a kept
	// version, "api-key@3" (the name@N syntax), for a script that reads
	// secrets.get('api-key@3'): the run token covers api-key, and the value
	// of version 3 is the one fetched and redacted.
	Names []string
	// Subject is the run identity the secrets list as a decrypter; ""
	// means the server's default ("k6").
	Subject string
	// TTL bounds the run token's lifetime; 0 means the server's default.
	// The token is revoked when the command exits in any case.
	TTL time.Duration

	// Command is the program and its arguments; Command[0] is looked up in
	// PATH as exec.Command does.
	Command []string
	// Env is the command's environment without K6_SECRET_SOURCE (which Run
	// sets, replacing any); nil means os.Environ().
	Env []string
	// Dir is the command's working directory; "" means Run's.
	Dir string
	// Stdin, Stdout and Stderr are the command's; nil means os.Stdin,
	// os.Stdout and os.Stderr. Stdout and Stderr receive the redacted
	// output.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// ScanDirs are directories (or files) whose files are scanned for the
	// secrets after the command exits.
	ScanDirs []string
	// Signals are forwarded to the command while it runs; nil means
	// SIGINT and SIGTERM.
	Signals []os.Signal
}

// Result is what a run ended with.
type Result struct {
	// ExitCode is the command's exit status, or 128+n when signal n ended
	// it, or 126/127 when it could not be started.
	ExitCode int
	// Leaks are the occurrences of secrets in the files under ScanDirs.
	Leaks []Leak
	// TokenID is the id of the run token the run used (revoked).
	TokenID string
}

// Leak is an occurrence of a secret in a file: never its value.
type Leak struct {
	File    string         `json:"file"`
	Offset  int64          `json:"offset"`
	Name    string         `json:"name"`
	Variant redact.Variant `json:"-"`
	Form    string         `json:"variant"` // Variant.String()
}

// String is "file:offset: secret <name> (<variant>)".
func (l Leak) String() string {
	return fmt.Sprintf("%s:%d: secret %s (%s)", l.File, l.Offset, l.Name, l.Form)
}

// session is an issued run token and the values fetched with it.
type session struct {
	mgmt   *httpapi.Client
	opts   *Options
	token  *httpapi.Token
	red    *redact.Redactor
	names  map[int]string // redactor id -> secret name
	maxLen int
}

func open(ctx context.Context, opts *Options) (_ *session, err error) {
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	mgmt, err := httpapi.NewClient(opts.ServerURL, httpapi.ClientOptions{HTTPClient: hc, Token: opts.Token})
	if err != nil {
		return nil, err
	}
	if opts.Namespace == "" {
		return nil, errcode.New(errcode.Invalid, "run", "namespace is required")
	}
	names := slices.Clone(opts.Names)
	if len(names) == 0 {
		if names, err = decryptable(ctx, mgmt, opts); err != nil {
			return nil, err
		}
		if len(names) == 0 {
			subj := opts.Subject
			if subj == "" {
				subj = "k6"
			}
			return nil, errcode.New(errcode.NotFound, "run", "no secret of namespace "+opts.Namespace+" lists "+subj+" as a decrypter")
		}
	}
	scope, err := tokenNames(names)
	if err != nil {
		return nil, err
	}
	tok, err := mgmt.IssueRunToken(ctx, opts.Namespace, httpapi.RunTokenRequest{Names: scope, Subject: opts.Subject, TTL: opts.TTL})
	if err != nil {
		return nil, err
	}
	s := &session{mgmt: mgmt, opts: opts, token: tok, red: redact.New(redact.Options{MinLength: minSecretLen}), names: map[int]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.close())
		}
	}()
	if err := s.red.Add(tok.Secret.DangerouslyExpose()); err != nil {
		return nil, errcode.New(errcode.Internal, "run", "the run token cannot be redacted")
	}
	s.names[0] = "(the run token)"
	s.maxLen = tok.Secret.Len()
	runc, err := httpapi.NewClient(opts.ServerURL, httpapi.ClientOptions{HTTPClient: hc, Token: tok.Secret})
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		v, err := runc.RevealValue(ctx, opts.Namespace, name)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", name, err)
		}
		if strings.TrimSpace(v.DangerouslyExpose()) == "" {
			continue // a blank value is not redacted, as in k6 and package source
		}
		if err := s.red.Add(v.DangerouslyExpose()); err != nil {
			return nil, errcode.New(errcode.FailedPrecondition, "run", fmt.Sprintf(
				"secret %s is shorter than %d bytes: it could not be redacted from the output; reset it to a longer value", name, minSecretLen))
		}
		if id, ok := s.red.ID(v.DangerouslyExpose()); ok {
			if _, dup := s.names[id]; !dup {
				s.names[id] = name
			}
		}
		s.maxLen = max(s.maxLen, v.Len())
	}
	return s, nil
}

// decryptable lists the names of Namespace's secrets that list the subject.
func decryptable(ctx context.Context, c *httpapi.Client, opts *Options) ([]string, error) {
	subj := opts.Subject
	if subj == "" {
		subj = "k6"
	}
	var names []string
	lo := secrets.ListOptions{}
	for {
		page, err := c.List(ctx, opts.Namespace, lo)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Secrets {
			if slices.Contains(s.Decrypters, subj) && !s.Revoked {
				names = append(names, s.Name)
			}
		}
		if page.NextPageToken == "" {
			return names, nil
		}
		lo.PageToken = page.NextPageToken
	}
}

// close revokes the run token, with a context of its own: the run's may be
// cancelled already (Ctrl-C), and the token must still go.
func (s *session) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.mgmt.RevokeRunToken(ctx, s.opts.Namespace, s.token.ID); err != nil {
		return fmt.Errorf("run token %s was not revoked (revoke it with \"strongbox token revoke %s\"; it expires at %s): %w",
			s.token.ID, s.token.ID, s.token.ExpireTime.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// Run runs opts.Command as the package doc describes. The Result is
// returned whenever the command ran, also with an error (a revocation or a
// scan that failed).
func Run(ctx context.Context, opts Options) (*Result, error) {
	if len(opts.Command) == 0 {
		return nil, errcode.New(errcode.Invalid, "run", "no command given")
	}
	s, err := open(ctx, &opts)
	if err != nil {
		return nil, err
	}
	res := &Result{TokenID: s.token.ID}
	code, runErr := s.exec(ctx)
	res.ExitCode = code
	closeErr := s.close()
	if runErr != nil {
		return res, errors.Join(runErr, closeErr)
	}
	leaks, scanErr := s.scan(opts.ScanDirs)
	res.Leaks = leaks
	return res, errors.Join(closeErr, scanErr)
}

func (s *session) exec(ctx context.Context) (int, error) {
	o := s.opts
	cmd := exec.Command(o.Command[0], o.Command[1:]...)
	if cmd.Err != nil {
		return startCode(cmd.Err), fmt.Errorf("%s: %w", o.Command[0], cmd.Err)
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return len(kv) >= len(envK6SecretSource)+1 && kv[:len(envK6SecretSource)+1] == envK6SecretSource+"="
	})
	cmd.Env = append(env, envK6SecretSource+"="+httpapi.K6SpecRaw(o.ServerURL, o.Namespace, s.token.Secret.DangerouslyExpose()))
	cmd.Dir = o.Dir
	cmd.Stdin = o.Stdin
	if cmd.Stdin == nil {
		cmd.Stdin = os.Stdin
	}
	stdout, stderr := o.Stdout, o.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	outw, errw := redact.NewWriter(stdout, s.red), redact.NewWriter(stderr, s.red)
	cmd.Stdout, cmd.Stderr = outw, errw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Grandchildren that keep the pipes open must not hold the run.
	cmd.WaitDelay = 5 * time.Second

	sigs := o.Signals
	if sigs == nil {
		sigs = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, sigs...)
	defer signal.Stop(ch)

	if err := cmd.Start(); err != nil {
		return startCode(err), fmt.Errorf("%s: %w", o.Command[0], errors.Unwrap(err))
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				_ = cmd.Process.Signal(sig)
			case <-ctx.Done():
				// The caller gave up: end the command as Ctrl-C would.
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
				}
				return
			case <-done:
				return
			}
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	errs := []error{outw.Close(), errw.Close()}
	code := 0
	if st := cmd.ProcessState; st != nil {
		code = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) {
		errs = append(errs, waitErr)
	}
	return code, errors.Join(errs...)
}

func startCode(err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

// Scan fetches the values of opts.Names as Run does (issuing a run token
// and revoking it) and reports where they occur in the files at paths
// (directories are walked). opts.Command, Env and the stdio are unused.
func Scan(ctx context.Context, opts Options, paths ...string) ([]Leak, error) {
	s, err := open(ctx, &opts)
	if err != nil {
		return nil, err
	}
	leaks, scanErr := s.scan(paths)
	return leaks, errors.Join(scanErr, s.close())
}

// minSecretLen is the shortest secret the session's redactor registers
// (redact's default).
const minSecretLen = 4

// envK6SecretSource is the environment variable k6 reads its secret source
// from.
const envK6SecretSource = "K6_SECRET_SOURCE"

// tokenNames is the run token's scope for names: each name without its
// pinned version (a token covers a secret, whichever kept version is
// read), once.
func tokenNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, ref := range names {
		name := ref
		if strings.Contains(ref, "@") {
			n, _, err := sbnames.ParseRef(ref)
			if err != nil {
				return nil, errcode.New(errcode.Invalid, "run", "a name is neither NAME nor NAME@VERSION (VERSION a number of 1 or more without leading zeros)")
			}
			name = n
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
