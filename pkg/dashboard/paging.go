package dashboard

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// A hostile or broken Dashboard decides how much a list costs: its page
// count, its items and its answers' sizes. These bound what one list may
// take, far above any real Dashboard (10,000 policies is a large one).
const (
	// maxListItems bounds the items of a list, claimed or read: a claim of
	// more (pages x the first page's items) is refused before any page is
	// fetched, and an answer holding more stops being read. A real policy
	// is a kilobyte or more, so the 256 MiB body cap holds fewer anyway;
	// half a million small decoded items take ~300 MB.
	maxListItems = 500_000
	// maxItemBytes bounds one item of a list answer: the reader holds an
	// item whole before decoding it, so an endless item would otherwise
	// grow its buffer to the body cap and past it.
	maxItemBytes = 32 << 20
)

var (
	errTooManyItems = fmt.Errorf("the answer holds more than %d items", maxListItems)
	errItemTooLarge = fmt.Errorf("an item of the answer is larger than %d bytes", maxItemBytes)
	// errInconsistentPages marks a paged answer that does not add up: some
	// items would be missing from the list, so the list is not taken.
	errInconsistentPages = errors.New("the Dashboard's pages are inconsistent, so items would be missing; nothing was taken from this list")
)

// pageCount reads an answer's page count, clamped so that an absurd value
// stays absurd (and is refused) instead of wrapping around to a small one.
func pageCount(f float64) int {
	switch {
	case math.IsNaN(f):
		return 0
	case f > math.MaxInt32:
		return math.MaxInt32
	case f < math.MinInt32:
		return math.MinInt32
	}
	return int(f)
}

// pageShape is what the first page of a paged list says of the rest: how
// many pages and how many items a full page holds. The Dashboard pages by
// a fixed page size, so every page but the last holds exactly size items
// and the last one 1 to size.
type pageShape struct {
	pages, size int
}

// claimErr refuses a first page that cannot be the start of an honest
// list: no items though more pages follow, or more items than a list may
// hold.
func (s pageShape) claimErr() error {
	switch {
	case s.size == 0:
		return fmt.Errorf("%w: page 1 holds no items but the answer claims %d pages", errInconsistentPages, s.pages)
	case s.pages > maxListItems/s.size:
		return fmt.Errorf("the answer claims %d pages of %d items, more than the %d items a list may hold", s.pages, s.size, maxListItems)
	}
	return nil
}

// pageErr checks page p, which holds n items and claims pages pages;
// echo: every one of its items was on page 1 already.
func (s pageShape) pageErr(p, n, pages int, echo bool) error {
	if pages != s.pages {
		return fmt.Errorf("%w: page %d claims %d pages, page 1 claimed %d", errInconsistentPages, p, pages, s.pages)
	}
	if s.echoes(n, echo) {
		return nil
	}
	switch {
	case p < s.pages && n != s.size:
		return fmt.Errorf("%w: page %d of %d holds %d items, page 1 held %d (every page but the last is full)", errInconsistentPages, p, s.pages, n, s.size)
	case p == s.pages && (n < 1 || n > s.size):
		return fmt.Errorf("%w: the last page (%d) holds %d items, want 1 to %d as page 1 held %d", errInconsistentPages, p, n, s.size, s.size)
	}
	return nil
}

// echoes reports whether a page of n items, all of them on page 1 already
// (echo), comes from a Dashboard that honoured p<0 (page 1 held every
// item, more than a page) but still reported its page count: such a page
// only repeats items. A page as long as page 1 that repeats it is not
// that, and hides the page it stands for.
func (s pageShape) echoes(n int, echo bool) bool { return echo && n > 0 && n < s.size }

// itemLimitReader fails once the decoder reading through it has read more
// than maxItemBytes past the start of the item it is reading (start, set
// by the reader of the list before each item).
type itemLimitReader struct {
	r     io.Reader
	read  int64
	start int64
}

func (l *itemLimitReader) Read(p []byte) (int, error) {
	if l.read-l.start > maxItemBytes {
		return 0, errItemTooLarge
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}
