package output

import (
	"bytes"
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
