package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/output"
)

// exportOptions are `export`'s flags.
type exportOptions struct {
	portal.ExportOptions
	File string
}

func (a *App) exportCommand() *cobra.Command { return newExportCmd(a, nil) }

func newExportCmd(a *App, runF func(context.Context, exportOptions) error) *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export [--provider P...] [--hidden] [-f FILE]",
		Short: "Write the catalogue as a YAML (or JSON) document for review, diff and apply",
		Long: `Export writes the providers (everything but their secrets) and their products and plans
as one document: each item's policy definition as the Dashboard holds it now (APIs by id
and name, auth type, limits, tags, and a fingerprint for conflict detection) and its
local fields (display name, description, published). Items are keyed by their policy
name within their provider, never by local ids, so the document applies to a new state
file or, with --provider-map, to another Dashboard. Hidden items only with --hidden.

The document is YAML (JSON with -o json), sorted, and byte-identical when nothing
changed. Its JSON Schema is docs/catalog.schema.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			doc, err := a.service().Export(cmd.Context(), o.ExportOptions)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := portal.EncodeCatalog(&buf, doc, a.format == output.FormatJSON); err != nil {
				return err
			}
			if o.File == "" || o.File == "-" {
				_, err := a.IO.Out.Write(buf.Bytes())
				return err
			}
			if err := writeFileAtomic(o.File, buf.Bytes()); err != nil {
				return err
			}
			n, m := 0, 0
			for _, p := range doc.Providers {
				n += len(*p.Products)
				m += len(*p.Plans)
			}
			a.info("Exported %d provider(s), %d product(s) and %d plan(s) to %s.", len(doc.Providers), n, m, o.File)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&o.Providers, "provider", nil, "export only this provider (repeat for several)")
	cmd.Flags().BoolVar(&o.Hidden, "hidden", false, "include hidden products and plans")
	cmd.Flags().StringVarP(&o.File, "file", "f", "", "write the document to FILE instead of stdout")
	return cmd
}

// writeFileAtomic replaces path with data: a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return usageErrorf("-f %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
