package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// beginOperation journals a Dashboard create before it is sent (see
// catalog.Operation), giving op its marker, start time and id.
func (a *App) beginOperation(ctx context.Context, op *catalog.Operation) error {
	marker, err := catalog.NewMarker()
	if err != nil {
		return err
	}
	op.Marker, op.StartedAt = marker, a.Now().UTC()
	return a.update(ctx, func(tx store.Tx) error { return repo.BeginOperation(tx, op) })
}

// finishOperation drops a journaled operation that is settled: nothing was
// created (the Dashboard refused it), or what was created is gone again or
// recorded (rotate's old key deleted). If even that write fails, the entry
// stays and `doctor` reports it settled (absent) next time.
func (a *App) finishOperation(ctx context.Context, op catalog.Operation) {
	_ = a.update(context.WithoutCancel(ctx), func(tx store.Tx) error { return repo.FinishOperation(tx, op.ID) })
}

// createFailed handles a failed create call. A refusal (a 3xx or 4xx
// answer) means nothing was created and the journal entry goes. Anything
// else (no answer, a server error, an answer that cannot be read) may hide
// an object the Dashboard did create: the entry stays, and the error says
// how to find out.
func (a *App) createFailed(ctx context.Context, op catalog.Operation, err error) error {
	if refused(err) {
		a.finishOperation(ctx, op)
		return err
	}
	return fmt.Errorf("%w; the Dashboard may have created the %s anyway: run `tykportal doctor` to check (operation %d)", err, objectWords(op.Object), op.ID)
}

// refused reports whether the Dashboard answered a request with a status
// that means it did not act on it.
func refused(err error) bool {
	var de *dashboard.Error
	return errors.As(err, &de) && de.StatusCode >= 300 && de.StatusCode < 500
}

func objectWords(object string) string {
	switch object {
	case catalog.ObjectOAuthClient:
		return "OAuth client"
	default:
		return object
	}
}
