#!/usr/bin/env bash
# knnformer compare on runs with answers (a val_accuracy column): the accuracy
# table, the plot's second row and the accuracy blocks of its data file; and no
# accuracy table for runs without the column.
source "$(dirname "$0")/train_helpers.bash"

# block FILE NAME: the points of one block of a plot data file.
block() { awk -v name="# $2" '$0 == name { on = 1; next } /^$/ { on = 0 } on' "$1"; }

# accuracy_run DIR CONFIG_LINES METRICS_ROWS: write_run with a val_accuracy column, the rows giving its values.
accuracy_run() {
  write_run "$@"
  sed -i '1s/$/,val_accuracy/' "$1/metrics.csv"
}

# exact takes 10 ms a step (0.1 s per 10 steps), knn 5 ms. exact reaches 50% at step 20 (0.2 s) and 90% at step 40
# (0.4 s); knn reaches 50% at step 10 (0.05 s) and exactly 90% at step 20 (0.1 s), a quarter of exact's time, and
# ends lower than its best. text trains on data without answers.
config=$'data = copy.h5\nsteps = 40\nbatch = 2\ncontext = 4'
accuracy_run exact "$config" $'10,80,3.0,3.1,1e-3,1,10.00,800,0.25\n20,160,2.5,2.6,1e-3,1,10.00,800,0.5
30,240,2.0,2.1,1e-3,1,10.00,800,0.75\n40,320,1.5,1.6,1e-3,1,10.00,800,0.9375'
accuracy_run knn "$config"$'\nattention = knn\nknn-k = 2' $'10,80,3.0,3.0,1e-3,1,5.00,1600,0.5
20,160,2.5,2.0,1e-3,1,5.00,1600,0.9\n30,240,2.0,1.5,1e-3,1,5.00,1600,0.95\n40,320,1.5,1.7,1e-3,1,5.00,1600,0.875'
write_run text "$config" $'10,80,3.0,3.1,1e-3,1,10.00,800\n20,160,2.5,2.6,1e-3,1,10.00,800
30,240,2.0,2.1,1e-3,1,10.00,800\n40,320,1.5,1.6,1e-3,1,10.00,800'

"$knnformer" compare exact knn text --plot runs.png > stdout.log 2> stderr.log ||
  { cat stderr.log >&2; fail "compare failed"; }
cat stdout.log
[ "$(sed -n '/^run  *final acc/,/^$/p' stdout.log)" = \
"run    final acc  best acc  best at  steps to 50%  time to 50%  steps to 90%  time to 90%  time to 90% vs first
exact      93.8%     93.8%       40            20       0.20 s            40       0.40 s                 1.00x
knn        87.5%     95.0%       30            10       0.05 s            20       0.10 s                 0.25x
text           -         -        -             -            -             -            -                     -" ] ||
  fail "the accuracy table"
grep -q "^knn  *knn .* 40 *1\.7000 " stdout.log || fail "the main table before it"
! grep -q "^figure" stdout.log || fail "val_accuracy is not a figure"
echo "ok: the accuracy table"

[ "$(block runs.dat 'exact: val accuracy')" = $'10 80 0.100 0.250000\n20 160 0.200 0.500000
30 240 0.300 0.750000\n40 320 0.400 0.937500' ] || fail "exact's accuracy points"
[ "$(block runs.dat 'knn: val accuracy')" = $'10 80 0.050 0.500000\n20 160 0.100 0.900000
30 240 0.150 0.950000\n40 320 0.200 0.875000' ] || fail "knn's accuracy points"
[ "$(grep '^# ' runs.dat | tail -n +2)" = "# exact: train loss
# exact: val loss
# knn: train loss
# knn: val loss
# text: train loss
# text: val loss
# exact: val accuracy
# knn: val accuracy" ] || fail "the loss blocks first, then the accuracy blocks of the runs that have one"
# A PNG's IHDR chunk holds its width and height: 1600 by two rows of 640.
[ "$(od -An -tx1 -j16 -N8 runs.png | tr -d ' \n')" = "0000064000000500" ] || fail "the plot is not 1600x1280"
echo "ok: the plot's second row and its points"

# Runs without answers: no accuracy table, and a plot of one row.
cp -r text text2
"$knnformer" compare text text2 --plot text.png > stdout.log 2> /dev/null
! grep -q "acc" stdout.log || fail "no accuracy table without val_accuracy"
! grep -q "accuracy" text.dat || fail "no accuracy blocks without val_accuracy"
[ "$(od -An -tx1 -j16 -N8 text.png | tr -d ' \n')" = "0000064000000280" ] || fail "the plot is not 1600x640"
echo "compare accuracy: ok"
