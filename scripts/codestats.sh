#!/usr/bin/env bash
# Code figures of the tree (or of DIR): lines of Go per package (tests
# apart), the longest cobra RunE bodies, and the lines of hand-written JSON
# code (the files that encode or decode JSON by hand rather than through a
# library). Usage: ./scripts/codestats.sh [DIR]
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$dir"

echo "== lines of Go per package (code / tests)"
for d in $(find . -name '*.go' -not -path './.git/*' -not -path './testdata/*' -printf '%h\n' | sort -u); do
  code=$(find "$d" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cat {} + 2>/dev/null | wc -l)
  tests=$(find "$d" -maxdepth 1 -name '*_test.go' -exec cat {} + 2>/dev/null | wc -l)
  printf '%6d %6d  %s\n' "$code" "$tests" "${d#./}"
done
printf '%6d %6d  total\n' \
  "$(find . -name '*.go' ! -name '*_test.go' -not -path './.git/*' -exec cat {} + | wc -l)" \
  "$(find . -name '*_test.go' -not -path './.git/*' -exec cat {} + | wc -l)"

echo "== the ten longest RunE bodies (lines, file:line)"
for f in $(find . -name '*.go' ! -name '*_test.go' -not -path './.git/*'); do
  awk -v f="$f" '
    /RunE: func/ { match($0, /^\t*/); depth = RLENGTH; start = NR; inside = 1; next }
    inside { match($0, /^\t*/); if (RLENGTH == depth && $0 ~ /^\t*},?$/) { print NR - start - 1, f ":" start; inside = 0 } }
  ' "$f"
done | sort -rn | head -10

echo "== hand-written JSON code (lines): files named for JSON work (json, scan, decode, codec, fast)"
total=0
for f in $(find . -name '*.go' ! -name '*_test.go' -not -path './.git/*' | grep -E '/[a-z]*(json|scan|decode|codec|fast)[a-z]*\.go$' | sort); do
  n=$(wc -l < "$f"); total=$((total + n)); printf '%6d  %s\n' "$n" "${f#./}"
done
printf '%6d  total\n' "$total"
