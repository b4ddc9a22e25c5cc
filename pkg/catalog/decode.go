package catalog

import (
	"encoding/json"
	"time"

	"github.com/tykportal/tykportal/internal/jsonscan"
)

// DecodeJSON decodes a product record into the zero Product p exactly as
// json.Unmarshal would: a strict scanner reads the shape AppendJSON
// writes, and anything else is left to encoding/json. Reading 10,000
// records with reflection was most of `products list` and of a sync's
// read of the local catalogue.
func (p *Product) DecodeJSON(data []byte) error {
	r := p.refs()
	return decodeRecord(data, p, productFields, func(s *jsonscan.Scanner, i int) error { return p.field(s, i, r) })
}

// decodeRecord decodes data into the zero *v field by field with the
// scanner, or whole with encoding/json when the scanner declines.
func decodeRecord[T any](data []byte, v *T, names *jsonscan.Names, field func(s *jsonscan.Scanner, i int) error) error {
	s := jsonscan.New(data)
	if s.Fields(names, func(i int) error { return field(&s, i) }) == nil && s.End() == nil {
		return nil
	}
	var zero T
	*v = zero
	return json.Unmarshal(data, v)
}

var productFields = jsonscan.NewNames("id", "provider", "policy_id", "policy_mid", "name", "display_name", "description",
	"published", "hidden", "hidden_since", "placeholder", "auth_type", "apis", "created_at", "updated_at",
	"last_synced_at", "published_before_hide")

func (p *Product) field(s *jsonscan.Scanner, i int, r itemRefs) error {
	switch i {
	case 11:
		return s.OptString(&p.AuthType)
	case 12:
		return scanAPIRefs(s, &p.APIs)
	}
	return r.field(s, i, 13)
}

// DecodeJSON decodes a plan record into the zero Plan p exactly as
// json.Unmarshal would (see Product.DecodeJSON).
func (p *Plan) DecodeJSON(data []byte) error {
	r := p.refs()
	return decodeRecord(data, p, planFields, func(s *jsonscan.Scanner, i int) error { return p.field(s, i, r) })
}

var planFields = jsonscan.NewNames("id", "provider", "policy_id", "policy_mid", "name", "display_name", "description",
	"published", "hidden", "hidden_since", "placeholder", "rate", "per", "quota_max", "quota_renewal_rate",
	"throttle_interval", "throttle_retry_limit", "key_expires_in", "created_at", "updated_at", "last_synced_at",
	"published_before_hide")

func (p *Plan) field(s *jsonscan.Scanner, i int, r itemRefs) error {
	switch i {
	case 11:
		return scanFloat(s, &p.Rate)
	case 12:
		return scanFloat(s, &p.Per)
	case 13:
		return scanInt(s, &p.QuotaMax)
	case 14:
		return scanInt(s, &p.QuotaRenewalRate)
	case 15:
		return scanFloat(s, &p.ThrottleInterval)
	case 16:
		return scanInt(s, &p.ThrottleRetryLimit)
	case 17:
		return scanInt(s, &p.KeyExpiresIn)
	}
	return r.field(s, i, 18)
}

// field reads one of the shared fields: index i among the record's names,
// the head at 0-10 and the tail from tail on.
func (r itemRefs) field(s *jsonscan.Scanner, i, tail int) error {
	switch i {
	case 0:
		return scanUint(s, r.id)
	case 1:
		return s.OptString(r.provider)
	case 2:
		return s.OptString(r.policyID)
	case 3:
		return s.OptString(r.policyMID)
	case 4:
		return s.OptString(r.name)
	case 5:
		return s.OptString(r.displayName)
	case 6:
		return s.OptString(r.description)
	case 7:
		return s.OptBool(r.published)
	case 8:
		return s.OptBool(r.hidden)
	case 9:
		return scanTimePtr(s, r.hiddenSince)
	case 10:
		return s.OptBool(r.placeholder)
	case tail:
		return scanTime(s, r.createdAt)
	case tail + 1:
		return scanTime(s, r.updatedAt)
	case tail + 2:
		return scanTimePtr(s, r.lastSyncedAt)
	default:
		return s.OptBool(r.publishedBeforeHide)
	}
}

var apiRefFields = jsonscan.NewNames("api_id", "name")

func scanAPIRefs(s *jsonscan.Scanner, dst *[]APIRef) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		*dst = nil
		return err
	}
	if err := s.Expect('['); err != nil {
		return err
	}
	refs := []APIRef{}
	if s.Peek() == ']' {
		*dst = refs
		return s.Expect(']')
	}
	for {
		if s.Peek() != '{' {
			return jsonscan.ErrFallback
		}
		var r APIRef
		err := s.Fields(apiRefFields, func(i int) error {
			if i == 0 {
				return s.OptString(&r.APIID)
			}
			return s.OptString(&r.Name)
		})
		if err != nil {
			return err
		}
		refs = append(refs, r)
		if s.Peek() == ',' {
			_ = s.Expect(',')
			continue
		}
		*dst = refs
		return s.Expect(']')
	}
}

// wholeNumber returns a number token's digits when it is a plain whole number
// (an optional minus sign, then digits), else nil.
func wholeNumber(tok []byte) (digits []byte, neg bool) {
	if len(tok) > 0 && tok[0] == '-' {
		tok, neg = tok[1:], true
	}
	for _, c := range tok {
		if !jsonscan.IsDigit(c) {
			return nil, false
		}
	}
	return tok, neg
}

func digitsValue(d []byte) uint64 {
	var v uint64
	for _, c := range d {
		v = v*10 + uint64(c-'0')
	}
	return v
}

// wholeOrNull reads a number where encoding/json would: null gives no
// digits (the value is left as it is), a plain whole number of at most
// maxDigits its digits and sign; any other number goes back to
// encoding/json.
func wholeOrNull(s *jsonscan.Scanner, maxDigits int) (digits []byte, neg bool, err error) {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		return nil, false, err
	}
	tok, err := s.NumberToken()
	if err != nil {
		return nil, false, err
	}
	if digits, neg = wholeNumber(tok); digits == nil || len(digits) > maxDigits {
		return nil, false, jsonscan.ErrFallback
	}
	return digits, neg, nil
}

func scanUint(s *jsonscan.Scanner, dst *uint64) error {
	d, neg, err := wholeOrNull(s, 19)
	switch {
	case err != nil || d == nil:
		return err
	case neg:
		return jsonscan.ErrFallback
	}
	*dst = digitsValue(d)
	return nil
}

func scanInt(s *jsonscan.Scanner, dst *int64) error {
	d, neg, err := wholeOrNull(s, 18)
	if err != nil || d == nil {
		return err
	}
	v := int64(digitsValue(d))
	if neg {
		v = -v
	}
	*dst = v
	return nil
}

// scanFloat takes whole numbers of up to 15 digits, exact as a float64;
// -0 is not 0 and goes back to encoding/json.
func scanFloat(s *jsonscan.Scanner, dst *float64) error {
	d, neg, err := wholeOrNull(s, 15)
	switch {
	case err != nil || d == nil:
		return err
	case neg && digitsValue(d) == 0:
		return jsonscan.ErrFallback
	}
	v := float64(digitsValue(d))
	if neg {
		v = -v
	}
	*dst = v
	return nil
}

// scanTime reads the UTC form AppendJSON writes,
// YYYY-MM-DDTHH:MM:SS[.fraction]Z; null leaves the value, and any other
// form (an offset, a bad date) goes back to encoding/json.
func scanTime(s *jsonscan.Scanner, dst *time.Time) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		return err
	}
	raw, plain, err := s.StrToken()
	if err != nil || !plain {
		return jsonscan.ErrFallback
	}
	t, ok := parseUTC(raw[1 : len(raw)-1])
	if !ok {
		return jsonscan.ErrFallback
	}
	*dst = t
	return nil
}

func scanTimePtr(s *jsonscan.Scanner, dst **time.Time) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		*dst = nil
		return err
	}
	t := new(time.Time)
	if err := scanTime(s, t); err != nil {
		return err
	}
	*dst = t
	return nil
}

func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(lo, hi int) (int, bool) {
		v := 0
		for _, c := range b[lo:hi] {
			if !jsonscan.IsDigit(c) {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	switch frac := b[19 : len(b)-1]; {
	case len(frac) == 0:
	case frac[0] != '.' || len(frac) < 2 || len(frac) > 10:
		return time.Time{}, false
	default:
		v, ok := num(20, len(b)-1)
		if !ok {
			return time.Time{}, false
		}
		for n := len(frac) - 1; n < 9; n++ {
			v *= 10
		}
		nsec = v
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
