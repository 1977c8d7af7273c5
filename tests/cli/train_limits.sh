#!/usr/bin/env bash
# Sizes that cannot fit are refused before anything is allocated or written,
# with the figure and what the machine has; a run's dataset path is stored
# absolute, so it resumes from any folder; a run stopped before its first
# checkpoint restarts from step 0 with --resume.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
grep -v "^n-embd\|^n-head\|^context\|^batch" tiny.ini > default-model.ini

memory="needs about .* of memory; this machine has"
expect_error "the run (parameters and optimizer .*iB.*$memory" \
  "$knnformer" train --config default-model.ini --out new --n-embd 65536
expect_error "the run (.*activations .*iB.*$memory" "$knnformer" train --config default-model.ini --out new --context 1048576
expect_error "the run (.*attention .* GiB.*$memory" \
  "$knnformer" train --config default-model.ini --out new --attention gumbel --samples 1000000
head -c 4000 /dev/zero > zeros.bin
"$knnformer" prepare --import-bin zeros.bin --vocab-size 30000000 --output huge-vocab.h5 > /dev/null
expect_error "the run (parameters and optimizer .* GiB.*$memory" \
  "$knnformer" train --config default-model.ini --data huge-vocab.h5 --out new
expect_error "a batch of 1000000000 rows x 8 tokens .*$memory" "$knnformer" inspect data.h5 --context 8 --batch 1000000000

# The dataset path is resolved when the run starts.
"$knnformer" train --config tiny.ini --out run --steps 4 > /dev/null
grep -q "^data = $work/data.h5$" run/config.ini || fail "config.ini should hold the absolute dataset path"
mkdir elsewhere
(cd elsewhere && "$knnformer" train --resume ../run --steps 8 > /dev/null) || fail "resume from another folder"
echo "ok: resumed from another folder"

# Stopped before its first checkpoint: train --out points to --resume, which starts again from step 0.
"$knnformer" train --config tiny.ini --out early --steps 2000 --checkpoint-every 5000 > /dev/null &
pid=$!
for _ in $(seq 1 200); do
  [ -s early/metrics.csv ] && [ "$(wc -l < early/metrics.csv)" -gt 1 ] && break
  sleep 0.01
done
kill -9 $pid 2> /dev/null || true
wait $pid 2> /dev/null || true
if ! compgen -G "early/checkpoints/step-*.h5" > /dev/null; then
  expect_error "early: holds a run stopped before its first checkpoint (restart it with --resume early" \
    "$knnformer" train --config tiny.ini --out early --steps 2000 --checkpoint-every 5000
  "$knnformer" train --resume early > early.log
  grep -q "no checkpoint yet (the run stopped before its first); training again from step 0" early.log ||
    fail "the restart should say so"
  "$knnformer" train --config tiny.ini --out whole --steps 2000 --checkpoint-every 5000 > /dev/null
  diff <(without_timing whole/metrics.csv) <(without_timing early/metrics.csv) || fail "the restarted run differs"
  echo "ok: a run killed before its first checkpoint restarts from step 0"
else
  echo "skipped: the run reached the last step before it was killed"
fi
echo "limits and paths: ok"
