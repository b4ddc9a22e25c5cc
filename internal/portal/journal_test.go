package portal

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Every way a journaled create can end: what it returns, what the journal
// holds after it, and whether the created object was deleted again.
func TestJournaledCreate(t *testing.T) {
	refusedErr := &dashboard.Error{Kind: dashboard.KindRejected, StatusCode: 400, Message: "bad"}
	serverErr := &dashboard.Error{Kind: dashboard.KindServer, StatusCode: 500, Message: "boom"}
	saveErr := errors.New("disk full")
	tests := []struct {
		name       string
		createErr  error
		saveErr    error
		undoErr    error
		replaces   string
		retireErr  error
		wantErr    string
		wantCode   catalog.Code
		wantOps    int
		wantStale  string
		wantUndone bool
		wantSaved  bool
	}{
		{name: "created and recorded", wantOps: 0, wantSaved: true},
		{name: "refused: nothing created, journal cleared", createErr: refusedErr, wantErr: "bad", wantCode: catalog.CodeRemoteRefused},
		{name: "no answer: may exist, journal kept", createErr: serverErr, wantErr: "run `tykportal doctor` to check (operation 1)", wantCode: catalog.CodeRemoteFailed, wantOps: 1},
		{name: "local write fails: object deleted again", saveErr: saveErr, wantErr: "was deleted again", wantUndone: true},
		{name: "local write and undo fail: named, journal kept", saveErr: saveErr, undoErr: errors.New("gone away"), wantErr: "could not be deleted again (gone away)", wantOps: 1, wantUndone: true},
		{name: "replacement recorded, old one deleted", replaces: "oldhash", wantSaved: true},
		{name: "replacement recorded, old one already gone", replaces: "oldhash", retireErr: dashboard.ErrNotFound, wantSaved: true},
		{name: "replacement recorded, old one not deleted", replaces: "oldhash", retireErr: serverErr, wantErr: "oldhash", wantOps: 1, wantStale: "oldhash", wantSaved: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var marker string
			undone, saved := false, false
			err := f.svc.runJournaled(context.Background(), journaled{
				Op: catalog.Operation{Provider: "prod", Command: "test", Object: catalog.ObjectKey, Name: "k"},
				Create: func(_ context.Context, m string) (created, error) {
					marker = m
					// The operation is journaled before the request goes out.
					if ops := f.operations(); len(ops) != 1 || ops[0].Marker != m {
						t.Errorf("journal before the create: %+v", ops)
					}
					return created{What: "key k", Undo: func(context.Context) error { undone = true; return tc.undoErr }}, tc.createErr
				},
				Save: func(tx store.Tx) error {
					if tc.saveErr != nil {
						return tc.saveErr
					}
					saved = true
					return repo.PutCredential(tx, catalog.Credential{ID: 1, Provider: "prod"})
				},
				Replaces: tc.replaces,
				Retire:   func(context.Context) error { return tc.retireErr },
			})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if tc.wantCode != "" && catalog.CodeOf(err) != tc.wantCode {
				t.Errorf("code %s, want %s", catalog.CodeOf(err), tc.wantCode)
			}
			if !strings.HasPrefix(marker, "op-") {
				t.Errorf("marker %q", marker)
			}
			ops := f.operations()
			if len(ops) != tc.wantOps {
				t.Fatalf("journal holds %d operations, want %d: %+v", len(ops), tc.wantOps, ops)
			}
			if tc.wantOps == 1 && ops[0].Stale != tc.wantStale {
				t.Errorf("stale %q, want %q", ops[0].Stale, tc.wantStale)
			}
			if undone != tc.wantUndone || saved != tc.wantSaved {
				t.Errorf("undone %v saved %v, want %v %v", undone, saved, tc.wantUndone, tc.wantSaved)
			}
		})
	}
}
