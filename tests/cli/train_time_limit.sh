#!/usr/bin/env bash
# --time-limit: a run stops, evaluated and checkpointed, at the first step
# whose training time reaches the limit; the checkpoint keeps the time, so a
# resumed run counts it on; a run whose time is used does nothing on resume,
# and a larger limit trains it further.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config

"$knnformer" train --config tiny.ini --out timed --steps 100000 --time-limit 1 --eval-every 1000 > out.log
grep -q "time limit (1 s of training) reached at step" out.log || fail "the run should stop at its time limit"
last_row=$(tail -1 timed/metrics.csv)
last_step=${last_row%%,*}
[ "$last_step" -lt 100000 ] || fail "the run should stop long before its steps"
val_loss=$(cut -d, -f4 <<< "$last_row")
[ -n "$val_loss" ] || fail "the step the limit ends on is evaluated: $last_row"
[ -f "timed/checkpoints/step-$(printf '%08d' "$last_step").h5" ] || fail "the last step is checkpointed"

"$knnformer" train --resume timed > again.log
grep -q "already reach its time limit of 1 s; nothing to do" again.log || fail "a used-up run should do nothing"

"$knnformer" train --resume timed --time-limit 2 > further.log
grep -q "resuming timed from step $last_step" further.log || fail "a larger limit resumes the run"
grep -q "time limit (2 s of training) reached at step" further.log || fail "and stops at the new limit"
further_step=$(tail -1 timed/metrics.csv | cut -d, -f1)
[ "$further_step" -gt "$last_step" ] || fail "it should have trained further: $further_step after $last_step"
grep -q "^time-limit = 2$" timed/config.ini || fail "config.ini should say time-limit = 2"
echo "time limit: ok"
