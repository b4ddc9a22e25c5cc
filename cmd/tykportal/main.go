// Command tykportal is the headless admin tool for Tyk API providers,
// products, plans and credentials.
package main

import (
	"context"
	"os"

	"github.com/tykportal/tykportal/internal/cli"
	"github.com/tykportal/tykportal/internal/harden"
)

// Stamped by the linker (see .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	os.Exit(run())
}

func run() int {
	// Secrets and keys live in this process's memory: no core file of it.
	_ = harden.NoCoreDumps()
	cli.TuneGC(os.Args[1:], os.Getenv)
	ctx, stop := cli.SignalContext(context.Background())
	defer stop()
	return cli.Main(ctx, os.Args[1:], cli.SystemStreams(), os.Getenv,
		cli.BuildInfo{Version: version, Commit: commit, Date: date})
}
