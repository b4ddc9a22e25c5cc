// Package jsonenc appends JSON values exactly as encoding/json's Marshal
// writes them, for the records that hand-written encoders write in bulk:
// json.Marshal spent most of a large sync's write transaction in
// reflection, and in re-scanning time.Time's MarshalJSON output.
//
// Byte-identical output is the contract (tests compare against
// json.Marshal): anything these helpers do not write themselves, such as a
// string that needs escaping, is handed to encoding/json.
package jsonenc

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
)

// ErrUnsupported is returned for a float encoding/json refuses (NaN, ±Inf).
var ErrUnsupported = errors.New("json: unsupported value")

// plain marks the bytes json.Marshal writes as they are inside a string:
// printable ASCII but the quote, the backslash and the HTML characters it
// escapes by default.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// String appends s as a JSON string.
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			// Escapes, control characters, non-ASCII: encoding/json's rules
			// (which never fail for a string).
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Bool appends true or false.
func Bool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// Int appends a whole number.
func Int(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// Uint appends a non-negative whole number.
func Uint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

// Float appends a float64 in encoding/json's format: the shortest
// representation, in exponent form only below 1e-6 or from 1e21, with a
// two-digit negative exponent shortened (1e-07 becomes 1e-7).
func Float(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, ErrUnsupported
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && !(f == 0 && math.Signbit(f)) {
		// A whole number (the usual limit, -1 or 60): the same digits.
		return strconv.AppendInt(b, int64(f), 10), nil
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// Time appends t as time.Time's MarshalJSON does (RFC 3339 with sub-second
// precision, quoted), with its error for years outside 0-9999.
func Time(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	if out, ok := appendUTC(b, t); ok {
		return append(out, '"'), nil
	}
	b, err := t.AppendText(b)
	if err != nil {
		return b, err
	}
	return append(b, '"'), nil
}

// TimePtr appends *t, or null.
func TimePtr(b []byte, t *time.Time) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	return Time(b, *t)
}

// Key appends a member's key (a Go string literal of plain ASCII) and its
// colon, preceded by a comma unless it is the first.
func Key(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendUTC formats a UTC time of the years 0-9999 as RFC 3339 with
// trailing zeros of the fraction dropped, as time's own RFC 3339 formatting
// does, from the Unix seconds: time's general formatter was half of the
// cost of encoding a catalogue record, which holds three times.
func appendUTC(b []byte, t time.Time) ([]byte, bool) {
	if t.Location() != time.UTC {
		return b, false
	}
	sec := t.Unix()
	days := sec / 86400
	if sec%86400 < 0 {
		days--
	}
	clock := sec - days*86400
	y, m, d := civilDate(days)
	if y < 0 || y > 9999 {
		return b, false
	}
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, m, 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, clock/3600, 2)
	b = append(b, ':')
	b = appendDigits(b, clock/60%60, 2)
	b = append(b, ':')
	b = appendDigits(b, clock%60, 2)
	if ns := int64(t.Nanosecond()); ns != 0 {
		b = append(b, '.')
		width := 9
		for ns%10 == 0 {
			ns /= 10
			width--
		}
		b = appendDigits(b, ns, width)
	}
	return append(b, 'Z'), true
}

// civilDate converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's days-to-civil algorithm).
func civilDate(days int64) (year, month, day int64) {
	z := days + 719468
	era := z / 146097
	if z%146097 < 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendDigits appends v (non-negative) zero-padded to width digits.
func appendDigits(b []byte, v int64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v > 0 || width > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, buf[i:]...)
}
