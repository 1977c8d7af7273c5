#!/usr/bin/env bash
# The README's main command. On a fresh Debian 12 machine it installs what is
# missing and builds (scripts/setup.sh), prepares the King James Bible as a
# byte-level dataset, trains configs/kjv-char.ini three times — exact, kNN
# and lazy-Gumbel sampled attention, with the same seed and data order
# (about 2, 2 and 3 minutes of training on 2 cores) — compares their curves (a table
# and runs/kjv-compare.png) and prints a generated sample.
#
# Usage: scripts/demo.sh
# Writes data-out/kjv.txt, data-out/kjv.h5 and runs/kjv-{exact,knn,gumbel}/.
# Run again, it reuses the dataset, resumes unfinished runs, and samples again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
knnformer=build/knnformer

source scripts/runs.bash
prepare_kjv
mkdir -p runs
train_run runs/kjv-exact configs/kjv-char.ini data-out/kjv.h5
# The same flags as scripts/experiments.sh, which reuses these runs; the
# approximate ones also log their attention's error against exact attention.
train_run runs/kjv-knn configs/kjv-char.ini data-out/kjv.h5 --attention knn --fidelity-every 100
train_run runs/kjv-gumbel configs/kjv-char.ini data-out/kjv.h5 --attention gumbel --attention-backward sampled \
  --fidelity-every 100

echo "== exact against approximate attention"
"$knnformer" compare runs/kjv-exact runs/kjv-knn runs/kjv-gumbel --plot runs/kjv-compare.png

echo "== a sample from runs/kjv-exact"
"$knnformer" generate --checkpoint runs/kjv-exact --prompt "And God said" --tokens 400 --temperature 0.8 --top-k 40 \
  --seed 1
