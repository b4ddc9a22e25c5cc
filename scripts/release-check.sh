#!/usr/bin/env bash
# Checks the release recipe without publishing: `goreleaser check`, a
# snapshot release for linux/amd64 only (deb and rpm included), then the
# deb's contents, and `systemd-analyze verify` of the units where it exists.
# goreleaser is not a module dependency: it is installed at a pinned version
# into a cache directory unless GORELEASER names a binary.
# Usage: ./scripts/release-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version=v2.17.0
gr=${GORELEASER:-}
if [ -z "$gr" ]; then
  bin="${XDG_CACHE_HOME:-$HOME/.cache}/tykportal/goreleaser-$version"
  if [ ! -x "$bin/goreleaser" ]; then
    echo "installing goreleaser $version into $bin"
    GOBIN="$bin" go install "github.com/goreleaser/goreleaser/v2@$version"
  fi
  gr="$bin/goreleaser"
fi

echo "== goreleaser check"
"$gr" check

# goreleaser's release has no single-target switch: a copy of the config
# limited to linux/amd64 drives the snapshot.
work=$(mktemp -d "${TMPDIR:-/tmp}/tykportal-release.XXXXXX")
trap 'rm -rf "$work"' EXIT
cfg="$work/goreleaser-linux-amd64.yaml"
sed -e 's/^    goos: \[linux, darwin, windows\]$/    goos: [linux]/' \
    -e 's/^    goarch: \[amd64, arm64\]$/    goarch: [amd64]/' .goreleaser.yaml >"$cfg"
grep -q '^    goos: \[linux\]$' "$cfg" && grep -q '^    goarch: \[amd64\]$' "$cfg" || {
  echo "FAIL: could not limit .goreleaser.yaml to linux/amd64 (its goos/goarch lines changed)" >&2
  exit 1
}

echo "== goreleaser release --snapshot (linux/amd64)"
before=$(git status --porcelain --untracked-files=no; git diff)
"$gr" release --config "$cfg" --snapshot --clean --skip=publish

if [ "$(git status --porcelain --untracked-files=no; git diff)" != "$before" ]; then
  echo "FAIL: the release (its before-hooks) modified tracked files:" >&2
  git status --short --untracked-files=no >&2
  exit 1
fi

debs=(dist/*_linux_amd64.deb)
[ -f "${debs[0]}" ] || { echo "FAIL: no linux/amd64 deb in dist/" >&2; exit 1; }
deb=${debs[0]}
rpms=(dist/*_linux_amd64.rpm)
[ -f "${rpms[0]}" ] || { echo "FAIL: no linux/amd64 rpm in dist/" >&2; exit 1; }
echo "== contents of $deb"
listing=$(dpkg-deb -c "$deb")
fail=0
want=(
  ./usr/bin/tykportal
  ./usr/share/man/man1/tykportal.1.gz
  ./usr/share/man/man1/tykportal-watch.1.gz
  ./usr/share/man/man1/tykportal-sync.1.gz
  ./usr/share/bash-completion/completions/tykportal
  ./usr/share/zsh/vendor-completions/_tykportal
  ./usr/share/fish/vendor_completions.d/tykportal.fish
  ./usr/lib/systemd/system/tykportal-watch.service
  ./usr/lib/systemd/system/tykportal-sync.service
  ./usr/lib/systemd/system/tykportal-sync.timer
  ./etc/tykportal/tykportal.env
)
for f in "${want[@]}"; do
  if grep -q " $f\$" <<<"$listing"; then
    echo "ok   $f"
  else
    echo "FAIL: $deb lacks $f" >&2
    fail=1
  fi
done
# One man page per command the binary has (gen-docs writes them; its test
# checks that against the command tree): at least the 40 of today.
pages=$(grep -c ' ./usr/share/man/man1/tykportal.*\.1\.gz$' <<<"$listing" || true)
echo "man pages: $pages"
[ "$pages" -ge 40 ] || { echo "FAIL: only $pages man pages in $deb" >&2; fail=1; }
if ! grep -q '^-rw------- root/root .* ./etc/tykportal/tykportal.env$' <<<"$listing"; then
  echo "FAIL: /etc/tykportal/tykportal.env is not mode 0600 root:root in $deb" >&2
  fail=1
fi
dpkg-deb -e "$deb" "$work/control"
grep -q useradd "$work/control/postinst" || { echo "FAIL: the deb's postinst creates no user" >&2; fail=1; }

echo "== systemd-analyze verify"
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify checks that ExecStart is executable: copies of the units point
  # at the binary the snapshot built.
  built=$(ls dist/tykportal_linux_amd64*/tykportal | head -n1)
  root="$work/units"
  mkdir -p "$root"
  for u in packaging/systemd/*; do
    sed "s|/usr/bin/tykportal|$PWD/$built|" "$u" >"$root/$(basename "$u")"
  done
  # verify exits 0 on an unknown key or a bad value (it only warns):
  # any word from it fails the check.
  status=0
  out=$(cd "$root" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
    ./tykportal-watch.service ./tykportal-sync.service ./tykportal-sync.timer 2>&1) || status=$?
  if [ "$status" -ne 0 ] || [ -n "$out" ]; then
    echo "$out" >&2
    echo "FAIL: systemd-analyze verify (exit $status)" >&2
    fail=1
  else
    echo "ok   units verified"
  fi
else
  echo "SKIP: systemd-analyze not found"
fi
exit $fail
