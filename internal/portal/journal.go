package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// A journaled create is the one way tykportal creates an object in a
// Dashboard (a product's or plan's policy, a key, an OAuth client):
//
//  1. the operation is committed to the journal, with a random marker;
//  2. the object is created in the Dashboard, the marker in its meta_data;
//  3. the object's local record is written in the same transaction that
//     takes the operation out of the journal.
//
// A process killed between 2 and 3, or a Dashboard whose answer was lost,
// leaves the operation in the journal, and `tykportal doctor` finds the
// object by its marker. When step 3 fails, the object is deleted again; if
// even that fails, the error names it and the operation stays, so nothing
// is orphaned silently. A create that replaces an older object (rotate's
// key) keeps the operation, now naming the old object, until that is gone.
type journaled struct {
	Op catalog.Operation
	// Create makes the object in the Dashboard with the marker in its
	// meta_data and returns what was made.
	Create func(ctx context.Context, marker string) (created, error)
	// Save writes the object's local record.
	Save func(tx store.Tx) error
	// Replaces, when set, is the object the new one replaces (an old key's
	// hash): Retire deletes it once the new one is recorded.
	Replaces string
	Retire   func(ctx context.Context) error
	// Undone, when set, is said after "was deleted again" when the local
	// write failed (rotate: "the old key still works").
	Undone string
}

// created is an object a journaled create made in the Dashboard.
type created struct {
	// What names it in messages: `policy 5f0c... ("gold")`, `key with hash ab12...`.
	What string
	// Undo deletes it again.
	Undo func(ctx context.Context) error
}

// errRetire is returned (wrapped) when the new object is recorded but the
// one it replaces could not be deleted: the new one is in use.
var errRetire = errors.New("the object it replaces could not be deleted")

// beginOperation gives op a new marker and commits it to the journal.
func (s *Service) beginOperation(ctx context.Context, op catalog.Operation) (catalog.Operation, error) {
	newMarker := s.NewMarker
	if newMarker == nil {
		newMarker = catalog.NewMarker
	}
	marker, err := newMarker()
	if err != nil {
		return op, err
	}
	op.Marker, op.StartedAt = marker, s.now()
	err = s.update(ctx, func(tx store.Tx) error { return repo.BeginOperation(tx, &op) })
	return op, err
}

func (s *Service) runJournaled(ctx context.Context, j journaled) error {
	op, err := s.beginOperation(ctx, j.Op)
	if err != nil {
		return err
	}

	obj, err := j.Create(ctx, op.Marker)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted (Ctrl-C) while the request was out: the error is
			// the interruption's, with the one thing to do next.
			return fmt.Errorf("%w; the Dashboard may have created the %s anyway: run `tykportal doctor` to check (operation %d)", context.Cause(ctx), objectWords(op.Object), op.ID)
		}
		if refused(err) {
			s.finishOperation(ctx, op)
			return catalog.WithCode(catalog.CodeRemoteRefused, err)
		}
		return catalog.Errorf(catalog.CodeRemoteFailed, "%w; the Dashboard may have created the %s anyway: run `tykportal doctor` to check (operation %d)", err, objectWords(op.Object), op.ID)
	}

	err = s.update(ctx, func(tx store.Tx) error {
		if err := j.Save(tx); err != nil {
			return err
		}
		if j.Replaces != "" {
			// The new object is recorded; the operation now stands for the
			// old one until it is deleted.
			op.Stale = j.Replaces
			return repo.PutOperation(tx, op)
		}
		return repo.FinishOperation(tx, op.ID)
	})
	if err != nil {
		if derr := obj.Undo(context.WithoutCancel(ctx)); derr != nil {
			return fmt.Errorf("save the new %s locally: %w; the %s created in provider %q could not be deleted again (%v): delete it in the Dashboard, or run `tykportal doctor --repair`", objectWords(op.Object), err, obj.What, op.Provider, derr)
		}
		s.finishOperation(ctx, op)
		note := ""
		if j.Undone != "" {
			note = "; " + j.Undone
		}
		return fmt.Errorf("save the new %s locally: %w (the %s created in the Dashboard was deleted again%s)", objectWords(op.Object), err, obj.What, note)
	}

	if j.Replaces == "" {
		return nil
	}
	if err := j.Retire(ctx); err != nil && !errors.Is(err, dashboard.ErrNotFound) {
		return fmt.Errorf("%w: %s: %w; delete it in the Dashboard, or run `tykportal doctor --repair`", errRetire, j.Replaces, err)
	}
	s.finishOperation(ctx, op)
	return nil
}

// finishOperation drops a journaled operation that is settled: nothing was
// created (the Dashboard refused it), or what was created is gone again or
// recorded. If even that write fails, the entry stays and `doctor` reports
// it settled (absent) next time.
func (s *Service) finishOperation(ctx context.Context, op catalog.Operation) {
	_ = s.update(context.WithoutCancel(ctx), func(tx store.Tx) error { return repo.FinishOperation(tx, op.ID) })
}

func objectWords(object string) string {
	switch object {
	case catalog.ObjectOAuthClient:
		return "OAuth client"
	default:
		return object
	}
}

// StoreSecrets is Secrets over the three stores of package secret.
type StoreSecrets struct{ secret.Stores }

// Resolve reads the secret of p.
func (s StoreSecrets) Resolve(ctx context.Context, p provider.Provider) (string, error) {
	return s.Stores.Resolve(ctx, p.Name, p.SecretSource)
}

// Save stores a secret where TYKPORTAL_SECRET_STORE says.
func (s StoreSecrets) Save(ctx context.Context, name, sec string) (string, error) {
	st, err := s.ForWriting()
	if err != nil {
		return "", err
	}
	if err := st.Set(ctx, name, sec); err != nil {
		return "", fmt.Errorf("store the secret of provider %q: %w", name, err)
	}
	return st.Source(), nil
}
