package dashboard

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// decodePolicyWire decodes one listed policy. A hand-written strict parser
// handles the usual shape in one pass; anything it does not handle exactly
// as encoding/json would (escaped or case-folded keys, duplicate fields,
// unexpected types, any syntax error) sends the item to json.Unmarshal,
// which then decides, so the result is always encoding/json's. Decoding
// 10,000 policies with encoding/json alone was the largest part of a sync's
// local time.
func decodePolicyWire(data []byte, w *policyWire) error {
	s := scanner{data: data}
	if s.policy(w) == nil {
		return nil
	}
	*w = policyWire{}
	return json.Unmarshal(data, w)
}

// errFallback: leave this item to encoding/json.
var errFallback = errors.New("fall back to encoding/json")

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return errFallback
	}
	s.pos++
	return nil
}

// str reads a string and returns its value. Escapes and invalid UTF-8 are
// decoded by encoding/json (rare); the common string is a plain copy.
func (s *scanner) str() (string, error) {
	raw, plain, err := s.strToken()
	if err != nil {
		return "", err
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return "", errFallback
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

// strToken reads a string token strictly, returning its bytes (quotes
// included) and whether it needs no unescaping.
func (s *scanner) strToken() ([]byte, bool, error) {
	if s.peek() != '"' {
		return nil, false, errFallback
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
			return nil, false, errFallback
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
				return nil, false, errFallback
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return nil, false, errFallback
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						return nil, false, errFallback
					}
				}
				i += 6
			default:
				return nil, false, errFallback
			}
		case c < 0x20:
			return nil, false, errFallback
		default: // a byte of a multi-byte character, checked at the end
			nonASCII = true
			i++
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skip reads any value strictly and returns its bytes.
func (s *scanner) skip() ([]byte, error) {
	c := s.peek()
	start := s.pos
	switch {
	case c == '"':
		if _, _, err := s.strToken(); err != nil {
			return nil, err
		}
	case c == '{':
		s.pos++
		if s.peek() == '}' {
			s.pos++
			break
		}
		for {
			if _, _, err := s.strToken(); err != nil {
				return nil, err
			}
			if err := s.expect(':'); err != nil {
				return nil, err
			}
			if _, err := s.skip(); err != nil {
				return nil, err
			}
			if s.peek() == ',' {
				s.pos++
				continue
			}
			if err := s.expect('}'); err != nil {
				return nil, err
			}
			break
		}
	case c == '[':
		s.pos++
		if s.peek() == ']' {
			s.pos++
			break
		}
		for {
			if _, err := s.skip(); err != nil {
				return nil, err
			}
			if s.peek() == ',' {
				s.pos++
				continue
			}
			if err := s.expect(']'); err != nil {
				return nil, err
			}
			break
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || isDigit(c):
		if err := s.number(); err != nil {
			return nil, err
		}
	default:
		return nil, errFallback
	}
	return s.data[start:s.pos], nil
}

func (s *scanner) literal(word string) ([]byte, error) {
	if len(s.data)-s.pos < len(word) {
		return nil, errFallback
	}
	for i := 0; i < len(word); i++ {
		if s.data[s.pos+i] != word[i] {
			return nil, errFallback
		}
	}
	start := s.pos
	s.pos += len(word)
	return s.data[start:s.pos], nil
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	d := s.data
	if s.pos < len(d) && d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case s.pos < len(d) && d[s.pos] >= '1' && d[s.pos] <= '9':
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	default:
		return errFallback
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if s.pos >= len(d) || !isDigit(d[s.pos]) {
			return errFallback
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if s.pos >= len(d) || !isDigit(d[s.pos]) {
			return errFallback
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	return nil
}

// fields walks an object's members: for each key, field returns the
// handler's index in names or -1 for an unknown key, which is skipped. A
// key that encoding/json would match case-insensitively, an escaped key or
// a repeated known key falls back.
func (s *scanner) fields(names []string, handle func(i int) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	var seen uint64
	for {
		raw, plain, err := s.strToken()
		if err != nil || !plain {
			return errFallback
		}
		key := raw[1 : len(raw)-1]
		if err := s.expect(':'); err != nil {
			return err
		}
		i := -1
		for j, n := range names {
			if string(key) == n {
				i = j
				break
			}
		}
		switch {
		case i >= 0:
			if seen&(1<<i) != 0 {
				return errFallback
			}
			seen |= 1 << i
			if err := handle(i); err != nil {
				return err
			}
		default:
			if foldsToAny(key, names) {
				return errFallback
			}
			if _, err := s.skip(); err != nil {
				return err
			}
		}
		if s.peek() == ',' {
			s.pos++
			continue
		}
		return s.expect('}')
	}
}

// foldsToAny reports whether encoding/json could match key to one of names
// (all lower-case ASCII) case-insensitively. Any non-ASCII key counts: its
// Unicode folding (the Kelvin sign folds to k) is left to encoding/json.
func foldsToAny(key []byte, names []string) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
next:
	for _, n := range names {
		if len(n) != len(key) {
			continue
		}
		for i := range len(key) {
			c := key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != n[i] {
				continue next
			}
		}
		return true
	}
	return false
}

// float reads a number (or what flexFloat accepts) into dst. A plain
// integer of up to 15 digits, the usual value, is exact as a float64 and
// converted here; anything else goes through flexFloat's own decoding.
func (s *scanner) float(dst *flexFloat) error {
	c := s.peek()
	if c != '-' && !isDigit(c) {
		return s.unmarshaler(dst)
	}
	start := s.pos
	if err := s.number(); err != nil {
		return err
	}
	num := s.data[start:s.pos]
	digits, neg := num, false
	if digits[0] == '-' {
		digits, neg = digits[1:], true
	}
	var v int64
	exact := len(digits) <= 15 && !(neg && digits[0] == '0') // -0 stays a float's -0
	for i := 0; exact && i < len(digits); i++ {
		if !isDigit(digits[i]) {
			exact = false
		}
		v = v*10 + int64(digits[i]-'0')
	}
	if !exact {
		if dst.UnmarshalJSON(num) != nil {
			return errFallback
		}
		return nil
	}
	if neg {
		v = -v
	}
	*dst = flexFloat(v)
	return nil
}

// plainStr reads a plain string into dst, or hands the value to u when it
// is anything else (null, escapes, an object).
func (s *scanner) plainStr(dst *string, u json.Unmarshaler) error {
	if s.peek() == '"' {
		pos := s.pos
		raw, plain, err := s.strToken()
		if err != nil {
			return err
		}
		if plain {
			*dst = string(raw[1 : len(raw)-1])
			return nil
		}
		s.pos = pos
	}
	return s.unmarshaler(u)
}

// optString reads a string into dst; null leaves it.
func (s *scanner) optString(dst *string) error {
	if s.peek() == 'n' {
		_, err := s.literal("null")
		return err
	}
	v, err := s.str()
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// optBool reads true or false into dst; null leaves it.
func (s *scanner) optBool(dst *bool) error {
	switch s.peek() {
	case 't':
		_, err := s.literal("true")
		*dst = true
		return err
	case 'f':
		_, err := s.literal("false")
		*dst = false
		return err
	case 'n':
		_, err := s.literal("null")
		return err
	}
	return errFallback
}

// strings reads a list of strings; null gives nil, [] an empty list.
func (s *scanner) strings(dst *[]string) error {
	switch s.peek() {
	case 'n':
		_, err := s.literal("null")
		*dst = nil
		return err
	case '[':
	default:
		return errFallback
	}
	s.pos++
	out := []string{}
	if s.peek() == ']' {
		s.pos++
		*dst = out
		return nil
	}
	for {
		v, err := s.str()
		if err != nil {
			return err
		}
		out = append(out, v)
		if s.peek() == ',' {
			s.pos++
			continue
		}
		if err := s.expect(']'); err != nil {
			return err
		}
		*dst = out
		return nil
	}
}

// unmarshaler hands a value's bytes to a field's own UnmarshalJSON, as
// encoding/json does.
func (s *scanner) unmarshaler(u json.Unmarshaler) error {
	raw, err := s.skip()
	if err != nil {
		return err
	}
	if u.UnmarshalJSON(raw) != nil {
		return errFallback
	}
	return nil
}

var listedPolicyFields = []string{
	"_id", "id", "name", "org_id", "rate", "per", "quota_max", "quota_renewal_rate", "throttle_interval",
	"throttle_retry_limit", "key_expires_in", "access_rights", "active", "is_inactive", "state", "tags",
	"partitions", "last_updated", "auth_type", "meta_data",
}

func (s *scanner) policy(w *policyWire) error {
	err := s.fields(listedPolicyFields, func(i int) error {
		switch i {
		case 0:
			return s.plainStr((*string)(&w.MID), &w.MID)
		case 1:
			return s.optString(&w.ID)
		case 2:
			return s.optString(&w.Name)
		case 3:
			return s.optString(&w.OrgID)
		case 4:
			return s.float(&w.Rate)
		case 5:
			return s.float(&w.Per)
		case 6:
			return s.float(&w.QuotaMax)
		case 7:
			return s.float(&w.QuotaRenewalRate)
		case 8:
			return s.float(&w.ThrottleInterval)
		case 9:
			return s.float(&w.ThrottleRetryLimit)
		case 10:
			return s.float(&w.KeyExpiresIn)
		case 11:
			return s.accessRights(&w.AccessRights)
		case 12:
			return s.optBool(&w.Active)
		case 13:
			return s.optBool(&w.IsInactive)
		case 14:
			return s.optString(&w.State)
		case 15:
			return s.strings(&w.Tags)
		case 16:
			return s.partitions(&w.Partitions)
		case 17:
			return s.plainStr((*string)(&w.LastUpdated), &w.LastUpdated)
		case 18:
			return s.optString(&w.AuthType)
		default:
			return s.unmarshaler(&w.MetaData)
		}
	})
	if err != nil {
		return err
	}
	if s.ws(); s.pos != len(s.data) { // trailing bytes
		return errFallback
	}
	return nil
}

var listedPartitionFields = []string{"quota", "rate_limit", "complexity", "acl", "per_api"}

func (s *scanner) partitions(p *Partitions) error {
	if s.peek() == 'n' {
		_, err := s.literal("null")
		return err
	}
	return s.fields(listedPartitionFields, func(i int) error {
		switch i {
		case 0:
			return s.optBool(&p.Quota)
		case 1:
			return s.optBool(&p.RateLimit)
		case 2:
			return s.optBool(&p.Complexity)
		case 3:
			return s.optBool(&p.ACL)
		default:
			return s.optBool(&p.PerAPI)
		}
	})
}

func (s *scanner) accessRights(dst *map[string]accessWire) error {
	if s.peek() == 'n' {
		_, err := s.literal("null")
		*dst = nil
		return err
	}
	if err := s.expect('{'); err != nil {
		return err
	}
	m := map[string]accessWire{}
	if s.peek() == '}' {
		s.pos++
		*dst = m
		return nil
	}
	for {
		raw, plain, err := s.strToken()
		if err != nil || !plain {
			return errFallback
		}
		key := string(raw[1 : len(raw)-1])
		if _, dup := m[key]; dup {
			return errFallback
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if s.peek() != '{' {
			return errFallback // null or another type: encoding/json's rules
		}
		var a accessWire
		if err := s.access(&a); err != nil {
			return err
		}
		m[key] = a
		if s.peek() == ',' {
			s.pos++
			continue
		}
		if err := s.expect('}'); err != nil {
			return err
		}
		*dst = m
		return nil
	}
}

var listedAccessFields = []string{"api_id", "api_name", "versions", "mcp_primitives", "mcp_access_rights", "json_rpc_methods", "json_rpc_methods_access_rights"}

func (s *scanner) access(a *accessWire) error {
	return s.fields(listedAccessFields, func(i int) error {
		switch i {
		case 0:
			return s.optString(&a.APIID)
		case 1:
			return s.optString(&a.APIName)
		case 2:
			return s.strings(&a.Versions)
		case 3:
			return s.raw(&a.MCPPrimitives)
		case 4:
			return s.raw(&a.MCPAccessRights)
		case 5:
			return s.raw(&a.JSONRPCMethods)
		default:
			return s.raw(&a.JSONRPCMethodsAccessRights)
		}
	})
}
