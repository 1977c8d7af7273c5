#!/usr/bin/env bash
# A run whose loss or gradient becomes non-finite stops at that step with a
# one-line error naming it, writes no checkpoint or metrics row of the
# diverged state, and its newest checkpoint stays the last good one; a
# checkpoint holding non-finite values is neither resumed nor evaluated.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config

status=0
"$knnformer" train --config tiny.ini --out run --optimizer sgd --lr 10 --grad-clip 0 --n-embd 64 --steps 100 \
  > /dev/null 2> stderr.log || status=$?
[ $status -eq 1 ] || fail "a diverged run should exit 1, got $status"
[ "$(wc -l < stderr.log)" -eq 1 ] || { cat stderr.log >&2; fail "one line expected"; }
# Which figure goes first depends on the build's rounding: the training
# loss or gradient norm of a step, or the val loss evaluated after it.
grep -q "^knnformer train: error: step [0-9]*: the \(training loss is .* and the gradient norm\|val loss is\) " \
  stderr.log ||
  { cat stderr.log >&2; fail "the error should name the step"; }
step="$(sed 's/.*error: step \([0-9]*\):.*/\1/' stderr.log)"
echo "ok: $(cat stderr.log)"
tail -n +2 run/metrics.csv | grep -qi "nan\|inf" && fail "metrics.csv holds a non-finite row"
last_row="$(tail -1 run/metrics.csv | cut -d, -f1)"
[ "$last_row" -lt "$step" ] || fail "a row at or past the diverged step $step"
for checkpoint in run/checkpoints/step-*.h5; do
  [ "$(basename "$checkpoint" .h5 | sed 's/step-0*//')" -lt "$step" ] || fail "a checkpoint of the diverged state"
done
"$knnformer" eval --checkpoint run > /dev/null || fail "the newest checkpoint should be a good state"
echo "ok: no checkpoint or row of the diverged state"

# A checkpoint with a nan among its parameters (written with valid checksums).
"$knnformer" train --config tiny.ini --out good --steps 8 > /dev/null
cp -r good poisoned
/usr/bin/python3 - poisoned/checkpoints/step-00000008.h5 <<'PY'
import sys, h5py, numpy
with h5py.File(sys.argv[1], "r+") as f:
    name = sorted(f["parameters"].keys())[0]
    values = f["parameters"][name][...]
    values.flat[0] = numpy.nan
    f["parameters"][name][...] = values
PY
expect_error "step-00000008.h5: /parameters/.* holds non-finite values" \
  "$knnformer" eval --checkpoint poisoned/checkpoints/step-00000008.h5
"$knnformer" train --resume poisoned --steps 12 > /dev/null 2> resume.err || fail "resume should fall back to step 4"
grep -q "holds non-finite values" resume.err || fail "the poisoned checkpoint should be reported"
[ -f poisoned/checkpoints/step-00000008.h5.corrupt ] || fail "the poisoned checkpoint should be set aside"
"$knnformer" train --resume good --steps 12 > /dev/null
diff <(without_timing good/metrics.csv) <(without_timing poisoned/metrics.csv) ||
  fail "the resume from step 4 should continue as the run would have"
echo "divergence: ok"
