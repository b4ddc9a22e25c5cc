package pgstore

import (
	"bytes"
	"cmp"
	"slices"
)

// jsonbOrderer rewrites a JSON value with the members of every object in
// the order jsonb keeps them: by the key's length, then its bytes.
// PostgreSQL sorts the members of every object it parses into jsonb, and
// its sort returns at once when they come sorted: a COPY of 10,000
// product records took a fifth less time given in this order than in the
// struct order the records are encoded in (BenchmarkCopyKeyOrder). The
// order is only a hint: any order stores the same jsonb, so a value that
// does not parse, or an escaped key that sorts differently unescaped, is
// simply sent as it is or sorted by the server.
//
// It scans the bytes itself rather than through jsontext.Decoder: with
// the decoder the reorder cost the client more than encoding the record,
// 2.9 us a product against 1.4 us now (BenchmarkCopyKeyOrder/reorder), and
// a first sync's COPY waited for the client (FuzzJSONBOrder compares the
// two).
// Tokens are copied as they are: only whitespace between them goes and
// members move, so a value the server would refuse stays refused.
type jsonbOrderer struct {
	arena []byte // the values being rebuilt, innermost first
	spans []part // members and elements still to be placed
	// The last large object's keys as they came, one after another (each
	// quoted, so the run tells them apart), and the order sorting them
	// gave: the records of a run share their keys, and comparing them
	// costs less than the sort.
	lastKeys  []byte
	lastOrder []int // lastOrder[k] is the member that goes k-th
	scratch   []part
}

// part is a member (key and value) or an element (value only) in arena.
type part struct{ key, keyEnd, val, valEnd int }

// maxDepth bounds the nesting reorder follows, as jsontext.Decoder's
// does; deeper values go as they are.
const maxDepth = 10000

// reorder returns v with its objects' members in jsonb's order, or v
// itself when v is not valid JSON. The result does not alias the
// orderer's memory.
func (o *jsonbOrderer) reorder(v []byte) []byte {
	o.arena, o.spans = o.arena[:0], o.spans[:0]
	start, end, i, ok := o.value(v, skipSpace(v, 0), 0)
	if !ok || skipSpace(v, i) != len(v) {
		return v
	}
	return bytes.Clone(o.arena[start:end])
}

// value rebuilds the value at v[i:] at the end of arena and returns where,
// and the index in v after it.
func (o *jsonbOrderer) value(v []byte, i, depth int) (start, end, next int, ok bool) {
	if i >= len(v) {
		return 0, 0, 0, false
	}
	switch c := v[i]; c {
	case '{', '[':
		if depth >= maxDepth {
			return 0, 0, 0, false
		}
		isObject, closing := c == '{', byte(']')
		if isObject {
			closing = '}'
		}
		first := len(o.spans)
		i = skipSpace(v, i+1)
		if i < len(v) && v[i] == closing {
			i++
		} else {
			for {
				var s part
				if isObject {
					keyEnd, ok := scanString(v, i)
					if !ok {
						return 0, 0, 0, false
					}
					s.key = len(o.arena)
					o.arena = append(o.arena, v[i:keyEnd]...)
					s.keyEnd = len(o.arena)
					i = skipSpace(v, keyEnd)
					if i >= len(v) || v[i] != ':' {
						return 0, 0, 0, false
					}
					i = skipSpace(v, i+1)
				}
				if s.val, s.valEnd, i, ok = o.value(v, i, depth+1); !ok {
					return 0, 0, 0, false
				}
				o.spans = append(o.spans, s)
				i = skipSpace(v, i)
				if i >= len(v) {
					return 0, 0, 0, false
				}
				if v[i] == closing {
					i++
					break
				}
				if v[i] != ',' {
					return 0, 0, 0, false
				}
				i = skipSpace(v, i+1)
			}
		}
		items := o.spans[first:]
		if isObject {
			o.sortMembers(items)
		}
		start = len(o.arena)
		o.arena = append(o.arena, c)
		for n, s := range items {
			if n > 0 {
				o.arena = append(o.arena, ',')
			}
			if isObject {
				o.arena = append(o.arena, o.arena[s.key:s.keyEnd]...)
				o.arena = append(o.arena, ':')
			}
			o.arena = append(o.arena, o.arena[s.val:s.valEnd]...)
		}
		o.arena = append(o.arena, closing)
		o.spans = o.spans[:first]
		return start, len(o.arena), i, true
	case '"':
		next, ok = scanString(v, i)
	case 't':
		next, ok = scanWord(v, i, "true")
	case 'f':
		next, ok = scanWord(v, i, "false")
	case 'n':
		next, ok = scanWord(v, i, "null")
	default:
		next, ok = scanNumber(v, i)
	}
	if !ok {
		return 0, 0, 0, false
	}
	start = len(o.arena)
	o.arena = append(o.arena, v[i:next]...)
	return start, len(o.arena), next, true
}

// sortMembers puts an object's members in jsonb's order, stable for a
// repeated key (jsonb keeps the last one).
func (o *jsonbOrderer) sortMembers(items []part) {
	byKey := func(a, b part) int {
		ka, kb := o.arena[a.key:a.keyEnd], o.arena[b.key:b.keyEnd]
		if c := cmp.Compare(len(ka), len(kb)); c != 0 {
			return c
		}
		return bytes.Compare(ka, kb)
	}
	if len(items) < 8 {
		slices.SortStableFunc(items, byKey)
		return
	}
	o.scratch = append(o.scratch[:0], items...)
	if o.sameKeys(items) {
		for k, from := range o.lastOrder {
			items[k] = o.scratch[from]
		}
		return
	}
	o.lastKeys = o.lastKeys[:0]
	for _, s := range items {
		o.lastKeys = append(o.lastKeys, o.arena[s.key:s.keyEnd]...)
	}
	order := o.lastOrder[:0]
	for k := range items {
		order = append(order, k)
	}
	slices.SortStableFunc(order, func(a, b int) int { return byKey(o.scratch[a], o.scratch[b]) })
	for k, from := range order {
		items[k] = o.scratch[from]
	}
	o.lastOrder = order
}

// sameKeys tells whether items have the keys of the last large object, in
// the same order.
func (o *jsonbOrderer) sameKeys(items []part) bool {
	if len(items) != len(o.lastOrder) {
		return false
	}
	rest := o.lastKeys
	for _, s := range items {
		k := o.arena[s.key:s.keyEnd]
		if !bytes.HasPrefix(rest, k) {
			return false
		}
		rest = rest[len(k):]
	}
	return len(rest) == 0
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\n' || v[i] == '\r' || v[i] == '\t') {
		i++
	}
	return i
}

// scanString returns the index after the string at v[i:]: the next quote
// not escaped. What is between is not checked (an escape, a control
// character): it goes to the server unchanged, in the same string.
func scanString(v []byte, i int) (int, bool) {
	if i >= len(v) || v[i] != '"' {
		return 0, false
	}
	for j := i + 1; ; j++ {
		k := bytes.IndexByte(v[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		// Escaped when an odd run of backslashes comes before it.
		n := 0
		for p := j - 1; p > i && v[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, true
		}
	}
}

func scanWord(v []byte, i int, word string) (int, bool) {
	if !bytes.HasPrefix(v[i:], []byte(word)) {
		return 0, false
	}
	return i + len(word), true
}

// scanNumber returns the index after the number at v[i:]: the run of the
// bytes a number is written with, its grammar left to the server.
func scanNumber(v []byte, i int) (int, bool) {
	j := i
	for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == '-' || v[j] == '+' || v[j] == '.' || v[j] == 'e' || v[j] == 'E') {
		j++
	}
	return j, j > i
}
