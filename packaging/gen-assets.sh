#!/bin/sh
# goreleaser's before-hook: man pages and shell completions from this tree's
# commands into build/ (gitignored), for the deb and rpm packages. The man
# pages' date is the last commit's (SOURCE_DATE_EPOCH), so a rebuild of the
# same commit writes the same bytes. Touches nothing tracked.
# Usage: sh packaging/gen-assets.sh [VERSION]   (goreleaser passes its version)
set -eu
cd "$(dirname "$0")/.."
rm -rf build/man build/completions
mkdir -p build/man build/completions
go build -ldflags "-X main.version=${1:-dev}" -o build/tykportal-host ./cmd/tykportal
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
./build/tykportal-host gen-docs --man build/man
gzip -9 -n build/man/*.1
for sh in bash zsh fish; do
  ./build/tykportal-host completion "$sh" >"build/completions/tykportal.$sh"
done
rm build/tykportal-host
