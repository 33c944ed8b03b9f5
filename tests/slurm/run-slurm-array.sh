#!/usr/bin/env bash
# run-slurm-array.sh — vk-adain as a Slurm job array on a one-node cluster
# made here for the test: a private munged, slurmctld and slurmd on this
# machine (Debian's slurm-wlm and munge; run as root, as CI does), a 3-task
# array of `vk-adain --shard slurm` over 3 contents × 2 styles sharing one
# --style-cache, its outputs compared byte for byte with an unsharded run.
# Everything lives in a temporary folder; the daemons are stopped on every
# exit. Environment (set by meson): VKA_CLI, VKA_GOLDEN; the CPU backend's
# kernels fixed (VKA_CPU_CONV=direct) so that processes agree to the bit.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
for tool in munged munge slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null || fail "$tool not found: install slurm-wlm and munge"
done
[ "$(id -u)" -eq 0 ] || fail "needs root (slurmd runs the tasks as root here)"
: "${VKA_CLI:?}" "${VKA_GOLDEN:?}"

T=$(mktemp -d /tmp/vk-adain-slurm-XXXXXX)
chmod 755 "$T"   # munged wants its socket's folders searchable by all
pids=()
stop() {
  status=$?
  # a task still running (a failure, a timeout) goes with its cluster
  [ -z "${SLURM_CONF:-}" ] || timeout 20 scancel --quiet --user=root 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for log in "$T"/*.log "$T"/*.out "$T"/munge/munged.log "$T"/out/*.log; do
      [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }
    done
  fi
  rm -rf "$T"
  exit "$status"
}
trap stop EXIT
trap 'exit 1' INT TERM

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local limit=$1; shift
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}

# munge: a key and a daemon of our own, on a socket of our own.
mkdir -m 755 "$T/munge" "$T/state" "$T/spool" "$T/out"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$T/munge/munge.key"
socket=$T/munge/munge.socket
munged -F --force --key-file="$T/munge/munge.key" --socket="$socket" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" \
  --seed-file="$T/munge/munged.seed" >"$T/munged.out" 2>&1 &
pids+=($!)
wait_for 20 sh -c "munge -n -S '$socket' | unmunge -S '$socket'" || fail "munged did not start"

# slurm.conf for this node as slurmd sees it, on two free ports.
read -r ctld_port node_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
node=$(slurmd -C | head -n 1)
[[ $node == NodeName=* ]] || fail "slurmd -C said: $node"
export SLURM_CONF=$T/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=vkadain-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -c >"$T/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$T/slurmd.out" 2>&1 &
pids+=($!)
wait_for 60 sh -c 'sinfo -h -o %T | grep -qx idle' || fail "the node did not come up idle: $(sinfo 2>&1)"

# 3 contents × 2 styles, as in the cli-jobs test.
mkdir "$T/contents" "$T/styles"
cp "$VKA_GOLDEN/content.png" "$T/contents/a.png"
cp "$VKA_GOLDEN/gray.png" "$T/contents/b.png"
cp "$VKA_GOLDEN/rgba.png" "$T/contents/c.png"
cp "$VKA_GOLDEN/style.png" "$T/styles/x.png"
cp "$VKA_GOLDEN/style2.png" "$T/styles/y.png"
args=(--vgg "$VKA_GOLDEN/vgg.pth" --decoder "$VKA_GOLDEN/decoder.pth"
      --content "$T/contents" --style "$T/styles" --content-size 24 --style-size 20
      --save-ext png --device cpu --threads 1)
# A fresh style cache: one a build before wrote holds statistics whose last
# bits differ from this build's (the kernels' order of sums changes).
"$VKA_CLI" "${args[@]}" --output "$T/whole" --style-cache "$T/whole-cache" --quiet

# The array: each task its part, all sharing one style cache.
printf '%q ' "$VKA_CLI" "${args[@]}" > "$T/args"
cat > "$T/job.sh" <<JOB
#!/bin/bash
exec $(cat "$T/args") --output "$T/array" --shard slurm --style-cache "$T/styles-cache" --skip-existing
JOB
chmod +x "$T/job.sh"
timeout 300 sbatch --wait --array=1-3 --job-name=vk-adain-test --output="$T/out/task-%a.log" \
  "$T/job.sh" || fail "the job array failed (sbatch: $?)"

for i in 1 2 3; do
  grep -q "part $i/3: jobs $((2 * i - 1))-$((2 * i)) of 6" "$T/out/task-$i.log" \
    || fail "task $i did not do part $i/3: $(cat "$T/out/task-$i.log")"
done
[ "$(ls "$T/styles-cache" | wc -l)" -eq 2 ] || fail "the shared style cache: $(ls "$T/styles-cache")"
[ "$(ls -A "$T/whole")" = "$(ls -A "$T/array")" ] \
  || fail "outputs differ: $(ls -A "$T/whole") / $(ls -A "$T/array")"
[ "$(ls "$T/array" | wc -l)" -eq 6 ] || fail "expected 6 outputs: $(ls "$T/array")"
for f in "$T/whole"/*; do
  cmp "$f" "$T/array/${f##*/}" || fail "${f##*/} differs from the unsharded run's"
done
echo "ok: 3 Slurm array tasks made the unsharded run's 6 pictures, byte for byte"
