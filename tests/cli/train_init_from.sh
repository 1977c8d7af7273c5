#!/usr/bin/env bash
# --init-from: a new run starts from another run's parameters (its newest
# checkpoint, or a checkpoint file): with rotary positions at another
# context, the curriculum of long-context training; its first steps then
# start from the trained model's loss, not a random one's. A model whose
# shape differs, learned positions at another context among them, is refused
# with one line naming the parameter, and nothing is left behind.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config

"$knnformer" train --config tiny.ini --positions rope --out short --steps 24 --log-every 1 > /dev/null
"$knnformer" train --config tiny.ini --positions rope --context 32 --out fresh --steps 1 --log-every 1 > /dev/null
"$knnformer" train --config tiny.ini --positions rope --context 32 --out long --steps 1 --log-every 1 \
  --init-from short > out.log
grep -q "^parameters from .*short/checkpoints/step-00000024.h5 (step 24)$" out.log ||
  fail "the run should say where its parameters come from: $(cat out.log)"
fresh_loss=$(tail -1 fresh/metrics.csv | cut -d, -f3)
long_loss=$(tail -1 long/metrics.csv | cut -d, -f3)
awk -v trained="$long_loss" -v fresh="$fresh_loss" 'BEGIN { exit !(trained < fresh - 0.5) }' ||
  fail "a run from trained parameters should start far below a fresh one ($long_loss against $fresh_loss)"
grep -q "^init-from = .*/short$" long/config.ini || fail "config.ini should keep init-from, absolute"

"$knnformer" train --config tiny.ini --out learned --steps 2 > /dev/null
expect_error "--init-from .*learned/checkpoints/step-00000002.h5: its parameter wpe.weight \[16, 16\] does not fit this run's wpe.weight \[32, 16\] (learned positions fix the context; rotary ones do not)" \
  "$knnformer" train --config tiny.ini --context 32 --out refused --steps 1 --init-from learned
[ ! -e refused ] || fail "a refused run should leave no directory"
expect_error "^knnformer train: error: --init-from: .*nowhere: no such file$" "$knnformer" train --config tiny.ini --out missing --steps 1 --init-from nowhere
echo "init-from: ok"
