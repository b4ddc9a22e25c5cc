#!/usr/bin/env bash
# Performance figures of issue 9, each printed beside what it is compared
# with in the same run:
#   - Go benchmarks (pkg/sync, pkg/dashboard): full sync of 10,000 policies
#     and 2,000 APIs at 20 ms latency vs the transfer lower bound and a naive
#     sequential client; legacy paging vs pages/concurrency x latency; local
#     apply and second-sync times.
#   - the real binary: peak RSS of a sync at 1k, 10k and 50k policies,
#     `products list -o json` over 10,000 products, `version` start-up.
# Usage: ./scripts/bench.sh [--quick | --postgres]
#   --quick skips the ~25 s naive walk; --postgres runs the PostgreSQL part only.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false pgonly=false
case "${1:-}" in
--quick) quick=true ;;
--postgres) pgonly=true ;;
"") ;;
*) echo "usage: $0 [--quick | --postgres]" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/tykportal-bench.XXXXXX")
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(go version | cut -d' ' -f3-)"
go build -o "$work/tykportal" ./cmd/tykportal
go build -o "$work/dashboard-sim" ./cmd/dashboard-sim

if ! $pgonly; then
echo "== Go benchmarks"
naive=1; $quick && naive=0
BENCH_NAIVE=$naive go test -run '^$' -bench 'FullSync10k|LegacySync10k' -benchtime 1x -timeout 30m ./pkg/sync/ | grep -E '^Benchmark'
go test -run '^$' -bench 'Apply10kChanges|SecondSync10k|Compute10k' -benchtime 5x ./pkg/sync/ | grep -E '^Benchmark'
go test -run '^$' -bench 'ListPolicies10k' -benchtime 5x ./pkg/dashboard/ | grep -E '^Benchmark'
fi

# start_sim POLICIES APIS [LATENCY]: (re)start the simulator with generated
# data and set $url. Not called in $(...): the background process would keep
# the substitution's pipe open.
start_sim() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -f "$work/url"
  "$work/dashboard-sim" --generate-policies "$1" --generate-apis "$2" --generate-org bench-org --latency "${3:-0s}" --url-file "$work/url" >/dev/null 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 400); do [ -s "$work/url" ] && break; sleep 0.05; done
  url=$(cat "$work/url")
}

# rss_ms CMD...: run once, print "max RSS in MB, wall ms" (python's resource
# module reads the child's peak RSS).
rss_ms() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
ms = (time.perf_counter() - t) * 1000
print("%.1f MB peak RSS, %.0f ms" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, ms))
PY
}

# median_ms N CMD...: the median wall time of N runs.
median_ms() {
  python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print("median %.1f ms over %d runs (min %.1f, max %.1f)" % (statistics.median(times), n, min(times), max(times)))
PY
}

if ! $pgonly; then
echo "== the real binary against the simulator as its own process (as a Dashboard is), 20 ms latency"
echo "   11 rounds of: transfer bound (two concurrent curl GETs of the p=-2 answers, bodies discarded),"
echo "   first sync into a fresh state file, second sync (nothing changed); medians, the median of each"
echo "   round's own ratio, and the client's CPU time (user+sys), which the machine's noise moves least"
start_sim 10000 2000 20ms
python3 - "$work/tykportal" "$url" "$work" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time
binary, url, work = sys.argv[1:]
env = dict(os.environ, TYKPORTAL_SECRET_BENCH="bench-admin-key")
def ms(t): return (time.perf_counter() - t) * 1000
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000
def bound():
    t = time.perf_counter()
    ps = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", "-H", "Authorization: bench-admin-key", url + p])
          for p in ("/api/portal/policies?p=-2", "/api/apis?p=-2")]
    for p in ps:
        p.wait()
    return ms(t)
def timed(args, e):
    c, t = cpu(), time.perf_counter()
    subprocess.run(args, env=e, check=True, stdout=subprocess.DEVNULL)
    return ms(t), cpu() - c
B, S, R, SC, RC = [], [], [], [], []
for i in range(11):
    d = os.path.join(work, "round-%d" % i)
    e = dict(env, TYKPORTAL_DB=os.path.join(d, "t.db"))
    subprocess.run([binary, "provider", "add", "bench", "--url", url, "--skip-check", "--org-id", "bench-org", "-q"], env=e, check=True)
    B.append(bound())
    s, sc = timed([binary, "sync", "-q", "--allow-mass-hide"], e)
    r, rc = timed([binary, "sync", "-q"], e)
    S.append(s); SC.append(sc); R.append(r); RC.append(rc)
    shutil.rmtree(d)
med = statistics.median
b, s, r = med(B), med(S), med(R)
print("   bound %.0f ms; first sync %.0f ms = %.2fx the bound (goal 1.5x; median of the rounds' own ratios %.2fx)"
      % (b, s, s / b, med([x / y for x, y in zip(S, B)])))
print("   second sync %.0f ms = %.2fx (rounds' ratios %.2fx); client CPU: first sync %.0f ms, second %.0f ms"
      % (r, r / b, med([x / y for x, y in zip(R, B)]), med(SC), med(RC)))
print("   rounds: bound %s; first %s; second %s" % ([round(x) for x in B], [round(x) for x in S], [round(x) for x in R]))
PY

echo "== peak memory of a first sync with the real binary (growth should be linear)"
export TYKPORTAL_SECRET_BENCH=bench-admin-key
for n in 1000 10000 50000; do
  start_sim "$n" $((n / 5))
  export TYKPORTAL_DB="$work/state-$n/tykportal.db"
  "$work/tykportal" provider add bench --url "$url" --skip-check --org-id bench-org -q
  printf '%6d policies: ' "$n"; rss_ms "$work/tykportal" sync -q --allow-mass-hide
done

echo "== the real binary over about 10,000 products (16,700 generated policies)"
start_sim 16700 3340
export TYKPORTAL_DB="$work/state-list/tykportal.db"
"$work/tykportal" provider add bench --url "$url" --skip-check --org-id bench-org -q
"$work/tykportal" sync -q --allow-mass-hide >/dev/null
printf 'products list -o json (%s products): ' "$("$work/tykportal" products list -o json | grep -c '"policy_id"')"
median_ms 10 "$work/tykportal" products list -o json
printf 'version start-up: '
median_ms 20 "$work/tykportal" version

fi

# PostgreSQL (issue "A shared catalogue on PostgreSQL"), each figure beside
# its bbolt counterpart from the same run:
#   - Go benchmarks: the first sync of 10,000 policies + 2,000 APIs and the
#     cron resync on both backends and the transfer bound
#     (BenchmarkFullSync10kPostgres, its own pgtest server, fsync off); the
#     local parts alone; pgstore's write and read paths beside other ways
#     to write the same rows.
#   - the real binary against a throwaway server this script starts (initdb
#     + pg_ctl on a free 127.0.0.1 port, as nobody under root, password auth
#     over TCP, fsync on as bbolt's commits are): first sync and resync vs
#     bbolt and the bound, `products list -o json` over ~10,000 products.
# Goals: PostgreSQL within 2x of bbolt, its first sync within 2x the bound,
# `products list -o json` under 300 ms. Figures only, no assertion.
pgbin=""
if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
  pgbin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
else
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && pgbin=$d; done
fi
if [ -z "$pgbin" ]; then
  echo "== PostgreSQL: skipped, initdb and pg_ctl not found (apt-get install -y postgresql)"
  exit 0
fi

echo "== Go benchmarks, PostgreSQL beside bbolt"
go test -run '^$' -bench 'FullSync10kPostgres' -benchtime 1x -timeout 30m ./pkg/sync/ | grep -E '^Benchmark'
go test -run '^$' -bench '^(BenchmarkApply10kChanges|BenchmarkSecondSync10k)(Postgres)?$' -benchtime 5x ./pkg/sync/ | grep -E '^Benchmark'
go test -run '^$' -bench 'Write10k|PutHistory|List10k|Open' -benchtime 10x ./pkg/store/pgstore/ | grep -E '^Benchmark'

pgdir=$(mktemp -d "${TMPDIR:-/tmp}/tykportal-bench-pg.XXXXXX")
pgrun() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
pg_cleanup() {
  pgrun "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
  cleanup
}
trap pg_cleanup EXIT
pgpass=bench-pg-password
printf '%s\n' "$pgpass" >"$pgdir/pwfile"
if [ "$(id -u)" = 0 ]; then chown -R nobody "$pgdir"; fi
chmod 700 "$pgdir"
pgrun "$pgbin/initdb" -D "$pgdir/data" -U postgres --pwfile "$pgdir/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C >"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log"; exit 1; }
pgport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pgrun "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$pgdir -c max_connections=200" start >/dev/null
echo "== a throwaway PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pgport (fsync on, synchronous_commit on)"
export TYKPORTAL_SECRET_BENCH=bench-admin-key
# pg_url NAME: a new, migrated database; its URL in $pgurl.
pg_url() {
  "$pgbin/createdb" -h "$pgdir" -p "$pgport" -U postgres "$1"
  pgurl="postgres://postgres:$pgpass@127.0.0.1:$pgport/$1?sslmode=disable"
  TYKPORTAL_DB=$pgurl "$work/tykportal" db migrate -q >/dev/null
}

echo "== the real binary: first sync and resync, PostgreSQL vs bbolt, 20 ms latency"
echo "   11 rounds of: bound (two concurrent curl GETs), then first sync + resync on bbolt and on"
echo "   PostgreSQL (a new database each round), the backends' order alternating; medians, and the"
echo "   median of each round's own ratio"
start_sim 10000 2000 20ms
for i in $(seq 0 10); do pg_url "sync$i"; echo "$pgurl"; done >"$work/pgurls"
python3 - "$work/tykportal" "$url" "$work" "$work/pgurls" <<'PY'
import os, shutil, statistics, subprocess, sys, time
binary, url, work, urls = sys.argv[1:]
urls = open(urls).read().split()
env = dict(os.environ, TYKPORTAL_SECRET_BENCH="bench-admin-key")
def ms(t): return (time.perf_counter() - t) * 1000
def bound():
    t = time.perf_counter()
    ps = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", "-H", "Authorization: bench-admin-key", url + p])
          for p in ("/api/portal/policies?p=-2", "/api/apis?p=-2")]
    for p in ps:
        p.wait()
    return ms(t)
def timed(args, e):
    t = time.perf_counter()
    subprocess.run(args, env=e, check=True, stdout=subprocess.DEVNULL)
    return ms(t)
def syncs(db):
    e = dict(env, TYKPORTAL_DB=db)
    subprocess.run([binary, "provider", "add", "bench", "--url", url, "--skip-check", "--org-id", "bench-org", "-q"], env=e, check=True)
    return timed([binary, "sync", "-q", "--allow-mass-hide"], e), timed([binary, "sync", "-q"], e)
B, BF, BR, PF, PR = [], [], [], [], []
for i in range(11):
    d = os.path.join(work, "pg-round-%d" % i)
    B.append(bound())
    order = [("bolt", os.path.join(d, "t.db")), ("pg", urls[i])]
    if i % 2:
        order.reverse()
    for name, db in order:
        f, r = syncs(db)
        (BF if name == "bolt" else PF).append(f)
        (BR if name == "bolt" else PR).append(r)
    shutil.rmtree(d)
med = statistics.median
def ratio(a, b): return med([x / y for x, y in zip(a, b)])
print("   bound %.0f ms" % med(B))
print("   first sync: bbolt %.0f ms (%.2fx the bound), PostgreSQL %.0f ms (%.2fx the bound, goal 2x; %.2fx bbolt, goal 2x)"
      % (med(BF), ratio(BF, B), med(PF), ratio(PF, B), ratio(PF, BF)))
print("   resync:     bbolt %.0f ms, PostgreSQL %.0f ms (%.2fx bbolt, goal 2x)" % (med(BR), med(PR), ratio(PR, BR)))
print("   rounds: bound %s; bbolt %s / %s; PostgreSQL %s / %s" % tuple([round(x) for x in v] for v in (B, BF, BR, PF, PR)))
PY

echo "== products list -o json over about 10,000 products (16,700 generated policies), PostgreSQL vs bbolt"
start_sim 16700 3340
pg_url list
for db in "$work/state-pg-list/tykportal.db" "$pgurl"; do
  TYKPORTAL_DB=$db "$work/tykportal" provider add bench --url "$url" --skip-check --org-id bench-org -q
  TYKPORTAL_DB=$db "$work/tykportal" sync -q --allow-mass-hide >/dev/null
done
python3 - "$work/tykportal" "$work/state-pg-list/tykportal.db" "$pgurl" <<'PY'
import os, statistics, subprocess, sys, time
binary, bolt, pg = sys.argv[1:]
def run(db):
    t = time.perf_counter()
    out = subprocess.run([binary, "products", "list", "-o", "json"], env=dict(os.environ, TYKPORTAL_DB=db), check=True, capture_output=True).stdout
    return (time.perf_counter() - t) * 1000, out
times = {"bolt": [], "pg": []}
outs = {}
for i in range(21):
    for name, db in (("bolt", bolt), ("pg", pg)) if i % 2 else (("pg", pg), ("bolt", bolt)):
        ms, out = run(db)
        times[name].append(ms)
        outs[name] = out
import json
ids = {k: sorted(p["policy_id"] for p in json.loads(v)) for k, v in outs.items()}
b, p = statistics.median(times["bolt"]), statistics.median(times["pg"])
print("   %d products (%.1f MB of JSON): bbolt median %.0f ms, PostgreSQL median %.0f ms (goal < 300 ms; %.2fx bbolt);"
      " min %.0f / %.0f, max %.0f / %.0f" % (len(ids["pg"]), len(outs["pg"]) / 1e6, b, p, p / b,
      min(times["bolt"]), min(times["pg"]), max(times["bolt"]), max(times["pg"])))
print("   the same products on both backends: %s" % (ids["pg"] == ids["bolt"] and "yes" or "NO, they differ"))
PY
