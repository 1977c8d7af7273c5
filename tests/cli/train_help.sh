#!/usr/bin/env bash
# --help lists every option of docs/design.md §7.7's table with its default; a config
# saved by a run trains the same run again.
source "$(dirname "$0")/train_helpers.bash"
"$knnformer" train --help > help.txt
for option in config data out resume force seed threads steps n-layer n-head n-embd context dropout attention \
  attention-backward knn-k samples mom-groups knn-index clusters probes sampled-start \
  batch grad-accum optimizer lr min-lr warmup weight-decay beta1 beta2 momentum grad-clip \
  log-every eval-every eval-batches checkpoint-every keep-checkpoints fidelity-every; do
  grep -q -- "--$option " help.txt || fail "--help does not list --$option"
done
grep -q -- "--lr arg (=0.001)" help.txt || fail "--help shows defaults"

make_dataset
write_tiny_config
"$knnformer" train --config tiny.ini --out first --steps 6 --optimizer sgd --grad-clip 0.5 > first.log
grep -q "^optimizer = sgd$" first.log || fail "the effective config is printed"
"$knnformer" train --config first/config.ini --out second > /dev/null
diff <(without_timing first/metrics.csv) <(without_timing second/metrics.csv) || fail "a saved config reruns the run"
echo "help and saved config: ok"

# --force starts over in a folder that holds a run.
"$knnformer" train --config tiny.ini --out first --steps 4 --force > /dev/null
[ "$(tail -1 first/metrics.csv | cut -d, -f1)" = 4 ] || fail "--force should replace the run"
[ "$(ls first/checkpoints)" = "step-00000004.h5" ] || fail "--force should remove the old checkpoints"
echo "--force: ok"
