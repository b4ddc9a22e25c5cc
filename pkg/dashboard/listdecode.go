package dashboard

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/tykportal/tykportal/pkg/dashboard/internal/fastrecord"
)

// decodeList reads {"<itemsKey>":[...],"<pages>":N} as it arrives and
// decodes the items on every core: the reader hands the raw items to
// workers in batches while the body streams in. With a 10,000-policy answer
// the decode was half of a sync's local time, one item after another on one
// core. The two keys match case-insensitively, as encoding/json matched them.
func decodeList[T any](r io.Reader, itemsKey string) ([]T, int, error) {
	lim := &itemLimitReader{r: r}
	dec := jsontext.NewDecoder(lim, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	b := &batches[T]{free: make(chan []byte, 2*runtime.GOMAXPROCS(0)+2)}
	n := 0
	pages, err := readList(dec, itemsKey, func() { lim.start = dec.InputOffset() }, func(v jsontext.Value) error {
		if n++; n > maxListItems {
			return errTooManyItems
		}
		return b.add(v)
	})
	items, ierr := b.finish()
	switch {
	case ierr != nil: // an item's own error says more than "stopped"
		return nil, 0, ierr
	case err != nil:
		return nil, 0, err
	}
	return items, pages, nil
}

var (
	errNotObject   = errors.New("the answer is not a JSON object")
	errNoItems     = errors.New("the answer has no list of items")
	errItemFailed  = errors.New("an item could not be decoded")
	errItemsNoList = errors.New("is not a list")
)

// readList reads the answer's object, handing each raw item to add.
// Before each item it calls next, which marks where the item starts.
func readList(dec *jsontext.Decoder, itemsKey string, next func(), add func(jsontext.Value) error) (pages int, err error) {
	if tok, err := dec.ReadToken(); err != nil {
		return 0, err
	} else if tok.Kind() != '{' {
		return 0, errNotObject
	}
	sawItems := false
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return 0, err
		}
		switch key := tok.String(); {
		case strings.EqualFold(key, itemsKey):
			sawItems = true
			if err := readItems(dec, key, next, add); err != nil {
				return 0, err
			}
		case strings.EqualFold(key, "pages"):
			v, err := dec.ReadValue()
			if err != nil {
				return 0, err
			}
			// A number or a string holding one, as encoding/json reads a Number.
			var n jsonv1.Number
			if err := jsonv1.Unmarshal(v, &n); err != nil {
				return 0, fmt.Errorf("pages: %w", err)
			}
			f, err := n.Float64()
			if err != nil {
				return 0, fmt.Errorf("pages: %w", err)
			}
			pages = pageCount(f)
		default:
			if err := dec.SkipValue(); err != nil {
				return 0, err
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return 0, err
	}
	if !sawItems {
		return 0, fmt.Errorf("%w: no %q", errNoItems, itemsKey)
	}
	return pages, nil
}

// readItems reads the items list, or null for none.
func readItems(dec *jsontext.Decoder, key string, next func(), add func(jsontext.Value) error) error {
	tok, err := dec.ReadToken()
	switch {
	case err != nil:
		return err
	case tok.Kind() == 'n':
		return nil
	case tok.Kind() != '[':
		return fmt.Errorf("%q %w", key, errItemsNoList)
	}
	for next(); dec.PeekKind() != ']'; next() {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if err := add(v); err != nil {
			return err
		}
	}
	_, err = dec.ReadToken()
	return err
}

// batches collects raw items into batches and decodes full ones on worker
// goroutines while the reader goes on; a list shorter than one batch is
// decoded on the calling goroutine, with no goroutine at all.
type batches[T any] struct {
	cur    *batch[T]
	all    []*batch[T] // in list order
	work   chan *batch[T]
	wg     sync.WaitGroup
	failed atomic.Bool // a worker could not decode an item: stop reading
	// free holds the buffers of decoded batches (items never point into
	// them) for the reader to fill again: a fresh buffer for every batch
	// allocated twice the size of the answer.
	free chan []byte
}

const (
	batchItems = 128
	batchBytes = 256 << 10
)

type batch[T any] struct {
	data  []byte
	ends  []int // end offset of each item in data
	items []T
	err   error
}

// add copies a raw item, valid only until the decoder reads on.
func (b *batches[T]) add(raw jsontext.Value) error {
	if b.cur == nil {
		b.cur = &batch[T]{}
		select {
		case buf := <-b.free:
			b.cur.data = buf[:0]
		default:
			b.cur.data = make([]byte, 0, 32<<10)
		}
	}
	c := b.cur
	c.data = append(c.data, raw...)
	c.ends = append(c.ends, len(c.data))
	if len(c.ends) >= batchItems || len(c.data) >= batchBytes {
		b.all = append(b.all, c)
		b.cur = nil
		b.startWorkers()
		b.work <- c
	}
	if b.failed.Load() {
		return errItemFailed
	}
	return nil
}

func (b *batches[T]) startWorkers() {
	if b.work != nil {
		return
	}
	n := runtime.GOMAXPROCS(0)
	b.work = make(chan *batch[T], 2*n)
	for range n {
		b.wg.Go(func() {
			for c := range b.work {
				if c.decode(); c.err != nil {
					b.failed.Store(true)
				}
				select {
				case b.free <- c.data:
				default:
				}
			}
		})
	}
}

func (c *batch[T]) decode() {
	c.items = make([]T, len(c.ends))
	var s fastrecord.Scanner
	start := 0
	for i, end := range c.ends {
		if err := decodeListItem(&s, c.data[start:end], &c.items[i]); err != nil {
			c.items, c.err = nil, err
			return
		}
		start = end
	}
}

// finish decodes what is left and returns the items in list order, or the
// first error in list order.
func (b *batches[T]) finish() ([]T, error) {
	if b.cur != nil {
		b.cur.decode()
		b.all = append(b.all, b.cur)
		b.cur = nil
	}
	if b.work != nil {
		close(b.work)
		b.wg.Wait()
	}
	n := 0
	for _, c := range b.all {
		if c.err != nil {
			return nil, c.err
		}
		n += len(c.items)
	}
	items := make([]T, 0, n)
	for _, c := range b.all {
		items = append(items, c.items...)
	}
	return items, nil
}

// decodeListItem decodes one raw item of a list; a policy or an API by the
// fast path when it can (listfast.go).
func decodeListItem[T any](s *fastrecord.Scanner, raw []byte, item *T) error {
	switch it := any(item).(type) {
	case *Policy:
		if *it = (Policy{partial: true}); fastPolicy != nil && fastrecord.Decode(s, raw, fastPolicy, it) {
			return nil
		}
	case *apiWrapper:
		if *it = (apiWrapper{}); fastAPI != nil && fastrecord.Decode(s, raw, fastAPI, it) {
			return nil
		}
	}
	return json.Unmarshal(raw, item, listOptions)
}
