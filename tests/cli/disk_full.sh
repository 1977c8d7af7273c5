#!/usr/bin/env bash
# A disk that fills while a checkpoint is written: one clear line, exit 1,
# no crash; the partial file is removed and the checkpoint before stays the
# newest, from which the run resumes exactly once there is room again.
# Needs a small tmpfs, mounted as root; skipped with a message elsewhere.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
mkdir small
if ! mount -t tmpfs -o size=1M tmpfs small 2> /dev/null; then
  echo "skipped: cannot mount a tmpfs here (needs root)"
  exit 0
fi
trap 'umount "$work/small" 2> /dev/null; rm -rf "$work"' EXIT

"$knnformer" train --config tiny.ini --data "$work/data.h5" --out straight --steps 12 > /dev/null
checkpoint_bytes=$(stat -c %s straight/checkpoints/step-00000012.h5)
# Room for config.ini, metrics.csv and one checkpoint, not for a second.
mount -o remount,size=$(( (checkpoint_bytes * 3 / 2 / 4096 + 4) * 4096 )) small

status=0
"$knnformer" train --config tiny.ini --data "$work/data.h5" --out small/run --steps 12 > /dev/null 2> stderr.log ||
  status=$?
[ $status -eq 1 ] || { cat stderr.log >&2; fail "a full disk should end the run with status 1, got $status"; }
[ "$(wc -l < stderr.log)" -eq 1 ] || { cat stderr.log >&2; fail "one line expected"; }
grep -q "step-00000008.h5.tmp: .*(disk full?); the checkpoint was not written" stderr.log ||
  { cat stderr.log >&2; fail "the error should name the checkpoint and the full disk"; }
echo "ok: $(cat stderr.log)"
[ "$(ls small/run/checkpoints)" = "step-00000004.h5" ] || fail "expected only step 4: $(ls small/run/checkpoints)"

mount -o remount,size=4M small
"$knnformer" train --resume small/run > /dev/null || fail "resume once there is room"
diff <(without_timing straight/metrics.csv) <(without_timing small/run/metrics.csv) || fail "metrics differ"
echo "disk full: ok"
