#!/usr/bin/env bash
# The sample series in shards, merged, against a single run; a broken scan, its failed shard,
# `amfm status` and the resubmission.
#   tests/test_slurm.sh cluster AMFM    a throwaway single-node SLURM cluster (munge, slurmctld,
#                                       slurmd) in a temporary folder: `series --slurm --shards 3`
#   tests/test_slurm.sh parallel AMFM   the workstation path: `series --shard` under GNU parallel
# Exit 0 passed, 77 skipped (with the reason), anything else failed.
set -euo pipefail
mode=$1
amfm=$(realpath "$2")
src=$(cd "$(dirname "$0")/.." && pwd)
skip() { echo "test_slurm: SKIP: $*"; exit 77; }
t0=$EPOCHREALTIME
stamp() { python3 -c "import sys; print(f'test_slurm: {float(sys.argv[1]) - float(sys.argv[2]):6.1f} s  {sys.argv[3]}')" \
          "$EPOCHREALTIME" "$t0" "$*"; }
fail() { echo "test_slurm: FAIL: $*"; exit 1; }

# Every file of a single run equals the merged folder's byte for byte, but the provenance
# fields README lists (regions.json: amfm.command, amfm.created, run.seconds_*); the merged
# folder also holds shards/ and slurm/.
compare() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
single, merged = sys.argv[1:3]
def files(top):
    out = []
    for d, dirs, names in os.walk(top):
        if d == top:
            dirs[:] = [x for x in dirs if x not in ("shards", "slurm")]
        out += [os.path.relpath(os.path.join(d, n), top) for n in names]
    return sorted(out)
def scrub(doc):
    doc["amfm"]["command"] = doc["amfm"]["created"] = None
    doc["run"] = {k: (None if k.startswith("seconds_") else v) for k, v in doc["run"].items()}
    return doc
a, b = files(single), files(merged)
assert a == b, f"file lists differ: {sorted(set(a) ^ set(b))}"
n_provenance = 0
for f in a:
    x = open(os.path.join(single, f), "rb").read()
    y = open(os.path.join(merged, f), "rb").read()
    if x == y:
        continue
    assert f.endswith("regions.json"), f"{f} differs"
    assert scrub(json.loads(x)) == scrub(json.loads(y)), f"{f} differs beyond the provenance fields"
    n_provenance += 1
print(f"test_slurm: {len(a)} files equal, {n_provenance} regions.json differ in provenance fields only")
PY
}

tmp=$(mktemp -d /tmp/amfm-slurm.XXXXXX)
chmod 755 "$tmp"
cd "$tmp"
cp -r "$src/sample_maps" data

if [ "$mode" = parallel ]; then
  command -v parallel >/dev/null || skip "GNU parallel not installed (scripts/install-deps.sh installs it)"
  trap 'rm -rf "$tmp"' EXIT
  "$amfm" series data/series.yaml --out single -q
  stamp "single run"
  parallel --halt now,fail=1 -j 2 "$amfm" series data/series.yaml --shard {}/3 --out par/shards/shard_{} -q ::: 0 1 2
  stamp "three shards under parallel -j 2"
  "$amfm" status par | tee status.txt
  [ "$(grep -c ' done ' status.txt)" = 3 ] || fail "status does not list three done shards"
  rc=0; "$amfm" merge par/shards/shard_0 par/shards/shard_1 --out partial -q 2>err.txt || rc=$?
  [ $rc = 3 ] && grep -q "shards missing: 2/3 (cycle_030)" err.txt || fail "incomplete merge not refused: $(cat err.txt)"
  "$amfm" merge par/shards/shard_0 par/shards/shard_1 par/shards/shard_2 --out par -q
  compare single par
  printf 'broken' > data/cycle_030/df2.tif
  rc=0; parallel --halt now,fail=1 -j 2 "$amfm" series data/series.yaml --shard {}/3 --out par/shards/shard_{} -q \
    ::: 0 1 2 2>/dev/null || rc=$?
  [ $rc != 0 ] || fail "parallel did not report the failed shard"
  rc=0; "$amfm" status par > status.txt || rc=$?
  cat status.txt
  [ $rc = 3 ] && grep -q "shard 2/3 *failed" status.txt && grep -q "cycle_030: .*df2.tif" status.txt ||
    fail "status does not name the failed shard and scan"
  stamp "passed"
  exit 0
fi

[ "$mode" = cluster ] || fail "mode: cluster or parallel"
command -v slurmctld >/dev/null || skip "slurmctld not installed (scripts/install-deps.sh installs SLURM)"
[ "$(id -u)" = 0 ] || skip "needs root to start a throwaway SLURM cluster (munged as user munge, slurmd)"
id munge >/dev/null 2>&1 && command -v munged >/dev/null || skip "munge not installed"

# Tear down only what this test started, by its PID files, also when it fails.
teardown() {
  local rc=$?
  if [ -f slurm/slurmctld.pid ]; then
    jobs=$(squeue -h -o %A 2>/dev/null || true)
    [ -z "$jobs" ] || scancel $jobs 2>/dev/null || true
  fi
  for pidfile in slurm/slurmd.pid slurm/slurmctld.pid munge/private/munged.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  cd /
  # A failure keeps the folder: the daemons' logs in slurm/log, the jobs' in run/slurm/logs.
  if [ $rc = 0 ]; then rm -rf "$tmp"; else echo "test_slurm: kept $tmp"; fi
}
trap teardown EXIT

# munge: its own key, socket and pid under the temporary folder (the socket's folder must be
# traversable by everyone, the key's private to munge).
install -d -o munge -g munge -m 755 munge
install -d -o munge -g munge -m 700 munge/private
head -c 1024 /dev/urandom > munge/private/munge.key
chown munge:munge munge/private/munge.key
chmod 400 munge/private/munge.key
runuser -u munge -- munged --socket="$tmp/munge/socket" --key-file="$tmp/munge/private/munge.key" \
  --pid-file="$tmp/munge/private/munged.pid" --log-file="$tmp/munge/private/munged.log" \
  --seed-file="$tmp/munge/private/munged.seed"

port=$((20000 + RANDOM % 20000))
memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
memory=$((memory < 1000 ? memory : 1000))
mkdir -p slurm/state slurm/spool slurm/log
export SLURM_CONF=$tmp/slurm/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=amfmtest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$tmp/slurm/state
SlurmdSpoolDir=$tmp/slurm/spool
SlurmctldPidFile=$tmp/slurm/slurmctld.pid
SlurmdPidFile=$tmp/slurm/slurmd.pid
SlurmctldLogFile=$tmp/slurm/log/slurmctld.log
SlurmdLogFile=$tmp/slurm/log/slurmd.log
NodeName=localhost CPUs=2 RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.1; done
sinfo -h -o %T | grep -q idle || fail "the node did not come up: $(tail -3 slurm/log/slurmctld.log)"
stamp "cluster up (munged, slurmctld, slurmd)"

"$amfm" series data/series.yaml --out single -q
stamp "single run"
"$amfm" series data/series.yaml --out run --slurm --shards 3 | tee submit.txt
grep -q "submitted: shards as job array [0-9]* (tasks 0-2), merge as job [0-9]*" submit.txt || fail "no job ids printed"
"$amfm" status run --wait | tee status.txt
[ "$(grep -c ' done ' status.txt)" = 4 ] || fail "three shards and the merge not done"
stamp "--slurm --shards 3: shards and merge done"
compare single run

# A broken scan: its shard fails, the merge cannot run, status says which scan and why.
mv data/cycle_030/df2.tif df2.tif.good
printf 'broken' > data/cycle_030/df2.tif
"$amfm" series data/series.yaml --out run --slurm --shards 3 >/dev/null
rc=0; "$amfm" status run --wait > status.txt || rc=$?
cat status.txt
[ $rc = 3 ] || fail "status exit code $rc with a failed shard (expected 3)"
grep -q "shard 2/3 *failed" status.txt && grep -q "cycle_030: .*df2.tif" status.txt || fail "failed scan not named"
[ "$(grep -c ' done ' status.txt)" = 2 ] || fail "shards 0 and 1 not done"
grep -q "merge *blocked .*will never run" status.txt || fail "merge not reported as blocked"
stamp "broken scan: shard 2 failed, merge blocked"

# Fixed, only shard 2 runs again, with a new merge; the result equals the single run again.
mv df2.tif.good data/cycle_030/df2.tif
"$amfm" status run --resubmit-failed | tee resubmit.txt
grep -q "resubmitted: shard(s) 2 as job array" resubmit.txt || fail "not only shard 2 resubmitted"
"$amfm" status run --wait | tee status.txt
[ "$(grep -c ' done ' status.txt)" = 4 ] || fail "not done after the resubmission"
grep -q "1 scan(s): 1 processed" status.txt || fail "shard 2 did not reprocess its scan"
stamp "--resubmit-failed: shard 2 and the merge done"
compare single run
stamp "passed"
