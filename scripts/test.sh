#!/usr/bin/env bash
# Runs every test: formatting, go vet, the race-enabled unit and end-to-end
# suites, then the real-keyring integration test (inside its own D-Bus session
# with an unlocked gnome-keyring, or a clear SKIP when those are missing).
#   ./scripts/test.sh          the CI-fast suite
#   ./scripts/test.sh --long   also each fuzz target for a bounded time (FUZZTIME, default 20s)
set -euo pipefail
cd "$(dirname "$0")/.."

long=false
[ "${1:-}" = "--long" ] && long=true

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files are not formatted:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
# The end-to-end package runs every script on bbolt and on PostgreSQL and
# takes more than go test's default 10 minutes under the race detector.
go test -race -count=1 -timeout 45m ./...

echo "== real keyring"
./scripts/keyring-test.sh

if $long; then
  fuzztime=${FUZZTIME:-20s}
  echo "== fuzz ($fuzztime each)"
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
      echo "-- $pkg $target"
      go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
    done
  done
fi
echo "all tests passed"
