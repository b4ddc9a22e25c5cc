package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// The policy codec is patch-only: every member it does not model, at the
// top level, in an access_rights entry and in its limit, is kept raw and
// written back as read, so that an update changes the modelled fields only.
// The modelled fields are the tagged fields of Policy, AccessDefinition and
// APILimit; the types below add the unmodelled members and the tolerant
// readers, so a new field needs its tag and nothing else.

// readOptions read what a Dashboard sends as encoding/json read it, as the
// Dashboard itself reads what it is sent: names match case-insensitively,
// the last of duplicate names wins, a null leaves a value as it was, invalid
// UTF-8 is accepted.
var readOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	json.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv1.MergeWithLegacySemantics(true),
	json.WithUnmarshalers(tolerantNumbers),
)

// writeOptions: sorted map keys, for requests that compare equal when the
// policies do; unmodelled members written back as read, even with the
// duplicate names or invalid UTF-8 readOptions accept. Nil lists and maps
// are written as [] and {}, as the Dashboard writes them.
var writeOptions = json.JoinOptions(
	json.Deterministic(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// The records' fields without their methods, for the codec to fill.
type (
	policyFields Policy
	accessFields AccessDefinition
	limitFields  APILimit
)

// withUnknown is a record on the wire: its fields, and beside them the
// members it does not model.
type withUnknown[T any] struct {
	Fields  *T                         `json:",embed"`
	Unknown *map[string]jsontext.Value `json:",embed"`
}

// policyJSON is a Policy on the wire. Its shallower _id and last_updated
// take the place of the struct's own, to read them tolerantly.
type policyJSON struct {
	Fields      *policyFields              `json:",embed"`
	MID         objectID                   `json:"_id,omitzero"`
	LastUpdated flexString                 `json:"last_updated,omitzero"`
	Unknown     *map[string]jsontext.Value `json:",embed"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Policy) UnmarshalJSON(data []byte) error {
	*p = Policy{}
	w := policyJSON{Fields: (*policyFields)(p), Unknown: &p.extra}
	if err := json.Unmarshal(data, &w, readOptions); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	p.MID, p.LastUpdated = string(w.MID), string(w.LastUpdated)
	p.readAPIs = strings.Join(sortedKeys(p.AccessRights), ",")
	return nil
}

// MarshalJSON implements json.Marshaler: the modelled fields from the
// struct, every other member as it was read.
func (p Policy) MarshalJSON() ([]byte, error) {
	extra := p.extra
	// access_rights_array, when present, mirrors access_rights; after a
	// change of APIs a stale copy would contradict it, so it is rebuilt.
	if _, ok := extra["access_rights_array"]; ok && strings.Join(sortedKeys(p.AccessRights), ",") != p.readAPIs {
		arr := make([]AccessDefinition, 0, len(p.AccessRights))
		for _, k := range sortedKeys(p.AccessRights) {
			arr = append(arr, p.AccessRights[k])
		}
		raw, err := json.Marshal(arr, writeOptions)
		if err != nil {
			return nil, fmt.Errorf("policy access_rights_array: %w", err)
		}
		extra = maps.Clone(extra)
		extra["access_rights_array"] = raw
	}
	w := policyJSON{Fields: (*policyFields)(&p), MID: objectID(p.MID), LastUpdated: flexString(p.LastUpdated), Unknown: &extra}
	out, err := json.Marshal(&w, writeOptions)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return out, nil
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom, keeping unmodelled members.
func (a *AccessDefinition) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*a = AccessDefinition{}
	return json.UnmarshalDecode(dec, &withUnknown[accessFields]{(*accessFields)(a), &a.extra})
}

// MarshalJSONTo implements json.MarshalerTo.
func (a AccessDefinition) MarshalJSONTo(enc *jsontext.Encoder) error {
	return json.MarshalEncode(enc, &withUnknown[accessFields]{(*accessFields)(&a), &a.extra})
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom, keeping unmodelled members.
func (l *APILimit) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*l = APILimit{}
	return json.UnmarshalDecode(dec, &withUnknown[limitFields]{(*limitFields)(l), &l.extra})
}

// MarshalJSONTo implements json.MarshalerTo.
func (l APILimit) MarshalJSONTo(enc *jsontext.Encoder) error {
	return json.MarshalEncode(enc, &withUnknown[limitFields]{(*limitFields)(&l), &l.extra})
}

// listOptions read the items of a list: as readOptions, but a policy in
// its listed form.
var listOptions = json.JoinOptions(readOptions, json.WithUnmarshalers(json.JoinUnmarshalers(
	tolerantNumbers,
	json.UnmarshalFromFunc(unmarshalListedPolicy),
	json.UnmarshalFromFunc(unmarshalListedAccess),
)))

// listedPolicy is a policy of a list. Sync only reads lists, and needs the
// modelled fields but neither a raw copy of every other member, nor path
// permissions and limits, nor more of meta_data than the operation marker.
// A listed policy is marked partial, and UpdatePolicy refuses it: an update
// starts from GetPolicy.
type listedPolicy struct {
	Fields      *policyFields `json:",embed"`
	MID         objectID      `json:"_id"`
	LastUpdated flexString    `json:"last_updated"`
	MetaData    markerMeta    `json:"meta_data"`
}

func unmarshalListedPolicy(dec *jsontext.Decoder, p *Policy) error {
	*p = Policy{partial: true}
	w := listedPolicy{Fields: (*policyFields)(p)}
	if err := json.UnmarshalDecode(dec, &w); err != nil {
		return err
	}
	p.MID, p.LastUpdated = string(w.MID), string(w.LastUpdated)
	if w.MetaData != "" {
		p.MetaData = map[string]any{OperationMarkerField: string(w.MetaData)}
	}
	return nil
}

// listedAccess is an access_rights entry of a listed policy.
type listedAccess struct {
	Fields      *accessFields `json:",embed"`
	AllowedURLs skipped       `json:"allowed_urls"`
	Limit       skipped       `json:"limit"`
}

func unmarshalListedAccess(dec *jsontext.Decoder, a *AccessDefinition) error {
	*a = AccessDefinition{}
	return json.UnmarshalDecode(dec, &listedAccess{Fields: (*accessFields)(a)})
}

// skipped is a member passed over unread.
type skipped struct{}

func (*skipped) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return dec.SkipValue() }

// markerMeta is the operation marker of a listed policy's meta_data. No
// other meta_data, not even one that is not an object, fails a list.
type markerMeta string

func (m *markerMeta) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil || !bytes.Contains(v, []byte(OperationMarkerField)) {
		return err // nearly every policy: no nested decode
	}
	var meta struct {
		Marker any `json:"tykportal_operation"`
	}
	if json.Unmarshal(v, &meta, dec.Options()) == nil {
		s, _ := meta.Marker.(string)
		*m = markerMeta(s)
	}
	return nil
}

// objectID is a Mongo id, sent as "hex" or as {"$oid":"hex"}.
type objectID string

func (o *objectID) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		return dec.SkipValue()
	case '{':
		var id struct {
			OID *string `json:"$oid"`
		}
		id.OID = (*string)(o)
		return json.UnmarshalDecode(dec, &id)
	}
	return json.UnmarshalDecode(dec, (*string)(o))
}

// flexString is a string that may be sent as a number (last_updated, unix
// seconds), kept as the number's text.
type flexString string

func (s *flexString) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '0' {
		return json.UnmarshalDecode(dec, (*string)(s))
	}
	v, err := dec.ReadValue()
	*s = flexString(v)
	return err
}

var errNotNumber = errors.New("not a number")

// tolerantNumbers read every float64 and int64 from a JSON number or from
// a string holding one: the Dashboard sends integers as floats (2.592e+06)
// and some versions send numeric strings. An int64 takes the nearest
// integer.
var tolerantNumbers = json.JoinUnmarshalers(
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, dst *float64) error {
		f, ok, err := readNumber(dec)
		if ok {
			*dst = f
		}
		return err
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, dst *int64) error {
		f, ok, err := readNumber(dec)
		switch f = math.Round(f); {
		case !ok:
			return err
		case f >= math.MaxInt64 || f < math.MinInt64:
			return fmt.Errorf("%w in the range of int64: %g", errNotNumber, f)
		}
		*dst = int64(f)
		return nil
	}),
)

// readNumber reads a number, or a string holding one in Go's syntax for
// floats; ok is false for null, which leaves a value as it was.
func readNumber(dec *jsontext.Decoder) (f float64, ok bool, err error) {
	v, err := dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return 0, false, err
	}
	switch v.Kind() {
	case '0':
		f, err = strconv.ParseFloat(string(v), 64)
	case '"':
		var s string
		if err = json.Unmarshal(v, &s, jsontext.AllowInvalidUTF8(true)); err == nil {
			f, err = strconv.ParseFloat(s, 64)
		}
	default:
		err = errNotNumber
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("%w: %.40s", errNotNumber, v)
	}
	return f, true, nil
}
