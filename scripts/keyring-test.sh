#!/usr/bin/env bash
# The real OS-keyring test: a private D-Bus session with an unlocked
# gnome-keyring, then `go test -tags keyring ./pkg/secret/`. Says SKIP (and
# exits 0) when the programs are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=""
for p in dbus-run-session gnome-keyring-daemon; do
  command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "SKIP: real keyring test (missing:$missing; apt-get install -y gnome-keyring dbus-x11 libsecret-tools)"
  exit 0
fi
dbus-run-session -- sh -c '
  set -e
  export XDG_DATA_HOME="$(mktemp -d)"
  # An empty password on stdin creates and unlocks the login keyring.
  eval "$(printf "\n" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  go test -count=1 -tags keyring -run TestRealKeyring -v ./pkg/secret/
'
