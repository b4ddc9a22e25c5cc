package store

import "bytes"

// OwnerOf returns a record's "provider" member, "" when it has none.
// Records are encoded with the provider first; a prefix check spares
// decoding megabytes of a sync result's change list.
func OwnerOf(v []byte) (string, error) {
	const prefix = `{"provider":"`
	if rest, ok := bytes.CutPrefix(v, []byte(prefix)); ok {
		if end := bytes.IndexByte(rest, '"'); end >= 0 && bytes.IndexByte(rest[:end], '\\') < 0 && end+1 < len(rest) && (rest[end+1] == ',' || rest[end+1] == '}') {
			return string(rest[:end]), nil
		}
	}
	var owner struct {
		Provider string `json:"provider"`
	}
	err := Decode(v, &owner)
	return owner.Provider, err
}
