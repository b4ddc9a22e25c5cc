package wiretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Decode reads JSON as generic values, numbers as float64: two documents
// that decode equal say the same thing, whatever their key order, spacing
// or number spelling (2.592e+06 and 2592000).
func Decode(raw []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeFile is Decode of a fixture file, naming the file in its error.
func DecodeFile(path string) (any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ValueDiff lists where got says something else than want: a value that
// differs, a member missing or added. A null and an absent member differ.
func ValueDiff(want, got any) []string {
	var out []string
	walk("$", want, got, false, func(p, msg string) { out = append(out, p+": "+msg) })
	return out
}

// ShapeDiff lists where got's shape differs from want's: a member missing
// or added, or a value of another JSON kind (null, bool, number, string,
// object, array). Array items are compared with want's item at the same
// index, or its last one. allow, if set, excuses a path (as ValueDiff
// writes them: $.a.b[2].c).
func ShapeDiff(want, got any, allow func(path string) bool) []string {
	var out []string
	walk("$", want, got, true, func(p, msg string) {
		if allow == nil || !allow(p) {
			out = append(out, p+": "+msg)
		}
	})
	return out
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func walk(path string, want, got any, shape bool, report func(path, msg string)) {
	if kind(want) != kind(got) {
		report(path, fmt.Sprintf("%s where %s is wanted", kind(got), kind(want)))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for _, k := range unionKeys(w, g) {
			wv, wok := w[k]
			gv, gok := g[k]
			p := path + "." + k
			switch {
			case !gok:
				report(p, "missing")
			case !wok:
				report(p, "not expected")
			default:
				walk(p, wv, gv, shape, report)
			}
		}
	case []any:
		g := got.([]any)
		if shape {
			if len(w) == 0 {
				if len(g) > 0 {
					report(path+"[*]", "items where an empty list is wanted")
				}
				return
			}
			for i, gv := range g {
				walk(fmt.Sprintf("%s[%d]", path, i), w[min(i, len(w)-1)], gv, shape, report)
			}
			return
		}
		if len(w) != len(g) {
			report(path, fmt.Sprintf("%d items where %d are wanted", len(g), len(w)))
			return
		}
		for i := range w {
			walk(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], shape, report)
		}
	default:
		if !shape && want != got {
			report(path, fmt.Sprintf("%v where %v is wanted", got, want))
		}
	}
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Report joins diffs for a test failure.
func Report(diffs []string) string { return strings.Join(diffs, "\n") }
