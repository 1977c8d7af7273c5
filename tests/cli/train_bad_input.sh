#!/usr/bin/env bash
# Every bad input: a one-line error, a non-zero exit, nothing on disk changed.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
"$knnformer" train --config tiny.ini --out run --steps 8 > /dev/null

echo "colour = red" > unknown.ini
expect_error "unknown.ini: unknown option 'colour'" "$knnformer" train --config unknown.ini --out new
expect_error "unknown option '--colour'" "$knnformer" train --config tiny.ini --out new --colour red
expect_error "--batch: 'four' is not an integer" "$knnformer" train --config tiny.ini --out new --batch four
expect_error "--lr: -1 is out of range" "$knnformer" train --config tiny.ini --out new --lr -1
expect_error "--batch: 0 is out of range" "$knnformer" train --config tiny.ini --out new --batch 0
expect_error "unknown attention mode 'fast'" "$knnformer" train --config tiny.ini --out new --attention fast
expect_error "missing.ini: cannot read" "$knnformer" train --config missing.ini --out new
expect_error "not divisible by n-head" "$knnformer" train --config tiny.ini --out new --n-embd 15
expect_error "--positions: 'sinus' is not one of: learned, rope" \
  "$knnformer" train --config tiny.ini --out new --positions sinus
expect_error "positions = rope needs an even head dim" \
  "$knnformer" train --config tiny.ini --out new --positions rope --n-head 16
expect_error "already holds a run" "$knnformer" train --config tiny.ini --out run
expect_error "no such file" "$knnformer" train --config tiny.ini --out new --data nothing.h5
# T longer than the val split (about 6 KB of tokens).
expect_error "val" "$knnformer" train --config tiny.ini --out new --context 20000
head -c 4000 /dev/zero > zeros.bin
"$knnformer" prepare --import-bin zeros.bin --vocab-size 100 --output other.h5 > /dev/null
expect_error "vocab" "$knnformer" train --resume run --data other.h5 --steps 12
expect_error "a resumed run keeps its config" "$knnformer" train --resume run --n-embd 32 --steps 12
expect_error "cannot be combined" "$knnformer" train --resume run --config tiny.ini
expect_error "not a run directory" "$knnformer" train --resume nowhere

# A run whose checkpoints are all damaged.
cp -r run broken
for f in broken/checkpoints/*.h5; do truncate -s 2000 "$f"; done
before="$(snapshot)"
status=0
"$knnformer" train --resume broken --steps 12 > /dev/null 2> stderr.log || status=$?
[ $status -ne 0 ] || fail "resume without a valid checkpoint should fail"
[ "$(grep -c '^knnformer train: error:' stderr.log)" -eq 1 ] || fail "one error line expected"
grep -q "no valid checkpoint" stderr.log || fail "should say no valid checkpoint"
echo "ok: $(grep error stderr.log)"

# A checkpoint whose model shape differs from the run's config.
cp -r run reshaped
sed -i 's/^n-embd = 16$/n-embd = 32/' reshaped/config.ini
expect_error "has shape" "$knnformer" train --resume reshaped --steps 12

expect_error "no checkpoint given" "$knnformer" eval
expect_error "vocab_size" "$knnformer" eval --checkpoint run --data other.h5
echo "bad inputs: ok"
