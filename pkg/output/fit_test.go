package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

func TestTablesFitTheTerminalWidth(t *testing.T) {
	long := strings.Repeat("https://dashboard.example.com/very/long/path/", 3)
	table := Table{
		Header: []string{"name", "url", "status"},
		Rows: [][]string{
			{"prod", long, "up"},
			{"staging-東京", "https://s.example.com", "down"},
		},
	}
	tests := []struct {
		name   string
		width  int
		format Format
		cut    bool
	}{
		{"wide enough", 200, FormatTable, false},
		{"narrow terminal", 60, FormatTable, true},
		{"very narrow: columns stop at their minimum", 10, FormatTable, true},
		{"no terminal", 0, FormatTable, false},
		{"json is never cut", 40, FormatJSON, false},
		{"yaml is never cut", 40, FormatYAML, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &Printer{Out: &out, Format: tt.format, Width: tt.width}
			if err := p.Print(table.Rows, func() Table { return table }); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if cut := strings.Contains(got, "…"); cut != tt.cut {
				t.Fatalf("cut %v, want %v:\n%s", cut, tt.cut, got)
			}
			if tt.format != FormatTable {
				if !strings.Contains(got, long) {
					t.Fatalf("%s lost the long value:\n%s", tt.format, got)
				}
				return
			}
			for _, line := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
				w := runewidth.StringWidth(line)
				if tt.width >= 40 && w > tt.width {
					t.Errorf("line of %d columns on a %d-column terminal: %q", w, tt.width, line)
				}
			}
		})
	}
}

func TestFitWidthCutsTheWidestColumnFirst(t *testing.T) {
	header, rows := fitWidth([]string{"ID", "NAME", "URL"}, [][]string{{"1", "prod", strings.Repeat("u", 50)}}, 30)
	if header[0] != "ID" || rows[0][0] != "1" || rows[0][1] != "prod" {
		t.Fatalf("narrow columns were cut: %q %q", header, rows)
	}
	// 2 + 4 + 2 gaps of 3: the URL column keeps 30-12 = 18 columns.
	if got := rows[0][2]; runewidth.StringWidth(got) != 18 || !strings.HasSuffix(got, "…") {
		t.Fatalf("URL cell %q (%d columns)", got, runewidth.StringWidth(got))
	}
}
