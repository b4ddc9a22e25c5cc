package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type item struct {
	Name  string              `json:"name"`
	Tags  []string            `json:"tags"`
	At    *time.Time          `json:"at"`
	When  time.Time           `json:"when"`
	Inner *inner              `json:"inner"`
	Map   map[string][]string `json:"map"`
}

type inner struct {
	List []int `json:"list"`
}

func TestFormats(t *testing.T) {
	when := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	items := []item{{Name: "a", When: when, Inner: &inner{}, Map: map[string][]string{"k": nil}}}
	var nilList []item
	table := func() Table {
		return Table{Header: []string{"name", "tags"}, Rows: [][]string{{"a", "x"}, {"long name", "\x1b[31mred"}}}
	}
	tests := []struct {
		name   string
		format Format
		v      any
		want   string
	}{
		{"json lists are never null", FormatJSON, items, `[
  {
    "name": "a",
    "tags": [],
    "at": null,
    "when": "2026-11-24T13:00:00Z",
    "inner": {
      "list": []
    },
    "map": {
      "k": []
    }
  }
]
`},
		{"json nil list", FormatJSON, nilList, "[]\n"},
		{"yaml has the json keys", FormatYAML, items, `- name: a
  tags: []
  at: null
  when: "2026-11-24T13:00:00Z"
  inner:
    list: []
  map:
    k: []
`},
		{"yaml nil list", FormatYAML, nilList, "[]\n"},
		{"table neutralises escapes", FormatTable, nil, "NAME        TAGS\na           x\nlong name   \\x1b[31mred\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &Printer{Out: &buf, Format: tc.format}
			if err := p.Print(tc.v, table); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tc.want)
			}
		})
	}
}

func TestKeyValueAndColour(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{Out: &buf, Format: FormatTable}
	kv := func() Table { return Table{KeyValue: true, Rows: [][]string{{"Name", "prod"}, {"Org ID", "o1\n"}}} }
	if err := p.Print(nil, kv); err != nil {
		t.Fatal(err)
	}
	if want := "Name:   prod\nOrg ID: o1\\x0a\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
	buf.Reset()
	p.Color = false
	_ = p.Print(nil, func() Table { return Table{Header: []string{"a"}, Rows: [][]string{{"b"}}} })
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("colour codes without colour")
	}
}

func TestParseFormat(t *testing.T) {
	for in, ok := range map[string]bool{"table": true, "JSON": true, "yaml": true, "xml": false, "": false} {
		_, err := ParseFormat(in)
		if (err == nil) != ok {
			t.Errorf("ParseFormat(%q) err %v", in, err)
		}
	}
}

type ptrMarshaler struct{ N int }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"n":%d,"via":"pointer"}`, p.N)), nil
}

type listItem struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Meta  map[string]any    `json:"meta"`
	When  time.Time         `json:"when"`
	Inner ptrMarshaler      `json:"inner"`
	Opt   *string           `json:"opt,omitempty"`
	Refs  []json.RawMessage `json:"refs"`
}

// Long lists are encoded in parallel; the bytes must be exactly those of
// one Encoder over the whole list.
func TestParallelListEncodingIsIdentical(t *testing.T) {
	s := "x"
	for _, n := range []int{0, 1, 2, 255, 256, 257, 1000, 4099} {
		items := make([]listItem, n)
		for i := range items {
			items[i] = listItem{
				ID: i, Name: fmt.Sprintf("<a&b> \u00e9\u2028 \"%d\"\n", i), When: time.Unix(int64(i)*7919, 0).UTC(),
				Inner: ptrMarshaler{N: i}, Meta: map[string]any{"z": i, "a": []any{nil, true}},
			}
			if i%3 == 0 {
				items[i].Tags, items[i].Opt = []string{"t1", "t2"}, &s
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		filled, err := withEmptyLists(items)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(filled); err != nil {
			t.Fatal(err)
		}
		got, err := JSON(items)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%d items: parallel encoding differs:\n%s\nwant:\n%s", n, firstDiff(got, want.Bytes()), firstDiff(want.Bytes(), got))
		}
		if n > 0 && !strings.Contains(string(got), `"via": "pointer"`) {
			t.Fatalf("%d items: pointer-receiver MarshalJSON not used", n)
		}
	}
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-80, 0)
	return string(a[lo:min(i+80, len(a))])
}

// A stream of records: one compact JSON line each, or one YAML document
// each; nothing for tables (the caller writes its own lines).
func TestPrintRecord(t *testing.T) {
	type rec struct {
		Name  string   `json:"name"`
		Items []string `json:"items"`
	}
	tests := []struct {
		format Format
		want   string
	}{
		{FormatJSON, "{\"name\":\"a<b>\",\"items\":[]}\n{\"name\":\"c\",\"items\":[\"x\"]}\n"},
		{FormatYAML, "---\nname: a<b>\nitems: []\n---\nname: c\nitems:\n  - x\n"},
		{FormatTable, ""},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		p := &Printer{Out: &buf, Format: tc.format}
		for _, r := range []rec{{Name: "a<b>"}, {Name: "c", Items: []string{"x"}}} {
			if err := p.PrintRecord(r); err != nil {
				t.Fatal(err)
			}
		}
		if buf.String() != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.format, buf.String(), tc.want)
		}
	}
}
