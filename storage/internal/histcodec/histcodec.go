// Package histcodec is the text form in which the storage backends keep a
// secret's value history (driver.Metadata.History) in one column or
// document field. It is a hand-written format rather than JSON or nested
// documents because the history is read with every metadata read,
// Reveal's hot path included: decoding 101 entries must cost little more
// than reading the row.
//
// # Format
//
// The empty string is the empty history. Otherwise the history is "h1"
// followed by one record per entry, newest first:
//
//	';' version ',' createTime ',' flags ',' len(valueID) ':' valueID len(createdBy) ':' createdBy
//
// version and createTime (Unix microseconds, which may be negative: the
// zero time.Time is) are decimal int64s, flags is the decimal sum of 1
// (revoked) and 2 (destroyed), and the two strings are length-prefixed
// (decimal byte counts), so they may hold any byte. Numbers have no '+'
// and no leading zeros; Parse refuses anything Append would not write, so
// a stored history has one form.
package histcodec

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/storage/driver"
)

const (
	magic     = "h1"
	revoked   = 1
	destroyed = 2
)

// ErrMalformed is what Parse returns for text Append did not write.
var ErrMalformed = errors.New("malformed stored history")

// Append returns h in its text form ("" for none).
func Append(h []driver.HistoryEntry) string {
	if len(h) == 0 {
		return ""
	}
	n := len(magic)
	for _, e := range h {
		n += 48 + len(e.ValueID) + len(e.CreatedBy)
	}
	b := make([]byte, 0, n)
	b = append(b, magic...)
	for _, e := range h {
		b = append(b, ';')
		b = strconv.AppendInt(b, e.Version, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, e.CreateTime.UnixMicro(), 10)
		b = append(b, ',')
		f := 0
		if e.Revoked {
			f |= revoked
		}
		if e.Destroyed {
			f |= destroyed
		}
		b = strconv.AppendInt(b, int64(f), 10)
		b = append(b, ',')
		b = appendString(b, e.ValueID)
		b = appendString(b, e.CreatedBy)
	}
	return string(b)
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// Parse returns the history s holds (nil for ""), with times in UTC.
func Parse(s string) ([]driver.HistoryEntry, error) {
	if s == "" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(s, magic)
	if !ok || rest == "" {
		return nil, ErrMalformed
	}
	var h []driver.HistoryEntry
	if n := strings.Count(rest, ";"); n > 0 {
		h = make([]driver.HistoryEntry, 0, min(n, driver.MaxKeepVersions+1))
	}
	for rest != "" {
		if rest[0] != ';' {
			return nil, ErrMalformed
		}
		rest = rest[1:]
		var e driver.HistoryEntry
		var us, f int64
		var err error
		if e.Version, rest, err = parseInt(rest, ','); err != nil {
			return nil, err
		}
		if us, rest, err = parseInt(rest, ','); err != nil {
			return nil, err
		}
		if f, rest, err = parseInt(rest, ','); err != nil || f < 0 || f > revoked|destroyed {
			return nil, ErrMalformed
		}
		if e.ValueID, rest, err = parseString(rest); err != nil {
			return nil, err
		}
		if e.CreatedBy, rest, err = parseString(rest); err != nil {
			return nil, err
		}
		e.CreateTime = time.UnixMicro(us).UTC()
		e.Revoked, e.Destroyed = f&revoked != 0, f&destroyed != 0
		h = append(h, e)
	}
	return h, nil
}

// parseInt reads a decimal int64 in Append's form up to sep, and returns
// what follows sep.
func parseInt(s string, sep byte) (int64, string, error) {
	i := strings.IndexByte(s, sep)
	if i <= 0 {
		return 0, "", ErrMalformed
	}
	d := s[:i]
	if d[0] == '+' || (d[0] == '0' && len(d) > 1) || (d[0] == '-' && (len(d) == 1 || d[1] == '0')) {
		return 0, "", ErrMalformed
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, "", ErrMalformed
	}
	return n, s[i+1:], nil
}

// parseString reads a length-prefixed string.
func parseString(s string) (string, string, error) {
	n, rest, err := parseInt(s, ':')
	if err != nil || n < 0 || n > int64(len(rest)) {
		return "", "", ErrMalformed
	}
	return rest[:n], rest[n:], nil
}
