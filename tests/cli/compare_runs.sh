#!/usr/bin/env bash
# knnformer compare on runs with known metrics: the table's figures, the
# warnings, the plot (PNG and SVG) and the points of its data file; then on
# two real (tiny) runs.
source "$(dirname "$0")/train_helpers.bash"

# block FILE NAME: the points of one block of a plot data file.
block() { awk -v name="# $2" '$0 == name { on = 1; next } /^$/ { on = 0 } on' "$1"; }

# exact ran 40 steps at 10 ms/step; knn 30 steps at 5 ms/step (a smaller budget: compared up to step 30).
write_run exact $'data = data.h5\nsteps = 40\nbatch = 2\ncontext = 4' \
  $'10,80,3.0,,1e-3,1,10.00,800\n20,160,2.5,2.6,1e-3,1,10.00,800\n30,240,2.0,,1e-3,1,10.00,800\n40,320,1.5,1.8,1e-3,1,10.00,800'
write_run knn $'data = data.h5\nsteps = 30\nbatch = 2\ncontext = 4\nattention = knn\nknn-k = 2' \
  $'10,80,3.1,,1e-3,1,5.00,1600\n20,160,2.4,2.5,1e-3,1,5.00,1600\n30,240,2.1,2.2,1e-3,1,5.00,1600'

mkdir plots
"$knnformer" compare exact knn --plot plots/runs.png > stdout.log 2> stderr.log ||
  { cat stderr.log >&2; fail "compare failed"; }
cat stdout.log
grep -q "^compared by step, up to step 30 " stdout.log || fail "should compare up to step 30"
grep -Eq "^exact +exact +exact +- +- +- +30 +2\.6000 +13\.46 +\+0\.00% +2\.6000 +13\.46 +20 +\+0\.00% +10\.0 +800 +1\.00x$" stdout.log ||
  fail "exact's row"
grep -Eq "^knn +knn +sparse +2 +- +exact +30 +2\.2000 +9\.03 +-15\.38% +2\.2000 +9\.03 +30 +-15\.38% +5\.0 +1600 +2\.00x$" stdout.log ||
  fail "knn's row"
! grep -q "^figure" stdout.log || fail "no figures table without extra columns"
grep -q "warning: the runs have different token budgets (exact: 40 steps of 8 tokens, knn: 30 steps of 8 tokens)" \
  stderr.log || fail "should warn about the budgets"

[ -s plots/runs.png ] || fail "no PNG"
[ "$(head -c 8 plots/runs.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG file"
[ "$(block plots/runs.dat 'exact: train loss')" = $'10 80 0.100 3.000000\n20 160 0.200 2.500000\n30 240 0.300 2.000000' ] ||
  fail "exact's train points"
[ "$(block plots/runs.dat 'exact: val loss')" = "20 160 0.200 2.600000" ] || fail "exact's val points"
[ "$(block plots/runs.dat 'knn: train loss')" = $'10 80 0.050 3.100000\n20 160 0.100 2.400000\n30 240 0.150 2.100000' ] ||
  fail "knn's train points"
[ "$(block plots/runs.dat 'knn: val loss')" = $'20 160 0.100 2.500000\n30 240 0.150 2.200000' ] ||
  fail "knn's val points"
[ -z "$(ls plots | grep -v '^runs\.\(png\|dat\)$')" ] || fail "temporary files left: $(ls plots)"
echo "ok: PNG plot and its points"

# By time: exact's first 0.3 s against knn's 0.15 s.
"$knnformer" compare exact knn --by time --plot plots/runs.svg > stdout.log 2> /dev/null
grep -q "^compared by time, up to 0.15 s of training" stdout.log || fail "should compare up to knn's 0.15 s"
grep -q "<svg" plots/runs.svg || fail "not an SVG file"
[ "$(block plots/runs.dat 'exact: train loss')" = "10 80 0.100 3.000000" ] || fail "exact's points by time"
echo "ok: SVG plot by time"

# A run still writing its last row, on another dataset: both warned about, the complete rows compared.
write_run other $'data = other.h5\nsteps = 40\nbatch = 2\ncontext = 4' \
  $'10,80,3.0,,1e-3,1,10.00,800\n20,160,2.5,2.7,1e-3,1,10.00,800'
printf '30,240,2.0' >> other/metrics.csv
"$knnformer" compare exact other --by tokens > stdout.log 2> stderr.log
grep -q "warning: other/metrics.csv ends in a row cut short (run killed or still writing): using its 2 complete rows" \
  stderr.log || fail "should warn about the cut row"
grep -q "warning: the runs train on different datasets (exact: data.h5, other: other.h5)" stderr.log ||
  fail "should warn about the datasets"
grep -q "^compared by tokens, up to 160 tokens" stdout.log || fail "should compare up to 160 tokens"
grep -Eq "^other .* \+3\.85% " stdout.log || fail "other's gap: (2.7 - 2.6) / 2.6"
write_run rope $'data = data.h5\nsteps = 40\nbatch = 2\ncontext = 4\npositions = rope' \
  $'10,80,3.0,,1e-3,1,10.00,800\n20,160,2.5,2.4,1e-3,1,10.00,800'
"$knnformer" compare exact rope > stdout.log 2> stderr.log
grep -q "warning: the runs' models differ (exact: 4 layers, 4 heads, n-embd 256, learned positions, rope: 4 layers, \
4 heads, n-embd 256, rope positions): their gaps are not the attention's alone" stderr.log ||
  fail "should warn about the models"
echo "ok: warnings"

# A metrics column compare does not know is shown as a figure: its mean over the compared rows.
sed -i '1s/$/,fidelity_out/; 2s/$/,0.5/; 3s/$/,/; 4s/$/,0.25/' knn/metrics.csv
"$knnformer" compare exact knn > stdout.log 2> /dev/null
grep -Eq "^fidelity_out +- +0\.375$" stdout.log || { cat stdout.log; fail "the figure's mean"; }
echo "ok: figures"

# Two real runs of a tiny model.
make_dataset
write_tiny_config
"$knnformer" train --config tiny.ini --out real-exact --steps 8 > /dev/null
"$knnformer" train --config tiny.ini --out real-knn --steps 8 --attention knn --knn-k 4 > /dev/null
"$knnformer" compare real-exact real-knn --plot real.png > stdout.log
grep -Eq "^real-knn +knn +sparse +4 .* 8 " stdout.log || { cat stdout.log; fail "the real runs' table"; }
[ "$(block real.dat 'real-knn: val loss' | cut -d' ' -f1)" = $'4\n8' ] ||
  fail "val points at the evaluated steps 4 and 8"
[ -s real.png ] || fail "no plot of the real runs"
echo "compare runs: ok"
