package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// Summary is what a whole state holds of one kind: how many records, the
// sequence, and a checksum of their meaning (a record's JSON canonicalised,
// RFC 8785, so that bbolt's bytes and PostgreSQL's JSONB of the same record
// sum alike).
type Summary struct {
	Kind     Kind   `json:"kind"`
	Records  int    `json:"records"`
	Sequence uint64 `json:"sequence"`
	Checksum string `json:"checksum"`
}

// Summarize reads every kind of s in one transaction.
func Summarize(ctx context.Context, s Store) ([]Summary, error) {
	var out []Summary
	err := s.View(ctx, func(tx Tx) error {
		var err error
		out, err = summarize(tx)
		return err
	})
	return out, err
}

// SummarizeTx reads every kind in tx: a backend's backup sums what it
// copies in the transaction it copies from.
func SummarizeTx(tx Tx) ([]Summary, error) { return summarize(tx) }

func summarize(tx Tx) ([]Summary, error) {
	out := make([]Summary, 0, len(Kinds))
	for _, k := range Kinds {
		sum := Summary{Kind: k}
		h := sha256.New()
		err := tx.ForEach(k, func(key, v []byte) error {
			canon, err := canonical(k, v)
			if err != nil {
				return &RecordError{Kind: k, Key: bytes.Clone(key), Err: err}
			}
			fmt.Fprintf(h, "%x\x00%s\x00", key, canon)
			sum.Records++
			return nil
		})
		if err != nil {
			return nil, err
		}
		if sum.Sequence, err = tx.Sequence(k); err != nil {
			return nil, err
		}
		sum.Checksum = hex.EncodeToString(h.Sum(nil))
		out = append(out, sum)
	}
	return out, nil
}

// canonical is a record's JSON in RFC 8785 form; last_sync values are ids,
// not JSON, and sum as they are.
func canonical(k Kind, v []byte) ([]byte, error) {
	if k == LastSyncs {
		return v, nil
	}
	val := jsontext.Value(append([]byte(nil), v...))
	if err := val.Canonicalize(); err != nil {
		return nil, err
	}
	return val, nil
}

// ErrNotEmpty: a copy's destination holds records.
var ErrNotEmpty = catalog.NewError(catalog.CodeInvalid, "the destination is not empty")

// CopyReport is what a copy moved, as summaries of both sides.
type CopyReport struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Source []Summary `json:"source"`
	Copied []Summary `json:"copied"`
}

// Copy moves the whole state of src into dst in one write transaction of
// dst, sequences included, then checks that dst holds what src held, kind
// by kind (counts, sequences, checksums). A destination with records is
// refused unless force, which replaces them. src is read in one
// transaction, so the copy is a consistent snapshot.
func Copy(ctx context.Context, src, dst Store, force bool) (CopyReport, error) {
	rep := CopyReport{From: src.Location(), To: dst.Location()}
	type kindData struct {
		recs []Raw
		seq  uint64
	}
	data := map[Kind]*kindData{}
	err := src.View(ctx, func(tx Tx) error {
		var err error
		if rep.Source, err = summarize(tx); err != nil {
			return err
		}
		for _, k := range Kinds {
			d := &kindData{}
			if err := tx.ForEach(k, func(key, v []byte) error {
				d.recs = append(d.recs, Raw{Kind: k, Key: append([]byte(nil), key...), Value: append([]byte(nil), v...)})
				return nil
			}); err != nil {
				return err
			}
			if d.seq, err = tx.Sequence(k); err != nil {
				return err
			}
			data[k] = d
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("read %s: %w", src.Location(), err)
	}
	err = dst.Update(ctx, func(tx Tx) error {
		for _, k := range Kinds {
			n, err := tx.Count(k)
			if err != nil {
				return err
			}
			if n > 0 && !force {
				return fmt.Errorf("%w: %s holds %d %s records; pass --force to replace its catalogue", ErrNotEmpty, dst.Location(), n, k)
			}
			var keys [][]byte
			if err := tx.ForEach(k, func(key, _ []byte) error { keys = append(keys, append([]byte(nil), key...)); return nil }); err != nil {
				return err
			}
			for _, key := range keys {
				if err := tx.Delete(k, key); err != nil {
					return err
				}
			}
		}
		for _, k := range Kinds {
			d := data[k]
			if len(d.recs) > 0 {
				if err := tx.PutMany(d.recs); err != nil {
					return fmt.Errorf("write %s records: %w", k, err)
				}
			}
			if err := tx.SetSequence(k, d.seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("write %s: %w", dst.Location(), err)
	}
	if rep.Copied, err = Summarize(ctx, dst); err != nil {
		return rep, fmt.Errorf("verify %s: %w", dst.Location(), err)
	}
	for i := range rep.Source {
		if rep.Source[i] != rep.Copied[i] {
			return rep, fmt.Errorf("%w: %s: source %d records (sequence %d, sum %s), copy %d (sequence %d, sum %s)", errMismatch,
				rep.Source[i].Kind, rep.Source[i].Records, rep.Source[i].Sequence, rep.Source[i].Checksum[:12],
				rep.Copied[i].Records, rep.Copied[i].Sequence, rep.Copied[i].Checksum[:12])
		}
	}
	return rep, nil
}

var errMismatch = errors.New("the copy does not match its source")
