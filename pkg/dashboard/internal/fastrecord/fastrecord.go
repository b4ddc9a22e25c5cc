// Package fastrecord decodes the usual shape of a listed record in one
// pass, by a table of its fields: the json library decoded a 10,000-policy
// list at half the speed, and a first sync missed its time goal by that.
// It reads only what it can read exactly as the library would; anything
// else (escaped or case-folded names, duplicates, an unexpected type, a
// number that is not a plain integer where one is expected) makes it give
// up, and the caller decodes the record with the library, so the result is
// always the library's.
//
// The input must be one syntactically valid JSON value, as a
// jsontext.Decoder's ReadValue returns it: the scanner does not check the
// syntax again.
package fastrecord

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Table is the field table of a record type T: how to read each member the
// record models. Other members are skipped.
type Table[T any] struct {
	// byLen holds the fields by the length of their names: a name is
	// compared only with those as long (a map cost a tenth of a decode).
	byLen [64][]field[T]
}

type field[T any] struct {
	name string
	bit  uint64 // to find a duplicate name
	read func(*Scanner, *T) bool
}

// NewTable builds a table from each JSON member name, ASCII and shorter
// than 64 bytes, and its reader, which reports whether it could read the
// value. There are at most 64 names.
func NewTable[T any](fields map[string]func(*Scanner, *T) bool) *Table[T] {
	t := &Table[T]{}
	n := 0
	for name, read := range fields {
		if n == 64 || len(name) >= len(t.byLen) || !ascii([]byte(name)) {
			panic("fastrecord: more than 64 fields, or a name too long or not ASCII: " + name)
		}
		t.byLen[len(name)] = append(t.byLen[len(name)], field[T]{name, 1 << n, read})
		n++
	}
	return t
}

// lookup returns the field named name, or nil and whether the library
// could match name to a field case-insensitively: a non-ASCII name is
// counted as such, as it folds by Unicode rules (the Kelvin sign is a k).
func (t *Table[T]) lookup(name []byte) (*field[T], bool) {
	if len(name) >= len(t.byLen) {
		return nil, !ascii(name)
	}
	cands := t.byLen[len(name)]
	for i := range cands {
		if string(name) == cands[i].name {
			return &cands[i], false
		}
	}
	if !ascii(name) {
		return nil, true
	}
	for i := range cands {
		if bytes.EqualFold(name, []byte(cands[i].name)) {
			return nil, true
		}
	}
	return nil, false
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Scanner reads one syntactically valid JSON value. One scanner can read
// many values in turn, so as to be allocated once.
type Scanner struct {
	data []byte
	pos  int
}

// Decode reads data, a JSON object or null, into rec by the table and
// reports whether it could; if not, rec may be partly written.
func Decode[T any](s *Scanner, data []byte, t *Table[T], rec *T) bool {
	*s = Scanner{data: data}
	return Object(s, t, rec) && s.Kind() == 0
}

// Kind returns the first byte of the next value: '"', '{', '[', 't', 'f',
// 'n', '-' or a digit; 0 at the end.
func (s *Scanner) Kind() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// Null reads a null, which leaves a value as it was (the library's rule).
func (s *Scanner) Null() bool {
	if s.Kind() != 'n' {
		return false
	}
	s.pos += len("null")
	return true
}

// open reads the opening bracket c.
func (s *Scanner) open(c byte) bool {
	if s.Kind() != c {
		return false
	}
	s.pos++
	return true
}

// more reports whether another element or member follows before the
// closing bracket c, reading the comma or the bracket.
func (s *Scanner) more(c byte) bool {
	switch s.Kind() {
	case c:
		s.pos++
		return false
	case ',':
		s.pos++
	}
	return true
}

// name reads a member's name, unescaped, and its colon.
func (s *Scanner) name() ([]byte, bool) {
	name, ok := s.plain()
	s.Kind()
	s.pos++
	return name, ok
}

// plain reads a string that needs no unescaping and returns its contents.
func (s *Scanner) plain() ([]byte, bool) {
	if s.Kind() != '"' {
		return nil, false
	}
	body := s.data[s.pos+1:]
	end := bytes.IndexByte(body, '"')
	if end < 0 || bytes.IndexByte(body[:end], '\\') >= 0 {
		return nil, false
	}
	s.pos += end + 2
	return body[:end], true
}

// Object reads an object, or null, into rec by the table. A nil table
// reads nothing.
func Object[T any](s *Scanner, t *Table[T], rec *T) bool {
	if s.Null() {
		return true
	}
	if t == nil || !s.open('{') {
		return false
	}
	var seen uint64
	for s.more('}') {
		name, ok := s.name()
		if !ok {
			return false
		}
		switch f, fold := t.lookup(name); {
		case f != nil && seen&f.bit == 0:
			seen |= f.bit
			ok = f.read(s, rec)
		case f != nil || fold:
			return false // a duplicate, or maybe a field: the library's rules
		default:
			_, ok = s.Skip()
		}
		if !ok {
			return false
		}
	}
	return true
}

// Map reads an object of records, or null, into a map by the records' table.
func Map[T any](s *Scanner, t *Table[T], dst *map[string]T) bool {
	if s.Null() {
		return true
	}
	if !s.open('{') {
		return false
	}
	m := map[string]T{}
	*dst = m
	rec := new(T)
	for s.more('}') {
		key, ok := s.name()
		if _, dup := m[string(key)]; !ok || dup || s.Kind() != '{' {
			return false
		}
		*rec = *new(T)
		if !Object(s, t, rec) {
			return false
		}
		m[string(key)] = *rec
	}
	return true
}

// String reads a string, or null, into dst.
func (s *Scanner) String(dst *string) bool {
	if s.Null() {
		return true
	}
	if b, ok := s.plain(); ok {
		*dst = string(b)
		return utf8.Valid(b) // invalid UTF-8 is replaced by the library's rules
	}
	if s.Kind() != '"' {
		return false
	}
	raw, _ := s.Skip()
	b, err := jsontext.AppendUnquote(nil, raw)
	*dst = string(b)
	return err == nil
}

// Strings reads a list of strings, or null, into dst.
func (s *Scanner) Strings(dst *[]string) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	if !s.open('[') {
		return false
	}
	list := []string{}
	for s.more(']') {
		var v string
		if !s.String(&v) {
			return false
		}
		list = append(list, v)
	}
	*dst = list
	return true
}

// Bool reads a boolean, or null, into dst.
func (s *Scanner) Bool(dst *bool) bool {
	switch s.Kind() {
	case 't':
		s.pos += len("true")
		*dst = true
		return true
	case 'f':
		s.pos += len("false")
		*dst = false
		return true
	}
	return s.Null()
}

// Number reads a number, or null (nil), and returns its text.
func (s *Scanner) Number() ([]byte, bool) {
	if c := s.Kind(); c != '-' && (c < '0' || c > '9') {
		return nil, s.Null()
	}
	return s.Skip()
}

// Float reads a number, or null, into dst.
func (s *Scanner) Float(dst *float64) bool {
	num, ok := s.Number()
	if !ok || num == nil {
		return ok
	}
	f, err := strconv.ParseFloat(string(num), 64)
	*dst = f
	return err == nil
}

// Int reads an integer of up to 15 digits, which a float64 holds exactly
// as the library reads it, or null, into dst.
func (s *Scanner) Int(dst *int64) bool {
	num, ok := s.Number()
	if !ok || num == nil {
		return ok
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	*dst = n
	return err == nil && n < 1e15 && n > -1e15
}

// Skip reads past any value and returns its bytes.
func (s *Scanner) Skip() ([]byte, bool) {
	s.Kind()
	start, depth := s.pos, 0
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch c {
		case '"':
			if s.pos = s.stringEnd(); s.pos < 0 {
				return nil, false
			}
		case '{', '[':
			depth++
		case '}', ']', ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return s.data[start:s.pos], start < s.pos // a number or a literal ends
			}
			if c == '}' || c == ']' {
				depth--
			}
		}
		s.pos++
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			return s.data[start:s.pos], true
		}
	}
	return s.data[start:], depth == 0 && start < len(s.data)
}

// stringEnd returns the index of the quote that ends the string at s.pos,
// or -1.
func (s *Scanner) stringEnd() int {
	for end := s.pos + 1; ; end++ {
		q := bytes.IndexByte(s.data[end:], '"')
		if q < 0 {
			return -1
		}
		end += q
		// The quote is escaped when an odd run of backslashes precedes it.
		n := 0
		for i := end - 1; i > s.pos && s.data[i] == '\\'; i-- {
			n++
		}
		if n%2 == 0 {
			return end
		}
	}
}
