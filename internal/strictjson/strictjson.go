// Package strictjson decodes JSON from outside the process the way a
// security boundary must: one reading per document, whatever the decoder.
//
// encoding/json is lenient where an attacker can use it. It matches member
// names case-insensitively and keeps the last of two duplicates, so
// {"decrypters":[],"DECRYPTERS":["evil"]} means something other than what a
// proxy, a log reader or another language's parser sees; it replaces invalid
// UTF-8 and lone surrogate escapes ("\ud800") with U+FFFD, so what was sent
// is not what is stored. Decode refuses all of that before encoding/json
// sees the document:
//
//   - the document is exactly one JSON value, with nothing but white space
//     after it, nested at most MaxDepth deep;
//   - strings are valid UTF-8 and every escape is valid: a \u escape of a
//     surrogate half must be a high half followed by a low half;
//   - no object holds two members whose names are equal or differ only in
//     case (under Unicode simple case folding, as encoding/json matches);
//   - an object decoded into a struct holds only members named exactly as
//     the struct's JSON field names; maps take any names (still without
//     duplicates), and json.RawMessage, json.Unmarshaler and interface
//     targets take any document.
//
// # Errors
//
// Every error is an *Error. Its message gives a byte offset, the reason, and
// at most a field name taken from the target's schema; it never quotes the
// document, which may hold a secret (a value pasted into the wrong member,
// for instance), so it is safe to return to the caller that sent it.
package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest.
const MaxDepth = 64

// Error is why a document was refused. It never holds the document's
// content.
type Error struct {
	// Offset is the byte offset in the document where the problem was found.
	Offset int
	// Reason says what is wrong, e.g. "duplicate member" or
	// `member "labels" must be an object`.
	Reason string
}

func (e *Error) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Decode checks data as the package doc describes, then decodes it into v
// (a non-nil pointer) with encoding/json.
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Reason: "decode target must be a non-nil pointer"}
	}
	p := parser{data: data}
	p.skipSpace()
	if p.pos == len(data) {
		return &Error{Offset: p.pos, Reason: "document is empty"}
	}
	if err := p.value(rv.Type().Elem(), 0); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(data) {
		return &Error{Offset: p.pos, Reason: "data after the JSON value"}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return convert(err)
	}
	return nil
}

// convert turns an encoding/json error that the checks above let through
// (a type mismatch, an out-of-range number) into an *Error that names at
// most a schema field.
func convert(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		reason := "a value has the wrong type"
		if field, _, _ := strings.Cut(te.Field, "."); field != "" {
			// The first path element is a struct field name: Decode has
			// checked that it matches the schema exactly, so it is not
			// the sender's text.
			reason = "member " + strconv.Quote(field) + " has the wrong type"
		}
		return &Error{Offset: int(te.Offset), Reason: reason}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Offset: int(se.Offset), Reason: "syntax error"}
	}
	// Errors of a target's own UnmarshalJSON may quote what they read.
	return &Error{Reason: "the document does not fit the target"}
}

type parser struct {
	data []byte
	pos  int
}

func (p *parser) errorf(reason string) error { return &Error{Offset: p.pos, Reason: reason} }

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// schemaFree reports whether values decoded into t may take any shape.
func schemaFree(t reflect.Type) bool {
	if t == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return true
	}
	return t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)
}

// value parses one JSON value at p.pos that will be decoded into t (nil:
// no schema).
func (p *parser) value(t reflect.Type, depth int) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if schemaFree(t) {
		t = nil
	}
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of document")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= MaxDepth {
			return p.errorf("nested deeper than " + strconv.Itoa(MaxDepth))
		}
		return p.object(t, depth+1)
	case c == '[':
		if depth >= MaxDepth {
			return p.errorf("nested deeper than " + strconv.Itoa(MaxDepth))
		}
		return p.array(t, depth+1)
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(p.data[p.pos:min(len(p.data), p.pos+5)]), lit) {
				p.pos += len(lit)
				return nil
			}
		}
		return p.errorf("syntax error")
	}
}

func (p *parser) object(t reflect.Type, depth int) error {
	var schema *schemaOf
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			schema = structSchema(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	p.pos++ // {
	seen := map[string]bool{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		start := p.pos
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.errorf("expected a member name")
		}
		name, err := p.str()
		if err != nil {
			return err
		}
		folded := fold(name)
		if seen[folded] {
			return &Error{Offset: start, Reason: "duplicate member (names equal or differing only in case)"}
		}
		seen[folded] = true
		memberType := elem
		if schema != nil {
			exact, ok := schema.exact[folded]
			switch {
			case !ok:
				return &Error{Offset: start, Reason: "unknown member"}
			case exact != name:
				return &Error{Offset: start, Reason: "member " + strconv.Quote(exact) + " is spelled in another case"}
			}
			memberType = schema.types[exact]
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.errorf("expected ':' after a member name")
		}
		p.pos++
		p.skipSpace()
		if err := p.value(memberType, depth); err != nil {
			return err
		}
		if end, err := p.separator('}', "an object"); end || err != nil {
			return err
		}
	}
}

func (p *parser) array(t reflect.Type, depth int) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if err := p.value(elem, depth); err != nil {
			return err
		}
		if end, err := p.separator(']', "an array"); end || err != nil {
			return err
		}
	}
}

// separator reads what follows a member or an element: ',' (more to come)
// or closing, which ends the object or array (end is true).
func (p *parser) separator(closing byte, in string) (end bool, err error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return false, p.errorf("unexpected end of document")
	}
	switch p.data[p.pos] {
	case ',':
		p.pos++
		return false, nil
	case closing:
		p.pos++
		return true, nil
	}
	return false, p.errorf("expected ',' or '" + string(closing) + "' in " + in)
}

// str parses a string at p.pos and returns its decoded text.
func (p *parser) str() (string, error) {
	p.pos++ // "
	var b strings.Builder
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", p.errorf("string is not valid UTF-8")
			}
			b.WriteRune(r)
			p.pos += size
		}
	}
	return "", p.errorf("unterminated string")
}

// escape parses one escape sequence at p.pos (at the backslash).
func (p *parser) escape() (rune, error) {
	if p.pos+1 >= len(p.data) {
		return 0, p.errorf("unterminated escape")
	}
	c := p.data[p.pos+1]
	if r, ok := simpleEscapes[c]; ok {
		p.pos += 2
		return r, nil
	}
	if c != 'u' {
		return 0, p.errorf("invalid escape")
	}
	r, ok := p.hex4(p.pos + 2)
	if !ok {
		return 0, p.errorf("invalid \\u escape")
	}
	switch {
	case utf16.IsSurrogate(r) && r < 0xdc00: // high half: a low half must follow
		lo, ok := rune(0), false
		if p.pos+11 < len(p.data) && p.data[p.pos+6] == '\\' && p.data[p.pos+7] == 'u' {
			lo, ok = p.hex4(p.pos + 8)
		}
		if !ok || lo < 0xdc00 || lo > 0xdfff {
			return 0, p.errorf("lone surrogate in a \\u escape")
		}
		p.pos += 12
		return utf16.DecodeRune(r, lo), nil
	case utf16.IsSurrogate(r):
		return 0, p.errorf("lone surrogate in a \\u escape")
	}
	p.pos += 6
	return r, nil
}

var simpleEscapes = map[byte]rune{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (p *parser) hex4(at int) (rune, bool) {
	if at+4 > len(p.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.data[at:at+4]), 16, 16)
	return rune(n), err == nil
}

func (p *parser) number() error {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && '0' <= p.data[p.pos] && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case digits() == 0:
		return &Error{Offset: start, Reason: "invalid number"}
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return &Error{Offset: start, Reason: "invalid number"}
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return &Error{Offset: start, Reason: "invalid number"}
		}
	}
	return nil
}

// fold maps a member name to one spelling per case-folding class, so that
// names encoding/json would match to one another map to the same string.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// schemaOf holds what object needs of a struct type.
type schemaOf struct {
	exact map[string]string       // folded JSON name -> exact JSON name
	types map[string]reflect.Type // exact JSON name -> field type
}

var schemaCache sync.Map // reflect.Type -> *schemaOf

func structSchema(t reflect.Type) *schemaOf {
	if s, ok := schemaCache.Load(t); ok {
		return s.(*schemaOf)
	}
	s := &schemaOf{exact: map[string]string{}, types: fieldTypes(t)}
	for name := range s.types {
		s.exact[fold(name)] = name
	}
	schemaCache.Store(t, s)
	return s
}

// fieldTypes maps the JSON name of each of t's fields (including those of
// embedded structs, as encoding/json promotes them) to its type.
func fieldTypes(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, typ := range fieldTypes(ft) {
					if _, ok := out[n]; !ok {
						out[n] = typ
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
