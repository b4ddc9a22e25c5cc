package dashboard

import (
	"fmt"
	"io"
	"math"
	"net/http"
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
)

// What a failed list says when its pages do not add up, or claim more
// than a list may hold (Error.what).
const (
	whatInconsistent = "the Dashboard's pages do not add up, so items would be missing; nothing was taken from the list"
	whatTooMany      = "the Dashboard claims more items than a list may hold; nothing was taken from the list"
)

// pageFailure is the error of a list whose page p failed a check.
func (c *Client) pageFailure(path string, p int, what string, err error) *Error {
	e := c.fail(call{method: http.MethodGet, path: path, page: p}, KindBadResponse, 0, "", err)
	e.what = what
	return e
}

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
// list: no items though more pages follow (what: whatInconsistent), or
// more items than a list may hold (whatTooMany).
func (s pageShape) claimErr() (what string, err error) {
	switch {
	case s.size == 0:
		return whatInconsistent, fmt.Errorf("page 1 holds no items but claims %d pages", s.pages)
	case s.pages > maxListItems/s.size:
		return whatTooMany, fmt.Errorf("page 1 claims %d pages of %d items, more than %d items", s.pages, s.size, maxListItems)
	}
	return "", nil
}

// mayBeWhole reports whether page 1 can be a whole list from a Dashboard
// that honoured p<0 but still gave its page count: that count is then at
// most one page per item.
func (s pageShape) mayBeWhole() bool { return s.pages <= s.size }

// uniqueByID keeps the first item of each id (and every item without one).
func uniqueByID[T any](items []T, id func(*T) string) []T {
	seen := make(map[string]bool, len(items))
	out := make([]T, 0, len(items))
	for i := range items {
		k := id(&items[i])
		if k != "" && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, items[i])
	}
	return out
}

// pageErr checks page p, which holds n items and claims pages pages;
// echo: every one of its items was on page 1 already.
func (s pageShape) pageErr(p, n, pages int, echo bool) error {
	if pages != s.pages {
		return fmt.Errorf("page %d gives the page count as %d, page 1 gave %d", p, pages, s.pages)
	}
	if s.echoes(n, echo) {
		return nil
	}
	switch {
	case p < s.pages && n != s.size:
		return fmt.Errorf("page %d of %d holds %d items where page 1 held %d; only the last page may hold fewer", p, s.pages, n, s.size)
	case p == s.pages && (n < 1 || n > s.size):
		return fmt.Errorf("the last page (%d) holds %d items, not 1 to %d as page 1 held %d", p, n, s.size, s.size)
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
