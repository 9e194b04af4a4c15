#!/usr/bin/env bash
# `actlab run --slurm` against a real Slurm (issue 13): starts munged, slurmctld and slurmd from
# Debian's packages (slurm-wlm, munge) with a generated key and slurm.conf in a temporary folder,
# on localhost only, then
#   1. submits a tiny sweep (3 runs on a few hundred real CIFAR-10 images) as one job array,
#      waits for it and checks every run's records and the collected results.db/results.csv;
#   2. grows the grid by two runs, submits again (only those two go), and cancels one of them
#      with scancel while it trains;
#   3. submits again: only the cancelled run goes, it finishes, and the finished runs' files are
#      untouched (same bytes, same mtimes).
# Every daemon the test starts is stopped by its pid when the test ends, failed or not.
# Exit 77 (CTest: skipped) when the machine cannot run the daemons, with the reason printed.
# Usage: slurm_test.sh ACTLAB_BINARY CIFAR10_DIR   (ACTLAB_DATA, when set, wins over the second)
set -uo pipefail

ACTLAB="$(realpath "$1")"
DATA="$(realpath -m "${ACTLAB_DATA:-$2}")"  # absolute: the tasks start in another folder
export ACTLAB_DATA="$DATA"

skip() { echo "SKIPPED: $*"; exit 77; }
WORK=""
fail() {
  echo "FAILED: $*"
  if [ -n "$WORK" ]; then
    for log in "$WORK"/log/*.log "$WORK"/sweep/slurm/*.log "$WORK"/sweep/runs/*/log.txt; do
      [ -f "$log" ] && { echo "--- $log (last lines)"; tail -n 15 "$log"; }
    done
  fi
  exit 1
}
check() {  # check DESCRIPTION COMMAND...: fails the test unless COMMAND succeeds
  local what="$1"; shift
  "$@" || fail "$what"
  echo "ok: $what"
}

[ "$(id -u)" -eq 0 ] || skip "a private Slurm needs root here (SlurmUser=root); CI runs as root"
for tool in munged slurmctld slurmd sbatch squeue scontrol scancel sqlite3; do
  command -v "$tool" >/dev/null ||
    skip "$tool is missing: apt-get install slurm-wlm munge sqlite3 (scripts/common.sh installs them)"
done
[ -f "$DATA/test_batch.bin" ] || fail "no prepared CIFAR-10 in $DATA: run scripts/test.sh (it prepares it)"

WORK="$(mktemp -d /tmp/actlab-slurm-XXXXXX)"
chmod 755 "$WORK"  # munged wants its socket's folder reachable by all
mkdir -p "$WORK"/{munge,state,spool,log}
export SLURM_CONF="$WORK/slurm.conf"
DAEMONS=()

# Cancels what is still queued, stops every daemon this test started (by pid) and the job steps
# they left (by pid: slurmstepd outlives slurmd), then removes the folder.
cleanup() {
  set +e
  if [ ${#DAEMONS[@]} -gt 0 ]; then
    scancel --user=root >/dev/null 2>&1
    for _ in $(seq 40); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.25
    done
  fi
  for pid in "${DAEMONS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${DAEMONS[@]}"; do
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for environ in /proc/[0-9]*/environ; do
    if grep -qsF "SLURM_CONF=$SLURM_CONF" "$environ"; then
      pid="${environ#/proc/}"; pid="${pid%/environ}"
      [ "$pid" != "$$" ] && [ "$pid" != "$BASHPID" ] && kill -9 "$pid" 2>/dev/null
    fi
  done
  [ -n "${ACTLAB_KEEP_SLURM_TEST:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free TCP ports on localhost for slurmctld and slurmd.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORTS=()
for _ in $(seq 50); do
  port=$((20000 + RANDOM % 40000))
  port_free "$port" && port_free $((port + 1)) && { PORTS=("$port" $((port + 1))); break; }
done
[ ${#PORTS[@]} -eq 2 ] || skip "no two free TCP ports on localhost"

# --- the daemons ---------------------------------------------------------------------------
head -c 1024 /dev/urandom >"$WORK/munge/munge.key"
chmod 400 "$WORK/munge/munge.key"
munged --foreground --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/log/munged.log" \
  --seed-file="$WORK/munge/munged.seed" >"$WORK/log/munged.out" 2>&1 &
DAEMONS+=($!)
for _ in $(seq 40); do [ -S "$WORK/munge/munge.socket" ] && break; sleep 0.25; done
[ -S "$WORK/munge/munge.socket" ] ||
  skip "munged did not start: $(tail -n 1 "$WORK/log/munged.log" 2>/dev/null)"

HOST="$(hostname -s)"
cat >"$SLURM_CONF" <<EOF
# A one-node Slurm on localhost for actlab's test; every path in $WORK.
ClusterName=actlabtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=${PORTS[0]}
SlurmdPort=${PORTS[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
# No cgroups (containers and CI machines rarely delegate them): processes tracked by parentage.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=3
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 &
SLURMCTLD=$!
DAEMONS+=($SLURMCTLD)
slurmd -D -f "$SLURM_CONF" >"$WORK/log/slurmd.out" 2>&1 &
SLURMD=$!
DAEMONS+=($SLURMD)
daemon_died() {  # daemon_died NAME PID: skips, with the daemon's first error, when it has exited
  kill -0 "$2" 2>/dev/null ||
    skip "$1 did not start: $(grep -h -i -m1 -E 'error|fatal' "$WORK/log/$1".{out,log} 2>/dev/null)"
}
node_state=""
for _ in $(seq 120); do
  node_state="$(sinfo -h -o %T 2>/dev/null)"
  [ "$node_state" = idle ] && break
  daemon_died slurmctld "$SLURMCTLD"
  daemon_died slurmd "$SLURMD"
  sleep 0.25
done
[ "$node_state" = idle ] ||
  skip "the Slurm node did not become idle within 30 s (state '${node_state:-none}')"
echo "ok: munged, slurmctld and slurmd up (ports ${PORTS[*]}), node $HOST idle"

# --- helpers -------------------------------------------------------------------------------
# Waits until no job is pending or running (the array and its collect job); fails after $1 s.
wait_queue_empty() {
  local deadline=$((SECONDS + $1))
  while [ -n "$(squeue -h -o %i)" ]; do
    [ $SECONDS -lt $deadline ] || fail "jobs still queued after $1 s: $(squeue -h -o '%i %T %r' | tr '\n' ';')"
    sleep 0.5
  done
}
job_state() { scontrol show job "$1" 2>/dev/null | grep -o -m1 'JobState=[A-Z_]*' | cut -d= -f2; }
run_dir() { ls -d "$WORK/sweep/runs/$1"* 2>/dev/null | head -n 1; }
status_of() { sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p' "$1/summary.json" 2>/dev/null; }
sql() { sqlite3 "$WORK/sweep/results.db" "$1"; }
fingerprint() {  # bytes and mtimes of a run's records
  (cd "$1" && sha256sum config.json summary.json metrics.jsonl log.txt &&
    stat -c '%n %Y.%y' config.json summary.json metrics.jsonl log.txt)
}

write_experiment() {  # write_experiment ACTIVATIONS...
  local list
  list="$(printf '"%s", ' "$@")"
  cat >"$WORK/tiny.toml" <<EOF
name = "slurm_tiny"
claim = "Slurm array tasks train the runs that a local sweep would."
source = "tests/slurm/slurm_test.sh"
[base]
model = "krizhevsky4"
epochs = 1
batch_size = 50
train_subset = 200
test_subset = 100
train_eval_images = 100
probe = "off"
augment = false
[grid]
activation = [${list%, }]
EOF
  # The run that step 2 cancels while it trains: long enough to be caught running.
  [[ " $* " == *" gelu "* ]] && cat >>"$WORK/tiny.toml" <<EOF
[[override]]
when = { activation = "gelu" }
set = { train_subset = 6000, epochs = 2 }
EOF
  true
}
submit() {  # submit: `actlab run --slurm`; prints its output, sets JOB to the array's id
  local output
  output="$(cd "$WORK" && "$ACTLAB" run tiny.toml --out "$WORK/sweep" --slurm \
    --sbatch-args "--time=20 --job-name 'actlab test'" -- --cpus-per-task=1 2>&1)" ||
    fail "actlab run --slurm failed: $output"
  echo "$output"
  SUBMITTED="$output"
  JOB="$(sed -n 's/^submitted job array \([0-9]*\).*/\1/p' <<<"$output")"
  COLLECT_JOB="$(sed -n 's/.* and collect job \([0-9]*\) after it.*/\1/p' <<<"$output")"
  [ -n "$JOB" ] && [ -n "$COLLECT_JOB" ] || fail "no job ids in: $output"
}

# --- 1. a tiny sweep as one job array -------------------------------------------------------
write_experiment relu tanh sigmoid
submit
check "the first submission sends all 3 runs" grep -q "3 runs, 0 finished, 0 queued, 3 to submit" <<<"$SUBMITTED"
wait_queue_empty 300
for task in 0 1 2; do
  check "array task ${JOB}_$task completed" [ "$(job_state "${JOB}_$task")" = COMPLETED ]
done
check "the collect job ran after the array" [ "$(job_state "$COLLECT_JOB")" = COMPLETED ]
for activation in relu tanh sigmoid; do
  dir="$(run_dir "activation-${activation}_")"
  check "$activation: a run folder" [ -d "$dir" ]
  check "$activation: summary.json says completed" [ "$(status_of "$dir")" = completed ]
  check "$activation: metrics.jsonl holds the epoch" [ "$(grep -c '"epoch"' "$dir/metrics.jsonl")" -ge 1 ]
  check "$activation: trained with SLURM_CPUS_PER_TASK=1 threads" grep -qE '^  "threads": 1,?$' "$dir/config.json"
  check "$activation: trained on the CPU (no GPU allocated)" grep -q '"device": "cpu"' "$dir/config.json"
done
check "results.db holds one row per run" [ "$(sql 'SELECT COUNT(*), COUNT(DISTINCT run_id) FROM runs')" = "3|3" ]
check "results.db: every run completed" [ "$(sql "SELECT COUNT(*) FROM runs WHERE status = 'completed'")" = 3 ]
check "results.db holds the runs' epochs" [ "$(sql 'SELECT COUNT(DISTINCT run_id) FROM epochs')" = 3 ]
check "results.csv: a header and 3 rows" [ "$(wc -l <"$WORK/sweep/results.csv")" = 4 ]
status="$(cd "$WORK" && "$ACTLAB" run tiny.toml --out "$WORK/sweep" --status)"
echo "$status"
check "--status: 3 finished" grep -q "^3 finished$" <<<"$status"

# --- 2. two more runs; one is cancelled while it trains ---------------------------------------
write_experiment relu tanh sigmoid elu gelu
for activation in relu tanh sigmoid; do fingerprint "$(run_dir "activation-${activation}_")"; done >"$WORK/before"
submit
check "the second submission sends only the 2 new runs" grep -q "5 runs, 3 finished, 0 queued, 2 to submit" <<<"$SUBMITTED"
long=""
for _ in $(seq 240); do
  long="$(run_dir activation-gelu_)"
  [ -n "$long" ] && [ -f "$long/config.json" ] && [ "$(job_state "${JOB}_1")" = RUNNING ] && break
  sleep 0.25
done
check "the gelu run is training in task ${JOB}_1" [ -f "$long/config.json" ]
again="$(cd "$WORK" && "$ACTLAB" run tiny.toml --out "$WORK/sweep" --slurm 2>&1)"
check "a submission while the array runs sends nothing" grep -q "nothing to submit" <<<"$again"
status="$(cd "$WORK" && "$ACTLAB" run tiny.toml --out "$WORK/sweep" --status)"
check "--status shows the gelu run running as ${JOB}_1" grep -qE "^running +${JOB}_1 +activation-gelu_" <<<"$status"
scancel "${JOB}_1"
wait_queue_empty 300
check "task ${JOB}_1 was cancelled" [ "$(job_state "${JOB}_1")" = CANCELLED ]
check "the cancelled gelu run did not complete" [ "$(status_of "$long")" != completed ]
check "the elu run completed" [ "$(status_of "$(run_dir activation-elu_)")" = completed ]
status="$(cd "$WORK" && "$ACTLAB" run tiny.toml --out "$WORK/sweep" --status)"
echo "$status"
check "--status: gelu failed, 4 finished" grep -qE "^failed +${JOB}_1 +activation-gelu_" <<<"$status"
check "--status counts" grep -q "^4 finished, 1 failed$" <<<"$status"
check "the collect job ran after the cancelled array" [ "$(job_state "$COLLECT_JOB")" = COMPLETED ]
check "results.db: 4 completed runs after the cancel" [ "$(sql "SELECT COUNT(*) FROM runs WHERE status = 'completed'")" = 4 ]

# --- 3. resubmit: only the cancelled run, and the finished ones stay as they were -----------
fingerprint "$(run_dir activation-elu_)" >>"$WORK/before"
submit
check "the third submission sends only the cancelled run" grep -q "5 runs, 4 finished, 0 queued, 1 to submit" <<<"$SUBMITTED"
wait_queue_empty 300
check "the resubmitted task completed" [ "$(job_state "${JOB}_0")" = COMPLETED ]
check "the gelu run completed" [ "$(status_of "$long")" = completed ]
for activation in relu tanh sigmoid elu; do fingerprint "$(run_dir "activation-${activation}_")"; done >"$WORK/after"
check "the finished runs were not redone (same bytes and mtimes)" cmp -s "$WORK/before" "$WORK/after"
check "results.db holds one row per run, all completed" \
  [ "$(sql "SELECT COUNT(*), COUNT(DISTINCT run_id), SUM(status = 'completed') FROM runs")" = "5|5|5" ]
check "results.csv: a header and 5 rows" [ "$(wc -l <"$WORK/sweep/results.csv")" = 6 ]
echo "PASSED: submit, collect, cancel and resubmit through a real Slurm"
