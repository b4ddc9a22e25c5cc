package output

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// yamlReadable escapes, in a JSON document, the characters that JSON
// leaves raw but YAML's reader refuses ("control characters are not
// allowed": DEL, the C1 controls, U+FFFE and U+FFFF) or reads as something
// else (U+0085, which YAML folds as a line break, and a byte order mark).
// JSON's structure is ASCII, so they can only be inside strings, where
// \uXXXX means the same character to both; yaml.v3 then reads them back
// exactly and writes them escaped in a double-quoted scalar. A name from a
// Dashboard with U+009B in it must never fail a document after the sync
// that stored it was committed.
func yamlReadable(js []byte) []byte {
	if !bytes.ContainsFunc(js, yamlUnreadable) {
		return js
	}
	out := make([]byte, 0, len(js)+32)
	for len(js) > 0 {
		r, n := utf8.DecodeRune(js)
		if yamlUnreadable(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, js[:n]...)
		}
		js = js[n:]
	}
	return out
}

// yamlUnreadable reports the runes yaml.v3's reader refuses or changes;
// encoding/json already escapes the C0 controls, U+2028 and U+2029, and
// turns invalid UTF-8 into U+FFFD.
func yamlUnreadable(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0xfffe || r == 0xffff
}
