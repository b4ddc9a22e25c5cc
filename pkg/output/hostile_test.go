package output

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Names come from a Dashboard: every string must survive -o yaml exactly
// (read back, it is the same string), whatever characters it holds.
func TestYAMLEncodesEveryCharacter(t *testing.T) {
	tests := []struct {
		name, value string
		want        string // the line written, when it matters
	}{
		{"CSI (C1 control)", "a\u009b31mb", `name: "a\x9B31mb"`},
		{"DEL", "a\x7fb", `name: "a\x7Fb"`},
		{"NEL is not a line break", "a\u0085b", `name: "a\Nb"`},
		{"byte order mark", "a\ufeffb", `name: "a\uFEFFb"`},
		{"noncharacter", "a\ufffeb", `name: "a\uFFFEb"`},
		{"all C1 at once", "\u0080\u0081\u009f", ""},
		{"bidi override", "abc\u202ecba", ""},
		{"zero-width space", "pro\u200bd", ""},
		{"C0 controls", "a\x1b[31m\x00\nb", ""},
		{"quotes and backslashes", `say "hi" \ o/`, ""},
		{"line separators", "a\u2028b\u2029c", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &Printer{Out: &buf, Format: FormatYAML}
			v := []map[string]string{{"name": tc.value}}
			if err := p.Print(v, nil); err != nil {
				t.Fatalf("print: %v", err)
			}
			if tc.want != "" && !strings.Contains(buf.String(), tc.want) {
				t.Errorf("got %q, want a line %q", buf.String(), tc.want)
			}
			var back []map[string]string
			if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatalf("the document does not read back: %v\n%s", err, buf.String())
			}
			if len(back) != 1 || back[0]["name"] != tc.value {
				t.Errorf("read back %q, want %q", back, tc.value)
			}
			// A stream record (watch -o yaml) goes the same way.
			buf.Reset()
			if err := p.PrintRecord(v[0]); err != nil {
				t.Fatalf("print record: %v", err)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain prod", "plain prod"},
		{"naïve – 日本", "naïve – 日本"},
		{"a\tb", "a b"},
		{"\x1b[31mred", `\x1b[31mred`},
		{"a\u009bb", `a\x9bb`},
		{"a\x7fb", `a\x7fb`},
		{"abc\u202ecba", `abc\u202ecba`},
		{"\u202a\u202b\u202c\u202d", `\u202a\u202b\u202c\u202d`},
		{"\u2066x\u2067y\u2068z\u2069", `\u2066x\u2067y\u2068z\u2069`},
		{"\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"pro\u200bd\u200c\u200d\u2060", `pro\u200bd\u200c\u200d\u2060`},
		{"\ufeffbom", `\ufeffbom`},
		{"a\u2028b", `a\u2028b`},
		{"bad \xff byte", `bad \ufffd byte`},
	}
	for _, tc := range tests {
		if got := Sanitize(tc.in); got != tc.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
