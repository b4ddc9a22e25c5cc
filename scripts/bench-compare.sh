#!/usr/bin/env bash
# The real binary of this tree against the one of REV, in one interleaved
# run on the same simulator (its own process, 20 ms per request): first
# sync of 10,000 policies + 2,000 APIs, second sync (nothing changed), each
# beside the transfer bound measured in the same round, and
# `products list -o json` over ~10,000 products. Then the Go benchmarks of
# both trees, one after the other.
# Usage: ./scripts/bench-compare.sh REV [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: $0 REV [ROUNDS]}
rounds=${2:-9}
work=$(mktemp -d "${TMPDIR:-/tmp}/tykportal-compare.XXXXXX")
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
  wait 2>/dev/null || true
  git worktree remove --force "$work/old" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

git worktree add --detach "$work/old" "$rev" >/dev/null 2>&1
echo "== machine: $(nproc) cores, $(go version | cut -d' ' -f3-); new = $(git rev-parse --short HEAD), old = $(git -C "$work/old" rev-parse --short HEAD)"
go build -o "$work/new" ./cmd/tykportal
(cd "$work/old" && go build -o "$work/oldbin" ./cmd/tykportal)
go build -o "$work/dashboard-sim" ./cmd/dashboard-sim

start_sim() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -f "$work/url"
  "$work/dashboard-sim" --generate-policies "$1" --generate-apis "$2" --generate-org bench-org --latency "${3:-0s}" --url-file "$work/url" >/dev/null 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 400); do [ -s "$work/url" ] && break; sleep 0.05; done
  url=$(cat "$work/url")
}

echo "== $rounds interleaved rounds: bound, new first/second sync, old first/second sync (20 ms latency)"
start_sim 10000 2000 20ms
python3 - "$work" "$url" "$rounds" <<'PY'
import os, shutil, statistics, subprocess, sys, time
work, url, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
bins = {"new": os.path.join(work, "new"), "old": os.path.join(work, "oldbin")}
env = dict(os.environ, TYKPORTAL_SECRET_BENCH="bench-admin-key")
def ms(t): return (time.perf_counter() - t) * 1000
def bound():
    t = time.perf_counter()
    ps = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", "-H", "Authorization: bench-admin-key", url + p])
          for p in ("/api/portal/policies?p=-2", "/api/apis?p=-2")]
    for p in ps: p.wait()
    return ms(t)
def timed(args, e):
    t = time.perf_counter()
    subprocess.run(args, env=e, check=True, stdout=subprocess.DEVNULL)
    return ms(t)
B, R = [], {k: {"first": [], "second": []} for k in bins}
for i in range(rounds):
    B.append(bound())
    order = list(bins) if i % 2 == 0 else list(reversed(list(bins)))
    for name in order:
        d = os.path.join(work, "r-%s-%d" % (name, i))
        e = dict(env, TYKPORTAL_DB=os.path.join(d, "t.db"))
        subprocess.run([bins[name], "provider", "add", "bench", "--url", url, "--skip-check", "--org-id", "bench-org", "-q"], env=e, check=True)
        R[name]["first"].append(timed([bins[name], "sync", "-q", "--allow-mass-hide"], e))
        R[name]["second"].append(timed([bins[name], "sync", "-q"], e))
        shutil.rmtree(d)
med = statistics.median
b = med(B)
print("   bound: median %.0f ms" % b)
for name in bins:
    f, s = med(R[name]["first"]), med(R[name]["second"])
    print("   %s: first sync %.0f ms = %.2fx the bound; second sync %.0f ms = %.2fx" % (name, f, f / b, s, s / b))
PY

echo "== products list -o json over ~10,000 products (16,700 generated policies), interleaved, 11 runs each"
start_sim 16700 3340
for name in new oldbin; do
  TYKPORTAL_DB="$work/list-$name/t.db" TYKPORTAL_SECRET_BENCH=bench-admin-key "$work/$name" provider add bench --url "$url" --skip-check --org-id bench-org -q
  TYKPORTAL_DB="$work/list-$name/t.db" TYKPORTAL_SECRET_BENCH=bench-admin-key "$work/$name" sync -q --allow-mass-hide >/dev/null
done
python3 - "$work" <<'PY'
import os, statistics, subprocess, sys, time
work = sys.argv[1]
T = {"new": [], "oldbin": []}
for i in range(11):
    for name in (["new", "oldbin"] if i % 2 == 0 else ["oldbin", "new"]):
        e = dict(os.environ, TYKPORTAL_DB=os.path.join(work, "list-" + name, "t.db"))
        t = time.perf_counter()
        subprocess.run([os.path.join(work, name), "products", "list", "-o", "json"], env=e, check=True, stdout=subprocess.DEVNULL)
        T[name].append((time.perf_counter() - t) * 1000)
for name, label in (("new", "new"), ("oldbin", "old")):
    print("   %s: median %.1f ms (min %.1f, max %.1f)" % (label, statistics.median(T[name]), min(T[name]), max(T[name])))
PY

echo "== Go benchmarks, new tree then old tree"
for tree in . "$work/old"; do
  echo "-- $( [ "$tree" = . ] && echo new || echo old )"
  (cd "$tree" && BENCH_NAIVE=0 go test -run '^$' -bench 'FullSync10k' -benchtime 1x -timeout 30m ./pkg/sync/ | grep -E '^Benchmark')
  (cd "$tree" && go test -run '^$' -bench 'Apply10kChanges|SecondSync10k|Compute10k' -benchtime 5x ./pkg/sync/ | grep -E '^Benchmark')
done
