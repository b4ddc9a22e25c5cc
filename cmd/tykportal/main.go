// Command tykportal is the headless admin tool for Tyk API providers,
// products, plans and credentials.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tykportal/tykportal/internal/cli"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, os.Args[1:], cli.SystemStreams(), os.Getenv,
		cli.BuildInfo{Version: version, Commit: commit, Date: date})
}
