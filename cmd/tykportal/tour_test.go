package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// tourURL is where the README's tour starts the simulator; the script's
// $DASH_URL stands for it.
const tourURL = "http://127.0.0.1:3000"

// The README's tour is what testdata/script/tour.txtar runs: the same
// tykportal commands and environment settings in the same order, so that
// neither can change without the other.
func TestTourIsTheReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/script/tour.txtar")
	if err != nil {
		t.Fatal(err)
	}
	want, err := readmeTour(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	got, err := scriptTour(string(script))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 10 {
		t.Fatalf("the README's tour has %d commands; is the section still there?", len(want))
	}
	for i := range max(len(want), len(got)) {
		w, g := "(none)", "(none)"
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("command %d: the README's tour has\n\t%s\ntour.txtar has\n\t%s", i+1, w, g)
		}
	}
}

// readmeTour is the tour's commands: each tykportal command (also those
// joined by &&) and each export, as argv joined by NUL-free spaces.
func readmeTour(readme string) ([]string, error) {
	_, after, ok := strings.Cut(readme, "\n## A short tour\n")
	if !ok {
		return nil, fmt.Errorf("README.md has no section \"A short tour\"")
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		return nil, fmt.Errorf("the tour has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var out []string
	for _, line := range strings.Split(block, "\n") {
		words, err := shellWords(line, true)
		if err != nil {
			return nil, fmt.Errorf("README tour: %q: %w", line, err)
		}
		for _, cmd := range splitCommands(words) {
			switch {
			case len(cmd) == 2 && cmd[0] == "export":
				out = append(out, "env "+cmd[1])
			case len(cmd) > 0 && cmd[0] == "tykportal":
				out = append(out, strings.Join(cmd, " "))
			}
		}
	}
	return out, nil
}

// scriptTour is the script's tykportal commands (exec, exits N, termafter
// D) and env settings, with $DASH_URL as the README's URL.
func scriptTour(script string) ([]string, error) {
	var out []string
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(line, "-- ") {
			break // the files after the script
		}
		words, err := shellWords(strings.ReplaceAll(line, "$DASH_URL", tourURL), false)
		if err != nil {
			return nil, fmt.Errorf("tour.txtar: %q: %w", line, err)
		}
		switch {
		case len(words) >= 2 && words[0] == "exec" && words[1] == "tykportal":
			out = append(out, strings.Join(words[1:], " "))
		case len(words) >= 3 && words[0] == "exits" && words[2] == "tykportal":
			out = append(out, strings.Join(words[2:], " "))
		case len(words) >= 2 && words[0] == "termafter":
			out = append(out, "tykportal "+strings.Join(words[2:], " "))
		case len(words) == 2 && words[0] == "env":
			out = append(out, "env "+words[1])
		}
	}
	return out, nil
}

// shellWords splits a line into words: single quotes, double quotes too
// in sh (the README), a # starting a word begins a comment, and & and &&
// are words of their own.
func shellWords(line string, sh bool) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			return words, nil
		case c == '\'' || c == '"' && sh:
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c", c)
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '&' && sh:
			flush()
			if i+1 < len(line) && line[i+1] == '&' {
				i++
			}
			words = append(words, "&")
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, nil
}

// splitCommands splits words at & and &&.
func splitCommands(words []string) [][]string {
	var out [][]string
	var cur []string
	for _, w := range words {
		if w == "&" {
			out, cur = append(out, cur), nil
			continue
		}
		cur = append(cur, w)
	}
	return append(out, cur)
}
