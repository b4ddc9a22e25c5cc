package dashboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// decodeList reads {"<itemsKey>":[...],"<pages>":N} as it arrives and
// decodes the items on every core: a reader splits the list into raw items
// while the body streams in, and workers decode batches of them meanwhile.
// With a 10,000-policy answer the decode was half of a sync's local time,
// one item after another on one core.
//
// The reader checks the structure (balanced brackets, strings, the object
// around the list); each item is checked in full by encoding/json. Values of
// other keys are skipped by structure only.
func decodeList[T any](r io.Reader, itemsKey string) ([]T, int, error) {
	lr := &listReader{br: bufio.NewReaderSize(r, 64<<10)}
	d := newBatchDecoder[T]()
	pages, err := lr.object(itemsKey, d)
	items, derr := d.finish()
	switch {
	case derr != nil: // an item's own error says more than "stopped"
		return nil, 0, derr
	case err != nil:
		return nil, 0, err
	}
	return items, pages, nil
}

// errItemFailed stops reading once a worker failed to decode an item.
var errItemFailed = errors.New("an item could not be decoded")

// errNoItems: the answer lacks the items list.
var errNoItems = errors.New("the answer has no list of items")

type listReader struct {
	br  *bufio.Reader
	off int64 // bytes consumed, for error messages
}

// errMalformed: the answer is not the JSON it should be.
var errMalformed = errors.New("malformed JSON")

func (l *listReader) syntax() error {
	return fmt.Errorf("%w near byte %d", errMalformed, l.off)
}

func (l *listReader) next() (byte, error) {
	b, err := l.br.ReadByte()
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	l.off++
	return b, err
}

// nonSpace returns the next byte that is not JSON whitespace.
func (l *listReader) nonSpace() (byte, error) {
	for {
		b, err := l.next()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, nil
		}
	}
}

// object reads the top-level object, handing the items to d.
func (l *listReader) object(itemsKey string, d batchSink) (int, error) {
	b, err := l.nonSpace()
	if err != nil {
		return 0, err
	}
	if b != '{' {
		return 0, fmt.Errorf("expected an object: %w", l.syntax())
	}
	pages, sawItems := 0, false
	var keyBuf, val []byte
	for first := true; ; first = false {
		b, err := l.nonSpace()
		if err != nil {
			return 0, err
		}
		if b == '}' && first {
			break
		}
		if b != '"' {
			return 0, l.syntax()
		}
		keyBuf = append(keyBuf[:0], '"')
		if keyBuf, err = l.str(keyBuf); err != nil {
			return 0, err
		}
		var key string
		if err := json.Unmarshal(keyBuf, &key); err != nil {
			return 0, err
		}
		if b, err = l.nonSpace(); err != nil {
			return 0, err
		}
		if b != ':' {
			return 0, l.syntax()
		}
		if b, err = l.nonSpace(); err != nil {
			return 0, err
		}
		switch {
		case strings.EqualFold(key, itemsKey):
			sawItems = true
			switch b {
			case '[':
				if err := l.items(d); err != nil {
					return 0, err
				}
			case 'n': // "Data": null
				if val, err = l.value(b, val[:0], true); err != nil {
					return 0, err
				}
				if string(val) != "null" {
					return 0, l.syntax()
				}
			default:
				return 0, fmt.Errorf("%q is not a list", key)
			}
		case strings.EqualFold(key, "pages"):
			if val, err = l.value(b, val[:0], true); err != nil {
				return 0, err
			}
			var n json.Number
			if err := json.Unmarshal(val, &n); err != nil {
				return 0, err
			}
			f, err := n.Float64()
			if err != nil {
				return 0, err
			}
			pages = int(f)
		default:
			if _, err := l.value(b, nil, false); err != nil {
				return 0, err
			}
		}
		if b, err = l.nonSpace(); err != nil {
			return 0, err
		}
		if b == '}' {
			break
		}
		if b != ',' {
			return 0, l.syntax()
		}
	}
	if !sawItems {
		return 0, fmt.Errorf("%w: no %q", errNoItems, itemsKey)
	}
	return pages, nil
}

// items reads the elements of the list after its '['.
func (l *listReader) items(d batchSink) error {
	for first := true; ; first = false {
		b, err := l.nonSpace()
		if err != nil {
			return err
		}
		if b == ']' && first {
			return nil
		}
		buf := d.buffer()
		if buf, err = l.value(b, buf, true); err != nil {
			return err
		}
		if err := d.add(buf); err != nil {
			return err
		}
		if b, err = l.nonSpace(); err != nil {
			return err
		}
		if b == ']' {
			return nil
		}
		if b != ',' {
			return l.syntax()
		}
	}
}

// value reads one value whose first byte is b, appending its bytes to out
// when keep is set.
func (l *listReader) value(b byte, out []byte, keep bool) ([]byte, error) {
	add := func(c byte) {
		if keep {
			out = append(out, c)
		}
	}
	switch b {
	case '"':
		add(b)
		return l.strKeep(out, keep)
	case '{', '[':
		add(b)
		return l.composite(out, keep)
	}
	// A number, true, false or null: up to the next delimiter.
	if !(b == '-' || b >= '0' && b <= '9' || b == 't' || b == 'f' || b == 'n') {
		return out, l.syntax()
	}
	add(b)
	for {
		c, err := l.br.ReadByte()
		if err == io.EOF {
			return out, nil // the caller then finds the object unterminated
		}
		if err != nil {
			return out, err
		}
		switch c {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			_ = l.br.UnreadByte()
			return out, nil
		}
		l.off++
		add(c)
	}
}

// composite reads the rest of an object or array after its opening
// bracket, scanning the reader's buffer in place rather than byte by byte.
// Strings, most of the bytes of an answer, are skipped with IndexByte to
// their closing quote: the byte-at-a-time scan of every string was a third
// of the decode of a 10,000-policy answer, all of it on the one goroutine
// that reads the body.
func (l *listReader) composite(out []byte, keep bool) ([]byte, error) {
	depth := 1
	inStr := false
	// esc: inside a string, the buffer so far ends in an odd run of
	// backslashes, so the next byte is escaped.
	esc := false
	for {
		if l.br.Buffered() == 0 {
			if _, err := l.br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return out, err
			}
		}
		buf, _ := l.br.Peek(l.br.Buffered())
		i := 0
	scan:
		for i < len(buf) {
			if inStr {
				start := i
				if esc {
					esc = false
					start++
					i++
				}
				j := findStringEnd(buf[start:])
				if j < 0 {
					// The string goes on past this buffer.
					esc = trailingBackslashes(buf[start:])%2 == 1
					i = len(buf)
					break
				}
				i = start + j + 1
				inStr = false
				continue
			}
			// Numbers, literals and separators need no look.
			for i < len(buf) && !structural[buf[i]] {
				i++
			}
			if i == len(buf) {
				break
			}
			switch buf[i] {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					i++
					break scan
				}
			}
			i++
		}
		if keep {
			out = append(out, buf[:i]...)
		}
		_, _ = l.br.Discard(i)
		l.off += int64(i)
		if depth == 0 {
			return out, nil
		}
	}
}

// structural marks the bytes that open or close a string, object or array.
var structural = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// findStringEnd returns the index of the quote that ends a string whose
// body starts at b[0] (no escape pending), or -1 when b holds no such quote.
func findStringEnd(b []byte) int {
	off := 0
	for {
		j := bytes.IndexByte(b[off:], '"')
		if j < 0 {
			return -1
		}
		q := off + j
		// The quote is escaped when an odd run of backslashes precedes it.
		if trailingBackslashes(b[off:q])%2 == 0 {
			return q
		}
		off = q + 1
	}
}

// str reads the rest of a string after its opening quote into out.
func (l *listReader) str(out []byte) ([]byte, error) { return l.strKeep(out, true) }

func (l *listReader) strKeep(out []byte, keep bool) ([]byte, error) {
	for {
		// Copy the run up to the next quote or backslash in one go.
		chunk, err := l.br.ReadSlice('"')
		l.off += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			if keep {
				out = append(out, chunk...)
			}
			// A string longer than the buffer: a trailing backslash in this
			// chunk escapes the first byte of the next one.
			if n := trailingBackslashes(chunk); n%2 == 1 {
				c, err := l.next()
				if err != nil {
					return out, err
				}
				if keep {
					out = append(out, c)
				}
			}
			continue
		}
		if err == io.EOF {
			return out, io.ErrUnexpectedEOF
		}
		if err != nil {
			return out, err
		}
		if keep {
			out = append(out, chunk...)
		}
		// The quote ends the string unless an odd number of backslashes
		// precede it.
		if trailingBackslashes(chunk[:len(chunk)-1])%2 == 0 {
			return out, nil
		}
	}
}

func trailingBackslashes(b []byte) int {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n
}

// batchSink receives raw items.
type batchSink interface {
	buffer() []byte // a buffer to append the next item to
	add(raw []byte) error
}

// batchDecoder collects raw items into batches and decodes full batches on
// worker goroutines while the reader goes on; a list shorter than one
// batch is decoded on the calling goroutine, with no goroutine at all.
type batchDecoder[T any] struct {
	cur     batch
	batches []*decoded[T]
	work    chan job[T]
	wg      sync.WaitGroup
	workers int
	started bool
	failed  atomic.Bool // a worker could not decode an item: stop reading
	// free holds batch buffers whose items are decoded (values never
	// point into them), for the reader to fill again: growing a fresh
	// buffer for every batch allocated twice the size of the answer.
	free chan []byte
}

const (
	batchItems = 128
	batchBytes = 256 << 10
)

type batch struct {
	data []byte
	ends []int // end offset of each item in data
}

type decoded[T any] struct {
	items []T
	err   error
}

type job[T any] struct {
	b   batch
	out *decoded[T]
}

func newBatchDecoder[T any]() *batchDecoder[T] {
	w := runtime.GOMAXPROCS(0)
	return &batchDecoder[T]{workers: w, free: make(chan []byte, 2*w+2)}
}

func (d *batchDecoder[T]) buffer() []byte {
	if d.cur.data == nil {
		select {
		case b := <-d.free:
			d.cur.data = b[:0]
		default:
			d.cur.data = make([]byte, 0, 32<<10)
		}
	}
	return d.cur.data
}

func (d *batchDecoder[T]) add(raw []byte) error {
	d.cur.data = raw
	d.cur.ends = append(d.cur.ends, len(raw))
	if len(d.cur.ends) >= batchItems || len(d.cur.data) >= batchBytes {
		d.flush()
	}
	if d.failed.Load() {
		return errItemFailed
	}
	return nil
}

func (d *batchDecoder[T]) flush() {
	if len(d.cur.ends) == 0 {
		return
	}
	out := &decoded[T]{}
	d.batches = append(d.batches, out)
	b := d.cur
	d.cur = batch{}
	if !d.started {
		d.started = true
		d.work = make(chan job[T], d.workers*2)
		for range d.workers {
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				for j := range d.work {
					j.out.items, j.out.err = decodeBatch[T](j.b)
					if j.out.err != nil {
						d.failed.Store(true)
					}
					select {
					case d.free <- j.b.data:
					default:
					}
				}
			}()
		}
	}
	d.work <- job[T]{b: b, out: out}
}

func decodeBatch[T any](b batch) ([]T, error) {
	items := make([]T, len(b.ends))
	start := 0
	for i, end := range b.ends {
		var err error
		switch it := any(&items[i]).(type) {
		case *policyWire:
			err = decodePolicyWire(b.data[start:end], it)
		case *Policy:
			// A policy of a list: through the list's flat wire form (a
			// partial policy, see policyfast.go), here in the decode workers
			// while the answer streams in, not after it.
			var w policyWire
			if err = decodePolicyWire(b.data[start:end], &w); err == nil {
				*it = w.policy()
			}
		case *apiWrapper:
			err = decodeAPIWrapper(b.data[start:end], it)
		default:
			err = json.Unmarshal(b.data[start:end], &items[i])
		}
		if err != nil {
			return nil, err
		}
		start = end
	}
	return items, nil
}

// finish decodes what is left and returns the items in list order, or the
// first error in list order.
func (d *batchDecoder[T]) finish() ([]T, error) {
	var tail []T
	var tailErr error
	if len(d.cur.ends) > 0 {
		tail, tailErr = decodeBatch[T](d.cur)
	}
	if d.started {
		close(d.work)
		d.wg.Wait()
	}
	n := len(tail)
	for _, b := range d.batches {
		if b.err != nil {
			return nil, b.err
		}
		n += len(b.items)
	}
	if tailErr != nil {
		return nil, tailErr
	}
	items := make([]T, 0, n)
	for _, b := range d.batches {
		items = append(items, b.items...)
	}
	return append(items, tail...), nil
}
