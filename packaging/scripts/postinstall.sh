#!/bin/sh
# Creates the tykportal system user the units run as, and the directory of
# the environment file, readable by root only.
set -e
if ! getent group tykportal >/dev/null 2>&1; then
  groupadd --system tykportal
fi
if ! getent passwd tykportal >/dev/null 2>&1; then
  useradd --system --gid tykportal --home-dir /var/lib/tykportal --no-create-home \
    --shell /usr/sbin/nologin --comment "tykportal watch" tykportal
fi
install -d -m 0700 -o root -g root /etc/tykportal
if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
