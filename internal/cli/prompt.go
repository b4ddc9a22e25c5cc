package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"

	"github.com/tykportal/tykportal/pkg/secret"
)

// The prompts read in a goroutine and wait for the line or the command's
// context, whichever comes first: a blocked read(2) does not return on a
// signal, so reading in place would ignore Ctrl-C until Enter.

// confirm asks a yes/no question on a terminal. Without a terminal it
// refuses, so that a script must say --yes.
func (a *App) confirm(ctx context.Context, question, flagHint string) error {
	if !a.IO.InTTY {
		return usageErrorf("%s: refusing without confirmation; pass %s to confirm from a script", question, flagHint)
	}
	fmt.Fprintf(a.IO.Err, "%s [y/N] ", question)
	line, err := readLineContext(ctx, a.IO.In, 64)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(a.IO.Err)
			return err
		}
		return fmt.Errorf("read confirmation: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errCancelled
}

// readHidden reads one line from the injected input without echo: a
// terminal's echo is turned off for it, and its state is put back also
// when the context ends first; input that is no terminal (a test's pipe)
// is read as a line.
func (a *App) readHidden(ctx context.Context) ([]byte, error) {
	if f, ok := a.IO.In.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		saved, err := term.GetState(fd)
		if err != nil {
			return nil, err
		}
		type answer struct {
			b   []byte
			err error
		}
		done := make(chan answer, 1)
		go func() {
			b, err := term.ReadPassword(fd)
			done <- answer{b, err}
		}()
		select {
		case r := <-done:
			return r.b, r.err
		case <-ctx.Done():
			// The read stays blocked; the process ends before it matters.
			_ = term.Restore(fd, saved)
			return nil, context.Cause(ctx)
		}
	}
	line, err := readLineContext(ctx, a.IO.In, secret.MaxLen+2)
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	return []byte(line), err
}

// readLineContext is readLine that returns when ctx ends, with its cause.
func readLineContext(ctx context.Context, r io.Reader, max int) (string, error) {
	type answer struct {
		line string
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		line, err := readLine(r, max)
		done <- answer{line, err}
	}()
	select {
	case a := <-done:
		return a.line, a.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// readLine reads one line of at most max bytes, one byte at a time so that
// nothing after the line is consumed.
func readLine(r io.Reader, max int) (string, error) {
	var b []byte
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			if len(b) >= max {
				return "", usageErrorf("input line is longer than %d bytes", max)
			}
			b = append(b, buf[0])
		}
		if err == io.EOF {
			if len(b) == 0 {
				return "", io.EOF
			}
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(b), "\r"), nil
}
