package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Interrupted is the cause of a command's context when a signal (Ctrl-C,
// SIGTERM) ended it: the command stops at once, prints "interrupted" and
// exits 128 + the signal's number (130 for Ctrl-C), as shells do.
type Interrupted struct{ Signal os.Signal }

func (e *Interrupted) Error() string { return "interrupted" }

// exitCode is 128 + the signal's number.
func (e *Interrupted) exitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// SignalContext is parent cancelled by the first SIGINT or SIGTERM, with
// an *Interrupted as its cause. Only the first is caught: a second one
// ends the process the default way, should anything fail to stop.
func SignalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&Interrupted{Signal: s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// withInterruption is a command's error when a signal ended it: the
// interruption, whatever error the command stopped with ("context
// canceled" from a request), unless that error already carries it with
// what to do next (an interrupted create names doctor).
func withInterruption(ctx context.Context, err error) error {
	var intr *Interrupted
	if err == nil || !errors.As(context.Cause(ctx), &intr) || errors.As(err, new(*Interrupted)) {
		return err
	}
	return intr
}
