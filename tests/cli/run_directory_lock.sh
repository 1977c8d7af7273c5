#!/usr/bin/env bash
# One writer per run directory: while a trainer runs, a second `train --out`,
# `--resume` or `--out --force` there is refused with the holder's pid and
# changes nothing; the first trainer is undisturbed. After kill -9 the lock
# is gone, and the run resumes at once.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config

"$knnformer" train --config tiny.ini --out run --steps 100000 --checkpoint-every 5 > first.log 2>&1 &
first=$!
for _ in $(seq 1 300); do
  compgen -G "run/checkpoints/step-*.h5" > /dev/null && break
  sleep 0.02
done
compgen -G "run/checkpoints/step-*.h5" > /dev/null || fail "the first trainer never checkpointed"

# Each refused command must leave the running trainer's files alone: compare
# config.ini (metrics.csv and checkpoints grow meanwhile).
config_before="$(md5sum < run/config.ini)"
for attempt in "--config tiny.ini --out run --seed 2" "--resume run" "--config tiny.ini --out run --force"; do
  status=0
  # shellcheck disable=SC2086
  "$knnformer" train $attempt > /dev/null 2> second.err || status=$?
  [ $status -eq 1 ] || { cat second.err >&2; fail "train $attempt: expected status 1, got $status"; }
  [ "$(wc -l < second.err)" -eq 1 ] || { cat second.err >&2; fail "train $attempt: one line expected"; }
  grep -q "run: in use by another knnformer train (pid $first)" second.err ||
    { cat second.err >&2; fail "train $attempt: the holder's pid should be named"; }
  echo "ok: train $attempt: $(cat second.err)"
done
[ "$(md5sum < run/config.ini)" = "$config_before" ] || fail "a refused writer changed config.ini"
kill -0 $first || fail "the first trainer died"

# Its metrics stay one run's: steps strictly increasing, one header.
kill -TERM $first
status=0
wait $first || status=$?
[ $status -eq 0 ] || fail "the first trainer should finish with status 0 after SIGTERM, got $status"
[ "$(grep -c '^step,' run/metrics.csv)" -eq 1 ] || fail "metrics.csv has more than one header"
tail -n +2 run/metrics.csv | cut -d, -f1 | sort -n -c || fail "metrics.csv steps are not in order"
echo "ok: the first trainer finished undisturbed"

# kill -9 leaves no lock behind.
"$knnformer" train --resume run --steps 100000 > /dev/null 2>&1 &
killed=$!
sleep 0.5
kill -9 $killed
wait $killed 2> /dev/null || true
"$knnformer" train --resume run --steps "$(( $(tail -1 run/metrics.csv | cut -d, -f1) + 4 ))" > /dev/null ||
  fail "resume after kill -9 should find the run unlocked"
echo "ok: resumed after kill -9"
# Two new runs started together into one folder: one trains, the other is
# refused (in use, or already holding the first's run), and metrics.csv is
# the one run's.
"$knnformer" train --config tiny.ini --out together --steps 40 --seed 1 > /dev/null 2> one.err &
one=$!
"$knnformer" train --config tiny.ini --out together --steps 40 --seed 2 > /dev/null 2> two.err &
two=$!
status_one=0 status_two=0
wait $one || status_one=$?
wait $two || status_two=$?
[ $((status_one + status_two)) -eq 1 ] || { cat one.err two.err >&2; fail "exactly one of two writers should run"; }
grep -q "in use by another knnformer train\|already holds a run" one.err two.err ||
  { cat one.err two.err >&2; fail "the refused writer should say why"; }
[ "$(grep -c '^step,' together/metrics.csv)" -eq 1 ] || fail "two headers in metrics.csv"
[ "$(tail -n +2 together/metrics.csv | cut -d, -f1 | sort -n | uniq -d | wc -l)" -eq 0 ] ||
  fail "metrics.csv interleaves two runs"
echo "ok: of two runs started together, one trained: $(cat one.err two.err)"
echo "run directory lock: ok"
