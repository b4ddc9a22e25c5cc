package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/tykportal/tykportal/pkg/internal/parallel"
)

// Records are JSON. The options make json/v2 write exactly what
// encoding/json wrote into state files before it (nil lists and maps as
// null, HTML and JavaScript line separators escaped, invalid UTF-8 replaced,
// map keys sorted), so a record rewritten unchanged keeps its bytes, and old
// files read the same (records_test.go compares the two).
var (
	encodeOptions = json.JoinOptions(
		json.FormatNilSliceAsNull(true),
		json.FormatNilMapAsNull(true),
		json.Deterministic(true),
		jsontext.EscapeForHTML(true),
		jsontext.EscapeForJS(true),
		jsontext.AllowInvalidUTF8(true),
	)
	decodeOptions = json.JoinOptions(
		jsontext.AllowDuplicateNames(true),
		jsontext.AllowInvalidUTF8(true),
	)
)

// Encode is the encoding of every record.
func Encode(v any) ([]byte, error) { return json.Marshal(v, encodeOptions) }

// Decode reads a record written by Encode (or by encoding/json) into v.
func Decode(data []byte, v any) error { return json.Unmarshal(data, v, decodeOptions) }

// Get decodes one record; a missing key is ErrNotFound.
func Get[T any](tx Tx, k Kind, key []byte) (T, error) {
	var v T
	raw, err := tx.Get(k, key)
	if err != nil {
		return v, err
	}
	if err := Decode(raw, &v); err != nil {
		return v, &RecordError{Kind: k, Err: err}
	}
	return v, nil
}

// GetRaw returns a copy of one record's bytes.
func GetRaw(tx Tx, k Kind, key []byte) ([]byte, error) {
	raw, err := tx.Get(k, key)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(raw), nil
}

// Exists reports whether key is present.
func Exists(tx Tx, k Kind, key []byte) (bool, error) {
	_, err := tx.Get(k, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Put encodes v and stores it under key.
func Put(tx Tx, k Kind, key []byte, v any) error {
	raw, err := Encode(v)
	if err != nil {
		return wrapKind("encode", k, err)
	}
	return tx.Put(k, key, raw)
}

// parallelMin is the record count from which List decodes and PutRecords
// encodes on every core: decoding 10,000 products one after another was a
// third of `products list`.
const parallelMin = 512

// List decodes every record of a kind in key order; never nil.
func List[T any](tx Tx, k Kind) ([]T, error) {
	return ListWhere[T](tx, k, nil)
}

// ListWhere decodes the records of a kind in key order for which keep
// (given the raw record) is true; keep nil keeps all. Never nil.
func ListWhere[T any](tx Tx, k Kind, keep func(raw []byte) bool) ([]T, error) {
	var keys, raws [][]byte
	err := tx.ForEach(k, func(key, raw []byte) error {
		if keep == nil || keep(raw) {
			// Both stay valid until the transaction ends, which is after List.
			keys, raws = append(keys, key), append(raws, raw)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]T, len(raws))
	err = parallel.Chunks(len(raws), parallelMin, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := Decode(raws[i], &out[i]); err != nil {
				// The key is the transaction's memory: the error outlives it.
				return &RecordError{Kind: k, Key: bytes.Clone(keys[i]), Err: err}
			}
		}
		return nil
	})
	if err != nil {
		// The first failing record in key order, as a serial decode would report.
		return nil, err
	}
	return out, nil
}

// Record is one value to write with PutRecords.
type Record struct {
	Kind  Kind
	Key   []byte
	Value any
}

// An EncodingWriter is a Tx that can write records while they are still
// being encoded: PutEncoding writes recs in order, and value(i), which
// waits for it, is the i-th record's encoding (or the error encoding it).
// PostgreSQL's server parses each record it is sent, for longer than the
// encoding takes: this way the two overlap instead of following each other.
//
// Preparer gives the backend's own rewrite of an encoding of kind k
// (PostgreSQL's: jsonb's member order), which the encoding workers apply
// before value(i) returns it, rather than the writer's one goroutine; nil
// leaves the encoding as it is. Each call gives a rewrite for one worker.
type EncodingWriter interface {
	PutEncoding(recs []Record, value func(i int) ([]byte, error)) error
	Preparer(k Kind) func(encoded []byte) []byte
}

// encodeAhead is the chunk of records encoded at a time ahead of an
// EncodingWriter: the writer waits only for the first chunk (256 products
// encode in about a millisecond), and each chunk costs one channel close.
const encodeAhead = 256

// PutRecords encodes many values on every core, then stores them in one
// PutMany: encoding 10,000 catalogue records was a third of a large sync's
// transaction. An EncodingWriter gets them as they are encoded, on every
// core but one (parallel.Ahead).
func PutRecords(tx Tx, recs []Record) error {
	if w, ok := tx.(EncodingWriter); ok && len(recs) >= parallelMin {
		return putEncoding(w, recs)
	}
	raws := make([]Raw, len(recs))
	err := parallel.Chunks(len(recs), parallelMin, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			v, err := Encode(recs[i].Value)
			if err != nil {
				return wrapKind("encode", recs[i].Kind, err)
			}
			raws[i] = Raw{Kind: recs[i].Kind, Key: recs[i].Key, Value: v}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.PutMany(raws)
}

func putEncoding(w EncodingWriter, recs []Record) error {
	values := make([][]byte, len(recs))
	ready, stop := parallel.Ahead(len(recs), encodeAhead, func(lo, hi int) error {
		var kind Kind
		var prepare func([]byte) []byte
		for i := lo; i < hi; i++ {
			v, err := Encode(recs[i].Value)
			if err != nil {
				return wrapKind("encode", recs[i].Kind, err)
			}
			if i == lo || recs[i].Kind != kind {
				kind, prepare = recs[i].Kind, w.Preparer(recs[i].Kind)
			}
			if prepare != nil {
				v = prepare(v)
			}
			values[i] = v
		}
		return nil
	})
	defer stop()
	return w.PutEncoding(recs, func(i int) ([]byte, error) {
		if err := ready(i); err != nil {
			return nil, err
		}
		return values[i], nil
	})
}

// RecordError is a stored record that does not decode; it matches
// ErrBadRecord, and a backend whose bytes can only have changed by damage
// (a bbolt file) reports it as such.
type RecordError struct {
	Kind Kind
	Key  []byte // nil when the caller named no key
	Err  error
}

func (e *RecordError) Error() string {
	if e.Key == nil {
		return fmt.Sprintf("decode %s record: %v", e.Kind, e.Err)
	}
	if len(e.Key) > maxKeyShown {
		// A damaged file's key can be any length.
		return fmt.Sprintf("decode %s record %x... (a key of %d bytes): %v", e.Kind, e.Key[:maxKeyShown], len(e.Key), e.Err)
	}
	return fmt.Sprintf("decode %s record %x: %v", e.Kind, e.Key, e.Err)
}

// maxKeyShown is the most of a key an error shows: ids are 8 bytes, names
// at most 63.
const maxKeyShown = 64

func (e *RecordError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrBadRecord) true.
func (e *RecordError) Is(target error) bool { return target == ErrBadRecord }
