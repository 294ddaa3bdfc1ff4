package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/strongbox-go/strongbox/secrets"
)

// maxFileBytes bounds a secrets file: 1,000 values at the value limit.
const maxFileBytes = 1000 * secrets.MaxValueBytes

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
		config = name
	} else if strings.Contains(config, "=") {
		k, _, _ := strings.Cut(config, "=")
		return "", fmt.Errorf("unknown option %s; want filename=<path> or a path", printable(k))
	}
	if config == "" {
		return "", errors.New("no file; want file=<path> or file=filename=<path>")
	}
	return config, nil
}

func newFile(_ context.Context, p Params) (Source, error) {
	name, err := fileName(p.Spec.Config)
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
	return &MapSource{kind: "file", values: values}, nil
}
