# Shell functions of scripts/demo.sh and scripts/experiments.sh, sourced from
# the project root with $knnformer set to the binary to run.

# prepare_kjv: writes data-out/kjv.txt (Debian's bible-kjv) and the
# byte-level dataset data-out/kjv.h5, unless they are there already.
prepare_kjv() {
  mkdir -p data-out
  [ -f data-out/kjv.h5 ] && return
  echo "== preparing the King James Bible (bible-kjv)"
  bible "Gen1:1-Rev22:21" > data-out/kjv.txt
  "$knnformer" prepare --input data-out/kjv.txt --output data-out/kjv.h5
}

# train_run RUN_DIR CONFIG DATA [FLAGS...]: trains CONFIG on DATA into RUN_DIR
# with the extra FLAGS, or resumes RUN_DIR when it already holds a run (a
# complete run resumes to no more steps), so a script run twice picks up
# where it stopped.
train_run() {
  local run=$1 config=$2 data=$3
  shift 3
  if [ -f "$run/config.ini" ]; then
    echo "== resuming $run"
    "$knnformer" train --resume "$run"
  else
    echo "== training $config $* into $run"
    "$knnformer" train --config "$config" --data "$data" --out "$run" "$@"
  fi
}
