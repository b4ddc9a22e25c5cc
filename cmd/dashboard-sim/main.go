// Command dashboard-sim serves the in-memory Tyk Dashboard simulator on a
// loopback address, for the demo, scripts and benchmarks.
//
//	dashboard-sim --addr 127.0.0.1:0 --data testdata/dashboard --url-file /tmp/url
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard-sim:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	data := flag.String("data", "", "seed directory (users.json, apis.json, policies.json)")
	pageSize := flag.Int("page-size", 10, "page size of list answers")
	legacy := flag.Bool("legacy", false, "ignore p<0 (answer page 1 of N)")
	latency := flag.Duration("latency", 0, "latency added to every API request")
	genPolicies := flag.Int("generate-policies", 0, "generate N policies into --generate-org")
	genAPIs := flag.Int("generate-apis", 0, "generate M APIs into --generate-org")
	genOrg := flag.String("generate-org", "5fd08e0f69710900018bc195", "org of generated data")
	seed := flag.Int64("seed", 1, "seed of generated data and ids")
	urlFile := flag.String("url-file", "", "write the base URL to this file once listening")
	usersMe401 := flag.Bool("users-me-401", false, "answer /api/users/me 401, as a Dashboard that wants a session cookie there does")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %q: the simulator listens on loopback addresses only", *addr)
	}
	opts := dashboardtest.Defaults()
	opts.PageSize, opts.Legacy, opts.Latency, opts.Seed = *pageSize, *legacy, *latency, *seed
	opts.UsersMeUnauthorized = *usersMe401
	sim := dashboardtest.New(opts)
	if *data != "" {
		if err := sim.LoadDir(*data); err != nil {
			return err
		}
	}
	if *genPolicies > 0 || *genAPIs > 0 {
		sim.Generate(*genOrg, *genPolicies, *genAPIs, *seed)
		sim.AddUser(dashboardtest.User{OrgID: *genOrg, Email: "bench@example.com", AccessKey: "bench-admin-key", Active: true})
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if *urlFile != "" {
		tmp := *urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(url+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, *urlFile); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, "dashboard-sim listening on", url)
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
