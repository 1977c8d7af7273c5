#!/usr/bin/env bash
# Resume equality: 2N steps straight equal N steps then --resume to 2N, row
# for row except the timing columns, with learned and with rotary positions
# and with bf16 products; a bf16 run continues in fp32; a finished run
# resumed does nothing.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config

"$knnformer" train --config tiny.ini --out straight --steps 24 > /dev/null
"$knnformer" train --config tiny.ini --out halves --steps 12 --lr-decay-steps 24 > /dev/null
"$knnformer" train --resume halves --steps 24 > /dev/null

diff <(without_timing straight/metrics.csv) <(without_timing halves/metrics.csv) || fail "resumed metrics differ"
[ "$(wc -l < straight/metrics.csv)" -eq 13 ] || fail "expected a header and 12 rows"
head -1 straight/metrics.csv | grep -qx "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s" ||
  fail "metrics header"
grep -q "^steps = 24$" halves/config.ini || fail "config.ini of the resumed run should say steps = 24"

"$knnformer" train --resume halves > out.log
grep -q "nothing to do" out.log || fail "resuming a finished run should do nothing"

# A model with rotary positions (no wpe) saves, resumes and evaluates the same way.
"$knnformer" train --config tiny.ini --positions rope --out rope-straight --steps 24 > /dev/null
"$knnformer" train --config tiny.ini --positions rope --out rope-halves --steps 12 --lr-decay-steps 24 > /dev/null
"$knnformer" train --resume rope-halves --steps 24 > /dev/null
diff <(without_timing rope-straight/metrics.csv) <(without_timing rope-halves/metrics.csv) ||
  fail "resumed metrics of the rope model differ"
grep -q "^positions = rope$" rope-halves/config.ini || fail "config.ini should say positions = rope"
"$knnformer" eval --checkpoint rope-halves > eval.log || fail "eval of the rope model"

# bf16 products: checkpoints hold fp32, so a bf16 run resumes bit-exactly as
# bf16, and may go on in fp32 (the precision is resumable).
"$knnformer" train --config tiny.ini --precision bf16 --out bf16-straight --steps 24 > bf16.log
grep -q "^precision: " bf16.log || fail "a bf16 run should say which precision its products take"
"$knnformer" train --config tiny.ini --precision bf16 --out bf16-halves --steps 12 --lr-decay-steps 24 > /dev/null
"$knnformer" train --resume bf16-halves --steps 24 > /dev/null
diff <(without_timing bf16-straight/metrics.csv) <(without_timing bf16-halves/metrics.csv) ||
  fail "resumed metrics of the bf16 run differ"
grep -q "^precision = bf16$" bf16-halves/config.ini || fail "config.ini should say precision = bf16"
"$knnformer" train --resume bf16-halves --steps 30 --precision fp32 > /dev/null || fail "a bf16 run continued in fp32"
grep -q "^precision = fp32$" bf16-halves/config.ini || fail "config.ini should say precision = fp32 after it"
[ "$(wc -l < bf16-halves/metrics.csv)" -eq 16 ] || fail "the run continued in fp32 should reach step 30"
echo "resume equality: ok"
