# Shared by the train/eval/generate CLI tests (sourced; not a test itself).
# Each test runs as `bash tests/cli/NAME.sh /path/to/knnformer` from the
# project root, in a temporary folder removed at exit.
set -euo pipefail

knnformer="$(realpath "$1")"
# $work, fail, snapshot and the expect_* checks of failing commands
# (expect_error, expect_usage_error, ...); a failed check ends the test.
# Sourced before the cd, while $0 still leads to tests/cli.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/expectations.bash"
cd "$work"

# A byte-level dataset of a small, repetitive English text (about 60 KB).
make_dataset() {
  for i in $(seq 1 600); do
    echo "In the beginning the cat sat on the mat, and the dog sat on the log; line $i."
  done > corpus.txt
  "$knnformer" prepare --input corpus.txt --output data.h5 > /dev/null
}

# write_run DIR CONFIG_LINES METRICS_ROWS: a run directory as `train` leaves
# it, with the given config lines and metrics rows (for `compare`).
write_run() {
  mkdir -p "$1"
  printf '%s\n' "$2" > "$1/config.ini"
  echo "step,tokens,train_loss,val_loss,lr,grad_norm,ms_per_step,tokens_per_s" > "$1/metrics.csv"
  printf '%s\n' "$3" >> "$1/metrics.csv"
}

# A model small enough that a step takes milliseconds on one thread.
write_tiny_config() {
  cat > tiny.ini <<'INI'
data = data.h5
threads = 1
n-layer = 1
n-head = 2
n-embd = 16
context = 16
dropout = 0.1
batch = 4
grad-accum = 2
lr = 0.01
warmup = 2
log-every = 2
eval-every = 4
eval-batches = 2
checkpoint-every = 4
keep-checkpoints = 2
INI
}

# The metrics without the timing columns (ms_per_step, tokens_per_s).
without_timing() { cut -d, -f1-6 "$1"; }
