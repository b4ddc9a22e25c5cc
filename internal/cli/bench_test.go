package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// BenchmarkProductsListJSON runs `products list -o json` in-process over
// 10,000 products, as the binary does minus start-up.
func BenchmarkProductsListJSON(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "t.db")
	db, err := boltstore.Open(ctx, path, boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	err = db.Update(ctx, func(tx store.Tx) error {
		for i := 1; i <= 10000; i++ {
			p := catalog.Product{Item: catalog.Item{ID: uint64(i), Provider: "bench", Name: fmt.Sprintf("Product %d", i), DisplayName: fmt.Sprintf("Product %d", i), Description: "generated", PolicyID: fmt.Sprintf("%024x", i), PolicyMID: fmt.Sprintf("%024x", i), Placeholder: true}, AuthType: "authToken", APIs: []catalog.APIRef{{APIID: fmt.Sprintf("api-%d", i%2000), Name: fmt.Sprintf("API %d", i%2000)}}, History: catalog.History{CreatedAt: now, UpdatedAt: now}}
			if err := repo.PutProduct(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	env := func(k string) string {
		if k == "TYKPORTAL_DB" {
			return path
		}
		return ""
	}
	b.ResetTimer()
	for b.Loop() {
		var errb strings.Builder
		if code := Main(ctx, []string{"products", "list", "-o", "json"}, Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb}, env, BuildInfo{}); code != 0 {
			b.Fatal(errb.String())
		}
	}
}
