#!/usr/bin/env bash
# The main job, end to end: build tykportal and the bundled Dashboard simulator,
# start the simulator on a free 127.0.0.1 port, add a provider (secret from the
# environment, a throwaway state file), test it, sync, list, then take a tag off
# a policy in the simulator, sync again (the product is hidden), put the tag
# back and sync (restored with its display name and published state).
# Everything lives in a temp directory removed on exit, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "the demo needs curl to change the simulator (apt-get install -y curl)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tykportal-demo.XXXXXX")
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold=$'\e[1m'; off=$'\e[0m'
[ -t 1 ] || { bold=""; off=""; }
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
# quote prints one word as a shell reads it back: bare when that is safe,
# else in single quotes (a ' inside as '\''), so that an echoed command can
# be copied and pasted as it is.
quote() {
  local sq="'\\''"
  case $1 in
    '') printf "''" ;;
    *[!A-Za-z0-9_./:=@%+,-]*) printf "'%s'" "${1//\'/$sq}" ;;
    *) printf '%s' "$1" ;;
  esac
}
run() {
  local line="" word
  for word in "$@"; do line+="${line:+ }$(quote "$word")"; done
  printf '%s$ %s%s\n' "$bold" "$line" "$off"
  "$@"
}

step "Build"
go build -o "$work/bin/tykportal" ./cmd/tykportal
go build -o "$work/bin/dashboard-sim" ./cmd/dashboard-sim
export PATH="$work/bin:$PATH"

step "Start the Dashboard simulator (seed: testdata/dashboard)"
dashboard-sim --addr 127.0.0.1:0 --data testdata/dashboard --url-file "$work/url" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
[ -s "$work/url" ] || { echo "the simulator did not start:"; cat "$work/sim.log"; exit 1; }
url=$(cat "$work/url")
echo "Dashboard simulator at $url"

export TYKPORTAL_DB="$work/state/tykportal.db"
# cron-style: the secret comes from the environment and is never stored
export TYKPORTAL_SECRET_DEMO="demo-admin-key-org1"

step "Add the provider and check it"
run tykportal provider add demo --url "$url" --policy-tags portal
run tykportal provider list
run tykportal provider test demo

step "First sync: policies become placeholder products and plans"
run tykportal sync
run tykportal products list
run tykportal plans list

# the first product's fields, read from the JSON document (no jq needed)
first=$(tykportal products list -o json)
field() { printf '%s\n' "$first" | sed -n "s/^    \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }
pid=$(field id)
pname=$(field name)
pmid=$(field policy_mid)
step "Give product $pid a display name and publish it"
run tykportal products edit "$pid" --display-name "$pname (public)" --description "Published to partners by the demo"
run tykportal products publish "$pid"

step "In the Dashboard, the policy \"$pname\" loses its 'portal' tag"
run curl -fsS -X POST "$url/__sim/policies/$pmid/tags" -d '{"remove":["portal"]}'
echo
run tykportal sync
run tykportal products list --hidden

step "The tag comes back: the product is restored with its configuration"
run curl -fsS -X POST "$url/__sim/policies/$pmid/tags" -d '{"add":["portal"]}'
echo
run tykportal sync
run tykportal products show "$pid"

step "Status"
run tykportal status
