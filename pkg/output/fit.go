package output

import (
	"github.com/mattn/go-runewidth"
)

// columnGap is the space between two columns (the table's right padding).
const columnGap = 3

// minColumn is the narrowest a column is cut to: a few letters and the
// ellipsis still say what the cell held.
const minColumn = 6

// fitWidth cuts the widest cells of a table with an ellipsis until every
// line fits width terminal columns; cells are measured as displayed (wide
// characters count twice). It gives up on a column at minColumn, so a
// table with very many columns may stay wider than the terminal.
func fitWidth(header []string, rows [][]string, width int) ([]string, [][]string) {
	n := len(header)
	for _, r := range rows {
		n = max(n, len(r))
	}
	if width <= 0 || n == 0 {
		return header, rows
	}
	widths := make([]int, n)
	measure := func(r []string) {
		for i, c := range r {
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	total := columnGap * (n - 1)
	for _, w := range widths {
		total += w
	}
	if total <= width {
		return header, rows
	}
	limits := append([]int(nil), widths...)
	for total > width {
		widest := -1
		for i, w := range limits {
			if w > minColumn && (widest < 0 || w > limits[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		limits[widest]--
		total--
	}
	cut := func(r []string) []string {
		out := make([]string, len(r))
		for i, c := range r {
			out[i] = runewidth.Truncate(c, limits[i], "…")
		}
		return out
	}
	fitted := make([][]string, len(rows))
	for i, r := range rows {
		fitted[i] = cut(r)
	}
	return cut(header), fitted
}
