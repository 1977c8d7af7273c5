#!/usr/bin/env bash
# The README's main command. On a fresh Debian 12 machine it installs what is
# missing and builds (scripts/setup.sh), prepares the King James Bible as a
# byte-level dataset, trains configs/kjv-char.ini (about 3 minutes on 2
# cores) and prints a generated sample.
#
# Usage: scripts/demo.sh
# Writes data-out/kjv.txt, data-out/kjv.h5 and runs/kjv-char/. Run again, it
# reuses the dataset, resumes an unfinished run, and samples again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
knnformer=build/knnformer
run=runs/kjv-char

mkdir -p data-out runs
if [ ! -f data-out/kjv.h5 ]; then
  echo "== preparing the King James Bible (bible-kjv)"
  bible "Gen1:1-Rev22:21" > data-out/kjv.txt
  "$knnformer" prepare --input data-out/kjv.txt --output data-out/kjv.h5
fi

if [ -f "$run/config.ini" ]; then
  echo "== resuming $run"
  "$knnformer" train --resume "$run"
else
  echo "== training configs/kjv-char.ini into $run"
  "$knnformer" train --config configs/kjv-char.ini --data data-out/kjv.h5 --out "$run"
fi

echo "== a sample from $run"
"$knnformer" generate --checkpoint "$run" --prompt "And God said" --tokens 400 --temperature 0.8 --top-k 40 --seed 1
