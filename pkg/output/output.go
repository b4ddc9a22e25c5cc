// Package output prints any record or list as a table, JSON or YAML, through
// one code path for every command. JSON and YAML have the same snake_case keys
// (the json tags), lists are never null, and colour appears only in tables on
// a terminal.
package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"gopkg.in/yaml.v3"
)

// Format is an output format.
type Format string

// The formats every data-printing command accepts.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// ErrBadFormat is returned for an unknown --output value.
var ErrBadFormat = errors.New("unknown output format")

// ParseFormat checks an --output value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatJSON, FormatYAML:
		return f, nil
	}
	return "", fmt.Errorf("%w %q: use table, json or yaml", ErrBadFormat, s)
}

// Table is the human rendering of a record or list. Rows hold plain text;
// the printer neutralises control characters in every cell.
type Table struct {
	Header []string
	Rows   [][]string
	// KeyValue renders the rows as "key: value" lines (for one record).
	KeyValue bool
}

// Printer writes documents to Out in one format.
type Printer struct {
	Out    io.Writer
	Format Format
	Color  bool // only for tables; the caller decides (TTY, --no-color, NO_COLOR)
	// Width, when above 0, is the terminal's: a table's widest cells are
	// cut with an ellipsis to fit it. Never for JSON or YAML.
	Width int
}

// Print writes v in the printer's format. table builds the human rendering
// and is called only for the table format, so JSON never pays for it.
func (p *Printer) Print(v any, table func() Table) error {
	var buf bytes.Buffer
	var err error
	switch p.Format {
	case FormatJSON:
		err = writeJSON(&buf, v)
	case FormatYAML:
		err = writeYAML(&buf, v)
	default:
		err = p.writeTable(&buf, table())
	}
	if err != nil {
		return err
	}
	// The document is built whole before it is written, so an error never
	// leaves half a document on stdout.
	_, err = p.Out.Write(buf.Bytes())
	return err
}

// PrintRecord writes v as one record of a stream (`watch`): a JSON line
// (compact, lists never null) or a YAML document opened by "---". A
// table stream is the caller's own human lines, so nothing is written.
// Each record is built whole before it is written.
func (p *Printer) PrintRecord(v any) error {
	var buf bytes.Buffer
	switch p.Format {
	case FormatJSON:
		v, err := withEmptyLists(v)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode json: %w", err)
		}
	case FormatYAML:
		buf.WriteString("---\n")
		if err := writeYAML(&buf, v); err != nil {
			return err
		}
	default:
		return nil
	}
	_, err := p.Out.Write(buf.Bytes())
	return err
}

// JSON returns v as the JSON document Print would write (indented, lists
// never null, trailing newline).
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := writeJSON(&buf, v)
	return buf.Bytes(), err
}

func writeJSON(w *bytes.Buffer, v any) error {
	v, err := withEmptyLists(v)
	if err != nil {
		return err
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Len() >= parallelMin {
		return writeJSONList(w, rv)
	}
	enc := newEncoder(w, "")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	return nil
}

func newEncoder(w *bytes.Buffer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc
}

// parallelMin is the list length from which writeJSONList pays off.
const parallelMin = 256

// writeJSONList writes the same bytes as an Encoder would for a long list,
// encoding its elements on every core: `products list -o json` over 10,000
// items spent most of its time in encoding/json, one element after another.
// Each element is encoded as it appears inside the list (prefix "  ").
func writeJSONList(w *bytes.Buffer, list reflect.Value) error {
	n := list.Len()
	workers := min(runtime.GOMAXPROCS(0), n/(parallelMin/2))
	parts := make([]bytes.Buffer, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		lo, hi := i*n/workers, (i+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := &parts[i]
			enc := newEncoder(buf, "  ")
			for j := lo; j < hi; j++ {
				buf.WriteString("  ")
				// The address, as the list's own encoding would use
				// pointer-receiver MarshalJSON methods of its elements.
				if err := enc.Encode(list.Index(j).Addr().Interface()); err != nil {
					errs[i] = fmt.Errorf("encode json: %w", err)
					return
				}
				// Encode ends each value with a newline; inside the list
				// every element but the last is followed by a comma.
				buf.Truncate(buf.Len() - 1)
				if j < n-1 {
					buf.WriteByte(',')
				}
				buf.WriteByte('\n')
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	size := 4
	for i := range parts {
		size += parts[i].Len()
	}
	w.Grow(size)
	w.WriteString("[\n")
	for i := range parts {
		w.Write(parts[i].Bytes())
	}
	w.WriteString("]\n")
	return nil
}

// writeYAML goes through JSON so YAML has exactly the JSON keys and types,
// then re-emits the node tree in block style.
func writeYAML(w *bytes.Buffer, v any) error {
	var js bytes.Buffer
	if err := writeJSON(&js, v); err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(yamlReadable(js.Bytes()), &doc); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return enc.Close()
}

func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if len(n.Content) > 0 {
			n.Style = 0
		}
	} else if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style = 0 // yaml.v3 quotes again where a plain scalar would change type
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// withEmptyLists returns v with every nil slice replaced by an empty one, so
// that JSON lists are [] and never null. The top level is copied so that it
// can be changed; below pointers the caller's values are updated in place,
// which changes nothing they mean (an empty list for a nil one).
func withEmptyLists(v any) (any, error) {
	if v == nil {
		return v, nil
	}
	rv := reflect.ValueOf(v)
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	if cp.Kind() == reflect.Slice && !cp.IsNil() {
		dup := reflect.MakeSlice(cp.Type(), cp.Len(), cp.Len())
		reflect.Copy(dup, cp)
		cp = dup
	}
	fillNilSlices(cp)
	return cp.Interface(), nil
}

var timeType = reflect.TypeFor[time.Time]()

// fillNilSlices also gives every time one form: RFC 3339 in UTC to the
// second. time.Time's own encoding keeps the location and only as many
// fraction digits as the value has, so one moment printed as 12:56:22Z in
// one document and 12:56:22.15Z in another.
func fillNilSlices(v reflect.Value) {
	if v.Type() == timeType {
		if v.CanSet() {
			t := v.Interface().(time.Time)
			v.Set(reflect.ValueOf(t.UTC().Truncate(time.Second)))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fillNilSlices(v.Elem())
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			// The value inside an interface is not addressable: copy it.
			inner := reflect.New(v.Elem().Type()).Elem()
			inner.Set(v.Elem())
			fillNilSlices(inner)
			v.Set(inner)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				fillNilSlices(f)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			if v.CanSet() && v.Type().Elem().Kind() != reflect.Uint8 {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			fillNilSlices(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			cp := reflect.New(e.Type()).Elem()
			cp.Set(e)
			fillNilSlices(cp)
			v.SetMapIndex(k, cp)
		}
	}
}

func (p *Printer) writeTable(w *bytes.Buffer, t Table) error {
	if t.KeyValue {
		width := 0
		for _, r := range t.Rows {
			if len(r) > 0 && len(r[0]) > width {
				width = len(r[0])
			}
		}
		key := lipgloss.NewStyle()
		if p.Color {
			key = key.Bold(true)
		}
		for _, r := range t.Rows {
			if len(r) < 2 {
				continue
			}
			label := Sanitize(r[0]) + ":"
			pad := strings.Repeat(" ", width-len(r[0]))
			if p.Color {
				label = key.Render(label)
			}
			fmt.Fprintf(w, "%s%s %s\n", label, pad, Sanitize(r[1]))
		}
		return nil
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "   ", Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	head := make([]string, len(t.Header))
	for i, h := range t.Header {
		head[i] = strings.ToUpper(Sanitize(h))
	}
	body := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		body[i] = make([]string, len(r))
		for j, c := range r {
			body[i][j] = Sanitize(c)
		}
	}
	head, body = fitWidth(head, body, p.Width)
	header := make([]any, len(head))
	for i, h := range head {
		if p.Color {
			h = lipgloss.NewStyle().Bold(true).Render(h)
		}
		header[i] = h
	}
	tbl.Header(header...)
	for _, r := range body {
		row := make([]any, len(r))
		for i, c := range r {
			row[i] = c
		}
		if err := tbl.Append(row...); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	// Trailing padding of the last column is noise for diffs and golden files.
	lines := strings.Split(strings.TrimRight(w.String(), "\n"), "\n")
	w.Reset()
	for _, l := range lines {
		w.WriteString(strings.TrimRight(l, " "))
		w.WriteByte('\n')
	}
	return nil
}

// Sanitize neutralises text that came from outside (a Dashboard, a user's
// flag) before it is printed to a terminal: control characters, including
// ESC that would start an ANSI sequence, become visible escapes, and so do
// the invisible characters that change what a terminal shows without
// showing themselves (see invisible): a policy named "abc\u202ecba" must
// not read as another name in a table.
func Sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\uFFFD' || invisible(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString(" ")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, "\\x%02x", r)
		case r == '\uFFFD' || invisible(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// invisible reports the format characters a terminal renders as nothing
// while they reorder or join what follows: the bidirectional marks,
// embeddings, overrides and isolates (U+061C, U+200E-U+200F,
// U+202A-U+202E, U+2066-U+2069), the zero-width space and joiners
// (U+200B-U+200D, U+2060, U+FEFF) and the line and paragraph separators
// (U+2028, U+2029).
func invisible(r rune) bool {
	switch {
	case r == 0x061c, r >= 0x200b && r <= 0x200f, r >= 0x2028 && r <= 0x202e,
		r >= 0x2060 && r <= 0x2069, r == 0xfeff:
		return true
	}
	return false
}
