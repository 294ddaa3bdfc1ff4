package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"strings"

	"github.com/strongbox-go/strongbox/secrets"
)

// maxFileBytes bounds every file a spec names (a secrets file, a url
// config file): 1,000 values at the value limit.
const maxFileBytes = 1000 * secrets.MaxValueBytes

// boundedReadFile returns a ReadFile over open that refuses a file whose
// Stat size is over limit without reading it, reads at most limit+1 bytes
// of any other (a file that grows after Stat, a FIFO, a device) and refuses
// it if there were more, and logs a warning when the file's mode lets the
// group or others read or write it. open follows symbolic links (os.Open
// does), so the mode checked is the target's. Errors are *fs.PathError
// naming the file and the cause, never its content.
func boundedReadFile(open func(string) (fs.File, error), limit int64, logger *slog.Logger) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		f, err := open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
		}
		size := fi.Size()
		if fi.Mode().IsRegular() && size > limit {
			return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("file has %d bytes; the limit is %d", size, limit)}
		}
		warnMode(logger, name, fi.Mode())
		buf := bytes.NewBuffer(make([]byte, 0, max(0, min(size, limit))+1))
		if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
			return nil, err
		}
		if int64(buf.Len()) > limit {
			return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("file has more than %d bytes; the limit is %d", limit, limit)}
		}
		return buf.Bytes(), nil
	}
}

// warnMode logs a warning when mode gives the group or others any access.
// Windows modes do not carry those bits.
func warnMode(logger *slog.Logger, name string, mode fs.FileMode) {
	if runtime.GOOS == "windows" || mode.Perm()&0o077 == 0 {
		return
	}
	logger.Warn("secrets file is readable or writable by group or others",
		slog.String("file", name), slog.String("mode", mode.Perm().String()))
}

// parseFile parses the key=value lines of a secrets file. Each line is cut
// at the first "="; a trailing "\r" is dropped; blank lines and lines whose
// first non-blank character is "#" are skipped. Keys and values are not
// trimmed otherwise (as in k6). Errors name the line by number and never
// contain its content.
func parseFile(data []byte) (map[string]secrets.Value, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("file has %d bytes; the limit is %d", len(data), maxFileBytes)
	}
	values := map[string]secrets.Value{}
	lineOf := map[string]int{}
	n := 0
	for len(data) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(string(line), "=")
		if !ok {
			return nil, fmt.Errorf("line %d needs key=value", n)
		}
		if err := checkSecretName(k); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if first, dup := lineOf[k]; dup {
			return nil, fmt.Errorf("line %d: key already set on line %d", n, first)
		}
		sv := secrets.NewValue(v)
		if err := secrets.ValidateValue(sv); err != nil {
			return nil, fmt.Errorf("line %d: %s", n, message(err))
		}
		values[k] = sv
		lineOf[k] = n
	}
	return values, nil
}

// fileName returns the file of a file config: "filename=<path>" (the rest
// of the config, "," and "=" included) or a bare path.
func fileName(config string) (string, error) {
	if name, ok := strings.CutPrefix(config, "filename="); ok {
		if name == "" {
			return "", errors.New("no file; want file=<path> or file=filename=<path>")
		}
		return name, nil
	} else if strings.Contains(config, "=") {
		k, _, _ := strings.Cut(config, "=")
		return "", fmt.Errorf("unknown option %s; want filename=<path> or a path", printable(k))
	}
	if config == "" {
		return "", errors.New("no file; want file=<path> or file=filename=<path>")
	}
	if strings.Contains(config, ",") {
		// k6 splits the config on "," and reads the last item: a second
		// item is a mistake either way (file=filename=a,b keeps "a,b").
		return "", errors.New(`a path with "," is ambiguous (k6 would read the last item); use file=filename=<path> for such a name`)
	}
	return config, nil
}

func newFile(_ context.Context, p Params) (Source, error) {
	name, err := fileName(p.Config)
	if err != nil {
		return nil, err
	}
	data, err := p.ReadFile(name)
	if err != nil {
		// The path error names the file and the cause, not its content.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("file %q: %w", name, pe.Err)
		}
		return nil, fmt.Errorf("file %q: cannot read it", name)
	}
	values, err := parseFile(data)
	if err != nil {
		return nil, fmt.Errorf("file %q: %w", name, err)
	}
	return &mapSource{kind: "file", values: values}, nil
}
