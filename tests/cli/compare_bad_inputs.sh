#!/usr/bin/env bash
# knnformer compare's bad inputs: each a one-line error, a non-zero exit and
# no file written; a missing gnuplot still leaves the table printed.
source "$(dirname "$0")/train_helpers.bash"

write_run a 'data = data.h5' $'10,80,3.0,2.9,1e-3,1,10.00,800\n20,160,2.5,2.6,1e-3,1,10.00,800'
write_run b 'data = data.h5' $'10,80,3.1,3.0,1e-3,1,20.00,400\n20,160,2.4,2.5,1e-3,1,20.00,400'
write_run odd 'data = data.h5' $'15,120,3.1,3.0,1e-3,1,20.00,400'
mkdir notes && echo "not a run" > notes/readme.txt
mkdir config-only && echo "data = data.h5" > config-only/config.ini

expect_usage_error "no run directory given" "$knnformer" compare
expect_error "nowhere is not a run directory (no such folder)" "$knnformer" compare a nowhere
expect_error "notes is not a run directory (no config.ini)" "$knnformer" compare a notes
expect_error "config-only is not a run directory (no metrics.csv)" "$knnformer" compare a config-only
expect_error "the runs share no logged step" "$knnformer" compare a odd
expect_error "--by: 'epoch' is not one of: step, tokens, time" "$knnformer" compare a b --by epoch
expect_usage_error "unknown option '--colour'" "$knnformer" compare a b --colour red
expect_error "--plot runs.jpg: expected a .png or .svg file" "$knnformer" compare a b --plot runs.jpg
# The plot path is checked before any run is read.
expect_error "--plot missing/runs.png: cannot write there (no folder missing)" \
  "$knnformer" compare nowhere --plot missing/runs.png
expect_error "--plot notes/readme.txt/x.png: cannot write there" "$knnformer" compare a b --plot notes/readme.txt/x.png
mkdir folder.png
expect_error "--plot folder.png: cannot write there (it is not a writable file)" \
  "$knnformer" compare a b --plot folder.png

mkdir empty && echo "data = data.h5" > empty/config.ini
echo "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s" > empty/metrics.csv
expect_error "empty/metrics.csv holds no complete row yet" "$knnformer" compare a empty

# Without gnuplot: the table, then an error saying what to install; no plot files.
expect_error "gnuplot is not installed.*apt-get install gnuplot-nox" \
  env PATH=/nonexistent "$knnformer" compare a b --plot runs.png
grep -Eq "^b +exact .* 0\.50x$" stdout.log || fail "the table should print without gnuplot"

# A gnuplot that fails: its complaint as the error, no image and no temporary file left.
mkdir fake-bin
printf '#!/bin/sh\necho "warming up" >&2\necho "line 3: no such terminal" >&2\nexit 1\n' > fake-bin/gnuplot
chmod +x fake-bin/gnuplot
status=0
PATH="$PWD/fake-bin:$PATH" "$knnformer" compare a b --plot runs.png > stdout.log 2> stderr.log || status=$?
[ $status -ne 0 ] || fail "a failing gnuplot should fail compare"
[ "$(cat stderr.log)" = "knnformer compare: error: gnuplot failed (exit status 1): line 3: no such terminal" ] ||
  fail "gnuplot's complaint expected, got: $(cat stderr.log)"
[ ! -e runs.png ] && [ -z "$(ls | grep '\.tmp$')" ] || fail "no image and no temporary file should be left"
echo "ok: $(cat stderr.log)"
echo "compare bad inputs: ok"
