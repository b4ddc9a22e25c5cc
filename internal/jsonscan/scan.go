// Package jsonscan is a strict, allocation-light JSON scanner for
// hand-written decoders of hot record types (listed policies and APIs,
// catalogue records). It handles the usual shape of a value in one pass;
// anything it does not handle exactly as encoding/json would (escaped or
// case-folded keys, duplicate fields, unexpected types, any syntax error)
// returns ErrFallback, and the caller then decodes the whole value with
// encoding/json, so results are always encoding/json's.
package jsonscan

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// ErrFallback means: leave this value to encoding/json.
var ErrFallback = errors.New("fall back to encoding/json")

// Scanner reads one JSON value from a byte slice.
type Scanner struct {
	data []byte
	pos  int
}

func (s *Scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// Peek returns the next byte after whitespace, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// Expect consumes the byte c, the next one after whitespace.
func (s *Scanner) Expect(c byte) error {
	if s.Peek() != c {
		return ErrFallback
	}
	s.pos++
	return nil
}

// Str reads a string and returns its value. Escapes and invalid UTF-8 are
// decoded by encoding/json (rare); the common string is a plain copy.
func (s *Scanner) Str() (string, error) {
	raw, plain, err := s.StrToken()
	if err != nil {
		return "", err
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return "", ErrFallback
	}
	return v, nil
}

// strPlain marks the bytes a string may hold as they are: printable ASCII
// but the quote and the backslash.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// StrToken reads a string token strictly, returning its bytes (quotes
// included) and whether it needs no unescaping.
func (s *Scanner) StrToken() ([]byte, bool, error) {
	if s.Peek() != '"' {
		return nil, false, ErrFallback
	}
	d := s.data
	start := s.pos
	i := s.pos + 1
	escaped, nonASCII := false, false
	for {
		for i < len(d) && strPlain[d[i]] {
			i++
		}
		if i >= len(d) {
			return nil, false, ErrFallback
		}
		c := d[i]
		switch {
		case c == '"':
			i++
			s.pos = i
			tok := d[start:i]
			plain := !escaped
			if plain && nonASCII && !utf8.Valid(tok[1:len(tok)-1]) {
				plain = false
			}
			return tok, plain, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return nil, false, ErrFallback
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return nil, false, ErrFallback
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						return nil, false, ErrFallback
					}
				}
				i += 6
			default:
				return nil, false, ErrFallback
			}
		case c < 0x20:
			return nil, false, ErrFallback
		default: // a byte of a multi-byte character, checked at the end
			nonASCII = true
			i++
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// Skip reads any value strictly and returns its bytes.
func (s *Scanner) Skip() ([]byte, error) {
	c := s.Peek()
	start := s.pos
	switch {
	case c == '"':
		if _, _, err := s.StrToken(); err != nil {
			return nil, err
		}
	case c == '{':
		s.pos++
		if s.Peek() == '}' {
			s.pos++
			break
		}
		for {
			if _, _, err := s.StrToken(); err != nil {
				return nil, err
			}
			if err := s.Expect(':'); err != nil {
				return nil, err
			}
			if _, err := s.Skip(); err != nil {
				return nil, err
			}
			if s.Peek() == ',' {
				s.pos++
				continue
			}
			if err := s.Expect('}'); err != nil {
				return nil, err
			}
			break
		}
	case c == '[':
		s.pos++
		if s.Peek() == ']' {
			s.pos++
			break
		}
		for {
			if _, err := s.Skip(); err != nil {
				return nil, err
			}
			if s.Peek() == ',' {
				s.pos++
				continue
			}
			if err := s.Expect(']'); err != nil {
				return nil, err
			}
			break
		}
	case c == 't':
		return s.Literal("true")
	case c == 'f':
		return s.Literal("false")
	case c == 'n':
		return s.Literal("null")
	case c == '-' || IsDigit(c):
		if err := s.number(); err != nil {
			return nil, err
		}
	default:
		return nil, ErrFallback
	}
	return s.data[start:s.pos], nil
}

// Literal reads the literal word (true, false or null).
func (s *Scanner) Literal(word string) ([]byte, error) {
	if len(s.data)-s.pos < len(word) {
		return nil, ErrFallback
	}
	for i := 0; i < len(word); i++ {
		if s.data[s.pos+i] != word[i] {
			return nil, ErrFallback
		}
	}
	start := s.pos
	s.pos += len(word)
	return s.data[start:s.pos], nil
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *Scanner) number() error {
	d := s.data
	if s.pos < len(d) && d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case s.pos < len(d) && d[s.pos] >= '1' && d[s.pos] <= '9':
		for s.pos < len(d) && IsDigit(d[s.pos]) {
			s.pos++
		}
	default:
		return ErrFallback
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if s.pos >= len(d) || !IsDigit(d[s.pos]) {
			return ErrFallback
		}
		for s.pos < len(d) && IsDigit(d[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if s.pos >= len(d) || !IsDigit(d[s.pos]) {
			return ErrFallback
		}
		for s.pos < len(d) && IsDigit(d[s.pos]) {
			s.pos++
		}
	}
	return nil
}

// Names is the set of keys a decoder handles, grouped by length so that a
// key is compared only with the names as long as it (a linear search of
// twenty names for each of a policy's keys, known or not, was a tenth of
// its decode).
type Names struct {
	list  []string
	byLen [maxNameLen + 1][]int
}

const maxNameLen = 63

// NewNames returns the set of names, each lower-case ASCII as the json tags
// here are, at most 64: a name's index is its position.
func NewNames(names ...string) *Names {
	if len(names) > 64 {
		panic("jsonscan: more than 64 names")
	}
	n := &Names{list: names}
	for i, name := range names {
		for _, c := range []byte(name) {
			if c >= 0x80 || 'A' <= c && c <= 'Z' || len(name) > maxNameLen {
				panic("jsonscan: name " + name + " is not short lower-case ASCII")
			}
		}
		n.byLen[len(name)] = append(n.byLen[len(name)], i)
	}
	return n
}

// index returns the position of key among the names, or -1, and whether
// encoding/json could match key to a name case-insensitively. Any
// non-ASCII key counts as such: its Unicode folding (the Kelvin sign folds
// to k) is left to encoding/json.
func (n *Names) index(key []byte) (int, bool) {
	var cands []int
	if len(key) <= maxNameLen {
		cands = n.byLen[len(key)]
	}
	for _, j := range cands {
		if string(key) == n.list[j] {
			return j, false
		}
	}
	for _, c := range key {
		if c >= 0x80 {
			return -1, true
		}
	}
next:
	for _, j := range cands {
		name := n.list[j]
		for i := range len(key) {
			c := key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != name[i] {
				continue next
			}
		}
		return -1, true
	}
	return -1, false
}

// Fields walks an object's members: handle is called with the index of each
// known key among names, after its colon, and must read the value; the
// value of an unknown key is skipped. A key that encoding/json would match
// case-insensitively, an escaped key or a repeated known key falls back.
func (s *Scanner) Fields(names *Names, handle func(i int) error) error {
	if err := s.Expect('{'); err != nil {
		return err
	}
	if s.Peek() == '}' {
		s.pos++
		return nil
	}
	var seen uint64
	for {
		raw, plain, err := s.StrToken()
		if err != nil || !plain {
			return ErrFallback
		}
		key := raw[1 : len(raw)-1]
		if err := s.Expect(':'); err != nil {
			return err
		}
		i, folds := names.index(key)
		switch {
		case i >= 0:
			if seen&(1<<i) != 0 {
				return ErrFallback
			}
			seen |= 1 << i
			if err := handle(i); err != nil {
				return err
			}
		case folds:
			return ErrFallback
		default:
			if _, err := s.Skip(); err != nil {
				return err
			}
		}
		if s.Peek() == ',' {
			s.pos++
			continue
		}
		return s.Expect('}')
	}
}

// PlainStr reads a plain string into dst, or hands the value to u when it
// is anything else (null, escapes, an object).
func (s *Scanner) PlainStr(dst *string, u json.Unmarshaler) error {
	if s.Peek() == '"' {
		pos := s.pos
		raw, plain, err := s.StrToken()
		if err != nil {
			return err
		}
		if plain {
			*dst = string(raw[1 : len(raw)-1])
			return nil
		}
		s.pos = pos
	}
	return s.Unmarshaler(u)
}

// OptString reads a string into dst; null leaves it.
func (s *Scanner) OptString(dst *string) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		return err
	}
	v, err := s.Str()
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// OptBool reads true or false into dst; null leaves it.
func (s *Scanner) OptBool(dst *bool) error {
	switch s.Peek() {
	case 't':
		_, err := s.Literal("true")
		*dst = true
		return err
	case 'f':
		_, err := s.Literal("false")
		*dst = false
		return err
	case 'n':
		_, err := s.Literal("null")
		return err
	}
	return ErrFallback
}

// Strings reads a list of strings; null gives nil, [] an empty list.
func (s *Scanner) Strings(dst *[]string) error {
	switch s.Peek() {
	case 'n':
		_, err := s.Literal("null")
		*dst = nil
		return err
	case '[':
	default:
		return ErrFallback
	}
	s.pos++
	out := []string{}
	if s.Peek() == ']' {
		s.pos++
		*dst = out
		return nil
	}
	for {
		v, err := s.Str()
		if err != nil {
			return err
		}
		out = append(out, v)
		if s.Peek() == ',' {
			s.pos++
			continue
		}
		if err := s.Expect(']'); err != nil {
			return err
		}
		*dst = out
		return nil
	}
}

// Unmarshaler hands a value's bytes to a field's own UnmarshalJSON, as
// encoding/json does.
func (s *Scanner) Unmarshaler(u json.Unmarshaler) error {
	raw, err := s.Skip()
	if err != nil {
		return err
	}
	if u.UnmarshalJSON(raw) != nil {
		return ErrFallback
	}
	return nil
}

// Raw copies any value's bytes, null included, as json.RawMessage does.
func (s *Scanner) Raw(dst *json.RawMessage) error {
	v, err := s.Skip()
	if err != nil {
		return err
	}
	*dst = append(json.RawMessage(nil), v...)
	return nil
}

// New returns a scanner over data.
func New(data []byte) Scanner { return Scanner{data: data} }

// End checks that only whitespace follows the value read.
func (s *Scanner) End() error {
	if s.ws(); s.pos != len(s.data) {
		return ErrFallback
	}
	return nil
}

// NumberToken reads a number strictly and returns its bytes.
func (s *Scanner) NumberToken() ([]byte, error) {
	s.ws()
	start := s.pos
	if err := s.number(); err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

// IsDigit reports whether c is an ASCII digit.
func IsDigit(c byte) bool { return c >= '0' && c <= '9' }

// Members walks an object of any keys: handle is called for each member
// after its colon, with the key's bytes (valid until the next call), and
// must read the value. An escaped key falls back.
func (s *Scanner) Members(handle func(key []byte) error) error {
	if err := s.Expect('{'); err != nil {
		return err
	}
	if s.Peek() == '}' {
		s.pos++
		return nil
	}
	for {
		raw, plain, err := s.StrToken()
		if err != nil || !plain {
			return ErrFallback
		}
		if err := s.Expect(':'); err != nil {
			return err
		}
		if err := handle(raw[1 : len(raw)-1]); err != nil {
			return err
		}
		if s.Peek() == ',' {
			s.pos++
			continue
		}
		return s.Expect('}')
	}
}
