#!/usr/bin/env bash
# --fidelity-every: the fidelity columns of metrics.csv (means, then per
# layer), filled every N steps and at the last step, empty elsewhere; the
# losses equal a run without it; resume writes the same figures; compare
# shows the means; exact attention measures zero error.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
# Two layers of sampled attention through the clustered index: every figure has something to say.
attention=(--n-layer 2 --attention gumbel --knn-index clustered --knn-k 4 --samples 4)

"$knnformer" train --config tiny.ini --out plain --steps 14 "${attention[@]}" > /dev/null
cp tiny.ini fidelity.ini
echo "fidelity-every = 4" >> fidelity.ini
"$knnformer" train --config fidelity.ini --out probed --steps 14 "${attention[@]}" > /dev/null

figures="fidelity_out,fidelity_dq,fidelity_dk,fidelity_dv,fidelity_recall,fidelity_tail_work"
per_layer="fidelity_out.0,fidelity_out.1,fidelity_dq.0,fidelity_dq.1,fidelity_dk.0,fidelity_dk.1"
per_layer+=",fidelity_dv.0,fidelity_dv.1,fidelity_recall.0,fidelity_recall.1,fidelity_tail_work.0,fidelity_tail_work.1"
head -1 probed/metrics.csv | grep -qx "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s,$figures,$per_layer" ||
  fail "fidelity header: $(head -1 probed/metrics.csv)"
head -1 plain/metrics.csv | grep -qx "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s" ||
  fail "a run without --fidelity-every keeps the standard header"
grep -q "^fidelity-every = 4$" probed/config.ini || fail "config.ini records fidelity-every"

# Rows at the log steps 2, 4, ..., 14; fidelity at 4, 8, 12 and the last step, 14.
diff <(cut -d, -f1-6 plain/metrics.csv) <(cut -d, -f1-6 probed/metrics.csv) || fail "the losses changed"
[ "$(awk -F, 'NR > 1 && $9 != "" { print $1 }' probed/metrics.csv | tr '\n' ' ')" = "4 8 12 14 " ] ||
  fail "fidelity should run at steps 4, 8, 12, 14"
awk -F, 'NR > 1 && $9 == "" { for (c = 9; c <= NF; ++c) if ($c != "") exit 1 }' probed/metrics.csv ||
  fail "rows without fidelity should have empty cells"
awk -F, 'NR > 1 && $9 != "" { if (NF != 26) exit 1; for (c = 9; c <= NF; ++c) if ($c == "") exit 1 }' \
  probed/metrics.csv || fail "rows with fidelity should fill every fidelity cell"
awk -F, 'NR > 1 && $9 != "" && !($9 > 0 && $13 > 0 && $13 <= 1) { exit 1 }' probed/metrics.csv ||
  fail "sampled attention should err (fidelity_out > 0) and its recall be in (0, 1]"
echo "ok: columns, and the losses of a run without fidelity"

# A resumed run writes the same rows, fidelity included (all but the timing columns).
"$knnformer" train --config fidelity.ini --out halves --steps 8 --lr-decay-steps 14 "${attention[@]}" > /dev/null
"$knnformer" train --resume halves --steps 14 > /dev/null
diff <(cut -d, -f1-6,9- probed/metrics.csv) <(cut -d, -f1-6,9- halves/metrics.csv) || fail "resumed fidelity rows differ"
expect_usage_error "fidelity-every = 4" "$knnformer" train --resume halves --steps 16 --fidelity-every 0
echo "ok: resume"

"$knnformer" compare plain probed > compare.log 2> /dev/null
grep -Eq "^fidelity_out +- +[0-9.e+-]+$" compare.log || { cat compare.log; fail "compare should show fidelity_out"; }
grep -Eq "^fidelity_recall +- +[0-9.e+-]+$" compare.log || fail "compare should show fidelity_recall"
! grep -q "^fidelity_out\.0" compare.log || fail "compare should leave the per-layer columns out"
echo "ok: compare"

"$knnformer" train --config tiny.ini --out exact --steps 4 --fidelity-every 2 > /dev/null
[ "$(tail -1 exact/metrics.csv | cut -d, -f9-14)" = "0,0,0,0,1,0" ] ||
  fail "exact attention should measure zero error: $(tail -1 exact/metrics.csv)"
echo "train fidelity: ok"
