#!/usr/bin/env bash
# The README's main command. On a fresh Debian 12 machine it installs what is
# missing and builds (scripts/setup.sh), prepares the King James Bible as a
# byte-level dataset, trains configs/kjv-char.ini three times — exact, kNN
# and lazy-Gumbel sampled attention, with the same seed and data order
# (about 2.5, 3 and 5 minutes on 2 cores) — compares their curves (a table
# and runs/kjv-compare.png) and prints a generated sample.
#
# Usage: scripts/demo.sh
# Writes data-out/kjv.txt, data-out/kjv.h5 and runs/kjv-{exact,knn,gumbel}/.
# Run again, it reuses the dataset, resumes unfinished runs, and samples again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
knnformer=build/knnformer

mkdir -p data-out runs
if [ ! -f data-out/kjv.h5 ]; then
  echo "== preparing the King James Bible (bible-kjv)"
  bible "Gen1:1-Rev22:21" > data-out/kjv.txt
  "$knnformer" prepare --input data-out/kjv.txt --output data-out/kjv.h5
fi

# train_run NAME [FLAGS...]: trains runs/kjv-NAME, or resumes it.
train_run() {
  local run=runs/kjv-$1
  shift
  if [ -f "$run/config.ini" ]; then
    echo "== resuming $run"
    "$knnformer" train --resume "$run"
  else
    echo "== training configs/kjv-char.ini $* into $run"
    "$knnformer" train --config configs/kjv-char.ini --data data-out/kjv.h5 --out "$run" "$@"
  fi
}

train_run exact
train_run knn --attention knn
train_run gumbel --attention gumbel --attention-backward sampled

echo "== exact against approximate attention"
"$knnformer" compare runs/kjv-exact runs/kjv-knn runs/kjv-gumbel --plot runs/kjv-compare.png

echo "== a sample from runs/kjv-exact"
"$knnformer" generate --checkpoint runs/kjv-exact --prompt "And God said" --tokens 400 --temperature 0.8 --top-k 40 \
  --seed 1
