#!/bin/sh
# Stops the units before their files go; the user, /etc/tykportal and the
# state in /var/lib/tykportal are kept (the catalogue outlives the package).
set -e
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now tykportal-watch.service tykportal-sync.timer >/dev/null 2>&1 || true
fi
exit 0
