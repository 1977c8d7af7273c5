#!/usr/bin/env bash
# kill -9 at a random moment (possibly while a checkpoint is being written),
# then --resume: the metrics equal the uninterrupted run's; and SIGTERM
# finishes the step, checkpoints and exits 0.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
steps=400

"$knnformer" train --config tiny.ini --out straight --steps $steps --checkpoint-every 3 > /dev/null

for attempt in 1 2 3; do
  rm -rf killed
  "$knnformer" train --config tiny.ini --out killed --steps $steps --checkpoint-every 3 > /dev/null &
  pid=$!
  # Wait for the first checkpoint, then a random while longer.
  for _ in $(seq 1 200); do
    compgen -G "killed/checkpoints/step-*.h5" > /dev/null && break
    sleep 0.02
  done
  sleep "0.$((RANDOM % 40))"
  kill -9 $pid 2> /dev/null || true
  wait $pid 2> /dev/null || true
  compgen -G "killed/checkpoints/step-*.h5" > /dev/null || continue
  last_row="$(tail -1 killed/metrics.csv | cut -d, -f1)"
  echo "killed at about step $last_row ($(ls killed/checkpoints | tr '\n' ' '))"
  "$knnformer" train --resume killed > /dev/null 2> resume.err || { cat resume.err >&2; fail "resume after kill -9"; }
  diff <(without_timing straight/metrics.csv) <(without_timing killed/metrics.csv) ||
    fail "metrics differ after kill -9"
  echo "kill -9 then resume: ok"
  break
done
[ -f killed/metrics.csv ] || fail "the run never reached a checkpoint"

rm -rf stopped
"$knnformer" train --config tiny.ini --out stopped --steps $steps --checkpoint-every 1000 > stopped.log &
pid=$!
for _ in $(seq 1 200); do
  [ -s stopped/metrics.csv ] && [ "$(wc -l < stopped/metrics.csv)" -gt 2 ] && break
  sleep 0.02
done
kill -TERM $pid
status=0
wait $pid || status=$?
[ $status -eq 0 ] || fail "SIGTERM should exit 0, got $status"
grep -q "stopped by signal" stopped.log || fail "no stop message"
compgen -G "stopped/checkpoints/step-*.h5" > /dev/null || fail "no checkpoint after SIGTERM"
"$knnformer" train --resume stopped > /dev/null
diff <(without_timing straight/metrics.csv) <(without_timing stopped/metrics.csv) || fail "metrics differ after SIGTERM"
echo "SIGTERM then resume: ok"
