#!/usr/bin/env bash
# Every bad input: a one-line error, exit status 1 (2 for a wrong command
# line), nothing on disk changed.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
"$knnformer" train --config tiny.ini --out run --steps 8 > /dev/null

# The command line.
expect_usage_error "unknown option '--colour'" "$knnformer" train --config tiny.ini --out new --colour red
expect_usage_error "--batch: 'four' is not an integer" "$knnformer" train --config tiny.ini --out new --batch four
expect_usage_error "--lr: -1 is out of range" "$knnformer" train --config tiny.ini --out new --lr -1
expect_usage_error "--batch: 0 is out of range" "$knnformer" train --config tiny.ini --out new --batch 0
expect_usage_error "--threads: 100000 is out of range" "$knnformer" train --config tiny.ini --out new --threads 100000
expect_usage_error "--positions: 'sinus' is not one of: learned, rope" \
  "$knnformer" train --config tiny.ini --out new --positions sinus
expect_usage_error "--precision: 'fp16' is not one of: fp32, bf16" \
  "$knnformer" train --config tiny.ini --out new --precision fp16
expect_usage_error "--lr is given more than once" "$knnformer" train --config tiny.ini --out new --lr 0.1 --lr 0.2
expect_usage_error "unexpected argument 'extra'" "$knnformer" train --config tiny.ini --out new extra
expect_usage_error "a resumed run keeps its config" "$knnformer" train --resume run --n-embd 32 --steps 12
expect_usage_error "cannot be combined" "$knnformer" train --resume run --config tiny.ini
expect_usage_error "--out cannot be combined with --resume" "$knnformer" train --resume run --out elsewhere
for command in eval generate; do
  expect_usage_error "--threads: 100000 is out of range" "$knnformer" $command --checkpoint run --threads 100000
  expect_usage_error "--threads: -1 is out of range" "$knnformer" $command --checkpoint run --threads -1
  expect_usage_error "no checkpoint given" "$knnformer" $command
done
expect_usage_error "unexpected argument 'hi'" "$knnformer" generate --checkpoint run hi
expect_usage_error "--tokens is given more than once" "$knnformer" generate --checkpoint run --tokens 3 --tokens 4

# Config files.
echo "colour = red" > unknown.ini
expect_error "unknown.ini: unknown option 'colour'" "$knnformer" train --config unknown.ini --out new
expect_error "missing.ini: cannot read" "$knnformer" train --config missing.ini --out new
mkdir folder.ini
expect_error "folder.ini: is a folder, expected a file" "$knnformer" train --config folder.ini --out new
# A byte-order mark, as Windows editors write, is not part of the first name.
printf '\xef\xbb\xbfseed = 7\n' > bom.ini
cat tiny.ini >> bom.ini
sed -i '/^data = /d' bom.ini
"$knnformer" train --config bom.ini --data data.h5 --out bom --steps 2 > /dev/null
grep -q "^seed = 7$" bom/config.ini || fail "the config with a byte-order mark was not read"
echo "ok: a config file with a byte-order mark"

expect_usage_error "--attention: 'fast' is not one of: exact, knn, gumbel, knn-tail" "$knnformer" train --config tiny.ini --out new --attention fast
expect_error "not divisible by n-head" "$knnformer" train --config tiny.ini --out new --n-embd 15
expect_error "positions = rope needs an even head dim" \
  "$knnformer" train --config tiny.ini --out new --positions rope --n-head 16
expect_error "already holds a run" "$knnformer" train --config tiny.ini --out run
expect_error "tiny.ini: is a file, not a run directory" "$knnformer" train --config tiny.ini --out tiny.ini --force
expect_error "no such file" "$knnformer" train --config tiny.ini --out new --data nothing.h5
# T longer than the val split (about 6 KB of tokens).
expect_error "val" "$knnformer" train --config tiny.ini --out new --context 20000
head -c 4000 /dev/zero > zeros.bin
"$knnformer" prepare --import-bin zeros.bin --vocab-size 100 --output other.h5 > /dev/null
expect_error "vocab" "$knnformer" train --resume run --data other.h5 --steps 12
# A dataset whose tokenizer inspect refuses is refused by train too.
cp data.h5 unknown-tokenizer.h5
/usr/bin/python3 -c "import h5py; h5py.File('unknown-tokenizer.h5', 'r+').attrs['tokenizer'] = 'gpt2'"
expect_error "unknown-tokenizer.h5: unknown tokenizer 'gpt2'" "$knnformer" inspect unknown-tokenizer.h5
expect_error "unknown-tokenizer.h5: unknown tokenizer 'gpt2'" \
  "$knnformer" train --config tiny.ini --data unknown-tokenizer.h5 --out new
expect_error "not a run directory" "$knnformer" train --resume nowhere

# A run's config.ini, edited by hand: a resume keeps its config, from a
# file as from the command line; an emptied or cut one names what is missing.
cp -r run edited
sed -i 's/^lr = 0.01$/lr = 0.02/' edited/config.ini
expect_error "edited/config.ini: lr = 0.02 differs from the run's checkpoints (lr = 0.01" \
  "$knnformer" train --resume edited --steps 12
sed -i 's/^n-embd = 16$/n-embd = 32/; s/^lr = 0.02$/lr = 0.01/' edited/config.ini
expect_error "n-embd = 32 differs from the run's checkpoints" "$knnformer" train --resume edited --steps 12
: > edited/config.ini
expect_error "edited/config.ini: holds no options" "$knnformer" train --resume edited --steps 12
grep -v "^seed = " run/config.ini > edited/config.ini
expect_error "edited/config.ini: option 'seed' is missing" "$knnformer" train --resume edited --steps 12

# A run whose checkpoints are all damaged: each is reported and set aside.
cp -r run broken
for f in broken/checkpoints/*.h5; do truncate -s 2000 "$f"; done
status=0
"$knnformer" train --resume broken --steps 12 > /dev/null 2> stderr.log || status=$?
[ $status -eq 1 ] || fail "resume without a valid checkpoint should fail with status 1, got $status"
[ "$(grep -c '^knnformer train: error:' stderr.log)" -eq 1 ] || fail "one error line expected"
grep -q "no valid checkpoint" stderr.log || fail "should say no valid checkpoint"
[ "$(ls broken/checkpoints/*.corrupt | wc -l)" -eq 2 ] || fail "both damaged checkpoints should be set aside"
echo "ok: $(grep error stderr.log)"
expect_error "no valid checkpoint to resume from (2 set aside" "$knnformer" train --resume broken --steps 12

expect_error "vocab_size" "$knnformer" eval --checkpoint run --data other.h5

# A garbage metrics.csv is named, not a bare "stoll".
cp -r run garbage
printf 'step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s\n2,64,5.5,,0.01,1,1,1\nxyz\n' \
  > garbage/metrics.csv
expect_error "garbage/metrics.csv: line 3 is not a metrics row" "$knnformer" train --resume garbage --steps 12
echo "bad inputs: ok"
