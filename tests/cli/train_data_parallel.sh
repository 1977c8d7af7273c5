#!/usr/bin/env bash
# Data-parallel training under mpirun (docs/design.md §8.6): two processes
# with one micro-batch each train bit for bit as one process with
# grad-accum 2, in every attention mode; resumes under 2 and under 1 process
# continue the run; a signal to one process stops both at the same step with
# a checkpoint; a killed process ends the job, naming it, and the run resumes;
# a process that cannot open its dataset stops the job with its own error;
# processes whose parameters drift apart stop before a checkpoint.
source "$(dirname "$0")/train_helpers.bash"
"$knnformer" --version | grep -q "MPI: Open MPI" || fail "knnformer was built without MPI ($("$knnformer" --version))"
# As root, Open MPI must be told that this is meant; two cores run two
# processes of one thread each, more only oversubscribed.
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
make_dataset
write_tiny_config

# same_parameters A B: the two checkpoints hold the same parameters and optimizer state, bit for bit.
same_parameters() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "parameters differ: $1 $2"
import sys, h5py, numpy
a, b = (h5py.File(path, "r") for path in sys.argv[1:3])
for group in ("parameters", "optimizer"):
    for name in a[group]:
        if not numpy.array_equal(a[group][name][()], b[group][name][()]):
            sys.exit(f"{group}/{name} differs")
PY
}
newest() { ls "$1"/checkpoints/step-*.h5 | tail -1; }

# 1. Two processes x grad-accum 1 against one process x grad-accum 2.
"$knnformer" train --config tiny.ini --out single --steps 24 --grad-accum 2 > /dev/null
"${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --out pair --steps 24 --grad-accum 1 > pair.log
grep -q "tokens per step on 2 processes" pair.log || fail "the run does not say it trains on 2 processes"
grep -q "^processes = 2" pair/config.ini || fail "config.ini does not record 2 processes"
diff <(without_timing single/metrics.csv) <(without_timing pair/metrics.csv) || fail "2 processes differ from grad-accum 2"
same_parameters "$(newest single)" "$(newest pair)"
echo "2 processes = 1 process with grad-accum 2: ok"

# The evaluation's batches are shared by the processes: the same val loss and accuracy, bit for bit.
"$knnformer" prepare --synthetic copy --context 63 --segment 5 --symbols 10 --documents 30 --val-documents 8 \
  --output copy.h5 > /dev/null
"$knnformer" train --config tiny.ini --data copy.h5 --context 63 --out copy-single --steps 8 --eval-batches 3 \
  > /dev/null
"${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --data copy.h5 --context 63 --out copy-pair --steps 8 \
  --eval-batches 3 --grad-accum 1 > /dev/null
head -1 copy-pair/metrics.csv | grep -q val_accuracy || fail "no val_accuracy column"
diff <(cut -d, -f1-6,9 copy-single/metrics.csv) <(cut -d, -f1-6,9 copy-pair/metrics.csv) ||
  fail "2 processes evaluate differently from one"
echo "evaluation shared by 2 processes: ok"

# 2. Every attention mode, with its sampling keyed by the micro-batch, whichever process draws it.
for mode in "knn" "gumbel --attention-backward sampled" "knn-tail" "knn --knn-index clustered"; do
  name="${mode// /_}"
  # shellcheck disable=SC2086 # the mode's words are separate options
  "$knnformer" train --config tiny.ini --out "single-$name" --steps 4 --attention $mode > /dev/null
  # shellcheck disable=SC2086
  "${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --out "pair-$name" --steps 4 --grad-accum 1 \
    --attention $mode > /dev/null
  diff <(without_timing "single-$name/metrics.csv") <(without_timing "pair-$name/metrics.csv") ||
    fail "attention $mode: 2 processes differ from grad-accum 2"
done
echo "every attention mode on 2 processes: ok"

# 3. Resumes: under 2 processes bit for bit; under 1 the same batches, with a warning.
"${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --out resumed --steps 12 --lr-decay-steps 24 \
  --grad-accum 1 > /dev/null
cp -r resumed resumed-alone
"${mpi[@]}" -np 2 "$knnformer" train --resume resumed --steps 24 > /dev/null
diff <(without_timing pair/metrics.csv) <(without_timing resumed/metrics.csv) || fail "resume on 2 processes differs"
"$knnformer" train --resume resumed-alone --steps 24 > /dev/null 2> alone.err
grep -q "warning: .* was trained by 2 processes and continues on 1" alone.err || fail "no warning: $(cat alone.err)"
# Two partial gradients add up the same in either order: this resume is exact too.
diff <(without_timing pair/metrics.csv) <(without_timing resumed-alone/metrics.csv) ||
  fail "resume of a 2-process run by 1 process differs"
echo "resume on 2 processes and on 1: ok"

# 4. SIGTERM to one process: both stop after the same step, rank 0 checkpoints, the job exits 0.
"${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --out stopped --steps 100000 --grad-accum 1 \
  --checkpoint-every 100000 > stopped.log &
job=$!
for _ in $(seq 1 300); do
  [ -s stopped/metrics.csv ] && [ "$(wc -l < stopped/metrics.csv)" -gt 2 ] && break
  sleep 0.02
done
# the process of rank 1 (its environment names it)
rank_pid() {
  local pid
  for pid in $(pgrep -f "knnformer train --config tiny.ini --out $1"); do
    tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$pid" && return
  done
}
kill -TERM "$(rank_pid stopped 1)"
status=0
wait $job || status=$?
[ $status -eq 0 ] || fail "SIGTERM to rank 1 should end the job with 0, got $status"
grep -q "stopped by signal 15" stopped.log || fail "no stop message: $(tail -3 stopped.log)"
compgen -G "stopped/checkpoints/step-*.h5" > /dev/null || fail "no checkpoint after SIGTERM"
echo "SIGTERM to one process: ok"

# 5. kill -9 of one process ends the job within a bounded time, naming it; the run resumes.
"${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --out killed --steps 100000 --grad-accum 1 \
  --checkpoint-every 4 > killed.log 2>&1 &
job=$!
for _ in $(seq 1 300); do
  compgen -G "killed/checkpoints/step-*.h5" > /dev/null && break
  sleep 0.02
done
kill -9 "$(rank_pid killed 1)"
started=$SECONDS
status=0
wait $job || status=$?
[ $status -ne 0 ] || fail "the job should fail when a process is killed"
[ $((SECONDS - started)) -le 30 ] || fail "the job took $((SECONDS - started)) s to end after the kill"
grep -q "rank 1 .*exited on signal 9" killed.log || fail "the job's error does not name rank 1: $(tail -5 killed.log)"
"${mpi[@]}" -np 2 "$knnformer" train --resume killed --steps "$(($(tail -1 killed/metrics.csv | cut -d, -f1) + 4))" \
  > /dev/null || fail "resume after kill -9"
echo "kill -9 of one process, then resume: ok"

# expect_job_error PATTERN COMMAND...: the mpirun job must fail with a
# knnformer error line matching PATTERN (beside mpirun's own report) and
# change no file.
expect_job_error() {
  local pattern=$1 before status=0 error
  shift
  before="$(snapshot)"
  "$@" > "$work.job.log" 2>&1 || status=$?
  [ $status -ne 0 ] || fail "the job should fail: $*"
  error="$(grep -m1 "^knnformer [a-z]*: error: $pattern" "$work.job.log")" ||
    fail "no error matching '$pattern': $(cat "$work.job.log")"
  rm "$work.job.log"
  [[ "$(snapshot)" == "$before" ]] || fail "files changed after the failed job: $*"
  echo "ok: $error"
}

# 6. A process that cannot open its dataset stops the job with its error; nothing is written.
expect_job_error "rank 1: .*missing.h5: no such file" \
  "${mpi[@]}" -np 1 "$knnformer" train --config tiny.ini --out lost --grad-accum 1 : \
  -np 1 "$knnformer" train --config tiny.ini --out lost --grad-accum 1 --data missing.h5

# 7. The process count must divide a step's micro-batches; eval runs alone.
expect_job_error "rank [01]: .*cannot be shared by 2 processes" \
  "${mpi[@]}" -np 2 "$knnformer" train --config tiny.ini --out odd --grad-accum 1 --processes 3
expect_job_error "rank [01]: runs as one process" "${mpi[@]}" -np 2 "$knnformer" eval --checkpoint pair
echo "a process that cannot go on ends the job: ok"

# 8. Replicas that drift apart stop the run at the next check, before a checkpoint: here a process whose
# kernels run another SIMD target (as on a machine of another CPU) rounds the optimizer's update differently
# (a fused multiply-add against a product and a sum).
status=0
"${mpi[@]}" -np 1 "$knnformer" train --config tiny.ini --out drifted --grad-accum 1 --steps 8 : \
  -np 1 env KNNFORMER_SIMD=sse4 "$knnformer" train --config tiny.ini --out drifted --grad-accum 1 --steps 8 \
  > drifted.log 2>&1 || status=$?
[ $status -ne 0 ] || fail "replicas that differ should stop the run"
grep -q "error: rank [01]: after step 4 the parameters of rank 1 differ from rank 0's" drifted.log ||
  fail "no replica error: $(cat drifted.log)"
! compgen -G "drifted/checkpoints/step-*.h5" > /dev/null || fail "a checkpoint of drifted replicas was written"
echo "replicas that differ stop the run before a checkpoint: ok"
