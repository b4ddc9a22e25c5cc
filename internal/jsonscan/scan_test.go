package jsonscan

import (
	"errors"
	"testing"
)

var testNames = NewNames("name", "tags", "active")

type rec struct {
	Name   string
	Tags   []string
	Active bool
}

func scanRec(data string) (rec, error) {
	var r rec
	s := New([]byte(data))
	err := s.Fields(testNames, func(i int) error {
		switch i {
		case 0:
			return s.OptString(&r.Name)
		case 1:
			return s.Strings(&r.Tags)
		default:
			return s.OptBool(&r.Active)
		}
	})
	if err == nil {
		err = s.End()
	}
	return r, err
}

// The scanner decodes the plain shape itself and leaves everything that
// encoding/json would treat differently to it (ErrFallback), never a
// different value.
func TestFields(t *testing.T) {
	tests := []struct {
		in       string
		want     rec
		fallback bool
	}{
		{`{"name":"a","tags":["x","y"],"active":true}`, rec{Name: "a", Tags: []string{"x", "y"}, Active: true}, false},
		{` { "name" : "a" , "other" : {"deep":[1,2,{"x":null}]}, "active":false } `, rec{Name: "a"}, false},
		{`{"name":null,"tags":null}`, rec{}, false},
		{`{"tags":[]}`, rec{Tags: []string{}}, false},
		{`{}`, rec{}, false},
		{`{"Name":"a"}`, rec{}, true},                // encoding/json matches keys case-insensitively
		{`{"nAME":"a"}`, rec{}, true},                // likewise
		{`{"name\u0000":"a"}`, rec{}, true},          // an escaped key
		{`{"na\u006de":"a"}`, rec{}, true},           // an escaped key that is "name"
		{`{"name":"a","name":"b"}`, rec{}, true},     // a repeated key
		{`{"\u212aey":1}`, rec{}, true},              // non-ASCII: Unicode folding left to encoding/json
		{"{\"n\xc3\xa4me\":1}", rec{}, true},         // non-ASCII key
		{`{"name":"a\"b"}`, rec{Name: `a"b`}, false}, // escapes in values are decoded by encoding/json
		{`{"active":"yes"}`, rec{}, true},
		{`{"tags":[1]}`, rec{}, true},
		{`{"name":"a"} x`, rec{}, true},
		{`{"name":"a",}`, rec{}, true},
		{`{"other":tru}`, rec{}, true},
		{`{"other":01}`, rec{}, true},
		{`{"other":"a` + "\x01" + `"}`, rec{}, true},
		{`[]`, rec{}, true},
	}
	for _, tc := range tests {
		got, err := scanRec(tc.in)
		if tc.fallback {
			if !errors.Is(err, ErrFallback) {
				t.Errorf("%s: %+v, %v; want ErrFallback", tc.in, got, err)
			}
			continue
		}
		if err != nil || got.Name != tc.want.Name || got.Active != tc.want.Active || len(got.Tags) != len(tc.want.Tags) || (got.Tags == nil) != (tc.want.Tags == nil) {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestSkipAndMembers(t *testing.T) {
	for _, in := range []string{`"a\\\"b"`, `-0.5e+10`, `[[],{},null,true,false]`, `{"a":{"b":[1,"]"]}}`} {
		s := New([]byte(in))
		raw, err := s.Skip()
		if err != nil || string(raw) != in || s.End() != nil {
			t.Errorf("Skip(%s) = %s, %v", in, raw, err)
		}
	}
	for _, in := range []string{`"a`, `[1,]`, `{"a"}`, `1.`, `-`, `nul`, `"\x"`} {
		s := New([]byte(in))
		if _, err := s.Skip(); err == nil {
			t.Errorf("Skip(%s): no error", in)
		}
	}
	s := New([]byte(`{"k1":1,"k2":{"x":2}}`))
	var keys []string
	err := s.Members(func(key []byte) error {
		keys = append(keys, string(key))
		_, err := s.Skip()
		return err
	})
	if err != nil || len(keys) != 2 || keys[0] != "k1" || keys[1] != "k2" {
		t.Errorf("Members: %v, %v", keys, err)
	}
}
