package run

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// scanChunk is how much of a file is scanned at a time (a variable for
// the tests).
var scanChunk = 4 << 20

// scan reports the leaks in the files at paths, walking directories.
// Symbolic links are not followed inside directories (a link could lead
// out of the tree, or loop); a path given directly is.
func (s *session) scan(paths []string) ([]Leak, error) {
	var leaks []Leak
	var errs []error
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("scan %s: %w", path, reason(err)))
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if path != root && !d.Type().IsRegular() {
				return nil
			}
			l, err := s.scanFile(path)
			leaks = append(leaks, l...)
			if err != nil {
				errs = append(errs, fmt.Errorf("scan %s: %w", path, reason(err)))
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return leaks, errors.Join(errs...)
}

func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// scanFile scans one file in chunks that overlap by more than the longest
// variant of any secret (8 times the longest secret: JSON's \u00XX and
// HTML's &#x27; spell a byte in 6), so every occurrence lies whole in the
// chunk that reports it: a chunk reports those starting before the next
// chunk does.
func (s *session) scanFile(path string) ([]Leak, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	overlap := 8*s.maxLen + 64
	buf := make([]byte, scanChunk+overlap)
	defer clear(buf)
	var leaks []Leak
	var base int64 // file offset of buf[0]
	n := 0         // bytes in buf
	for {
		m, err := io.ReadFull(f, buf[n:])
		n += m
		last := err != nil
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return leaks, err
		}
		report := n - overlap // this chunk reports occurrences starting before it
		if last {
			report = n
		}
		for _, l := range s.red.Scan(buf[:n]) {
			if l.Offset < report {
				leaks = append(leaks, Leak{File: path, Offset: base + int64(l.Offset), Name: s.names[l.SecretID], Variant: l.Variant, Form: l.Variant.String()})
			}
		}
		if last {
			break
		}
		copy(buf, buf[report:n])
		base += int64(report)
		n -= report
	}
	sort.SliceStable(leaks, func(i, j int) bool { return leaks[i].Offset < leaks[j].Offset })
	return leaks, nil
}
