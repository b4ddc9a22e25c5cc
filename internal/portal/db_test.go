package portal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
)

func TestBackup(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.withProvider("prod")
	open := func(ctx context.Context, location string, readOnly bool) (store.Store, error) {
		return boltstore.Open(ctx, location, boltstore.Options{ReadOnly: readOnly, LockTimeout: time.Second})
	}
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(f.dbPath, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		location string
		file     string
		force    bool
		wantErr  string
		wantCode catalog.Code
	}{
		{name: "a new file", location: f.dbPath, file: filepath.Join(dir, "new.db")},
		{name: "no file", location: f.dbPath, file: "", wantErr: "needs the FILE", wantCode: catalog.CodeInvalid},
		{name: "an existing file", location: f.dbPath, file: existing, wantErr: "exists; pass --force", wantCode: catalog.CodeInvalid},
		{name: "an existing file with force", location: f.dbPath, file: existing, force: true},
		{name: "the state file", location: f.dbPath, file: f.dbPath, force: true, wantErr: "is the state file itself", wantCode: catalog.CodeInvalid},
		{name: "a link to the state file", location: f.dbPath, file: link, force: true, wantErr: "is the state file itself", wantCode: catalog.CodeInvalid},
		{name: "a directory", location: f.dbPath, file: dir, force: true, wantErr: "is a directory", wantCode: catalog.CodeInvalid},
		{name: "a database URL", location: f.dbPath, file: "postgres://db/x", wantErr: "not a database", wantCode: catalog.CodeInvalid},
		{name: "no state yet", location: filepath.Join(dir, "none.db"), file: filepath.Join(dir, "b.db"), wantErr: "does not exist yet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.stateBytes()
			res, err := Backup(ctx, open, tc.location, tc.file, tc.force)
			wantError(t, err, tc.wantErr, tc.wantCode)
			if after := f.stateBytes(); after != before {
				t.Error("the backup changed the state")
			}
			if err != nil {
				if tc.file == existing {
					if b, _ := os.ReadFile(existing); string(b) != "an older backup" {
						t.Error("a refused backup replaced the existing file")
					}
				}
				return
			}
			if res.Backend != "bbolt" || res.Location != tc.location || !strings.HasPrefix(res.Restore, "cp "+tc.file+" ") {
				t.Errorf("result %+v", res)
			}
			b, err := boltstore.Open(ctx, tc.file, boltstore.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.View(ctx, func(tx store.Tx) error {
				_, err := tx.Get(store.Providers, []byte("prod"))
				return err
			}); err != nil {
				t.Errorf("the backup lacks the provider: %v", err)
			}
		})
	}
	if _, err := Backup(ctx, open, f.dbPath, filepath.Join(dir, "no", "dir", "b.db"), false); err == nil || errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("a backup into a missing directory: %v", err)
	}
}
