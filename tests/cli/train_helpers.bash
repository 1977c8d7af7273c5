# Shared by the train/eval/generate CLI tests (sourced; not a test itself).
# Each test runs as `bash tests/cli/NAME.sh /path/to/knnformer` from the
# project root, in a temporary folder removed at exit.
set -euo pipefail

knnformer="$(realpath "$1")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

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

# A listing of every file under the folder with its checksum.
snapshot() { find . -type f -print0 | sort -z | xargs -0 md5sum; }

# expect_failure STATUS PATTERN COMMAND...: the command exits with STATUS,
# one line on stderr matching PATTERN, and changes no file.
expect_failure() {
  local expected_status="$1" pattern="$2"
  shift 2
  local before after status=0
  before="$(snapshot)"
  "$@" > stdout.log 2> stderr.log || status=$?
  after="$(snapshot | grep -v ' ./std\(out\|err\)\.log$' || true)"
  before="$(echo "$before" | grep -v ' ./std\(out\|err\)\.log$' || true)"
  [ "$status" -eq "$expected_status" ] ||
    { cat stderr.log >&2; fail "expected exit status $expected_status, got $status: $*"; }
  [ "$(wc -l < stderr.log)" -eq 1 ] || { cat stderr.log >&2; fail "expected one line on stderr from: $*"; }
  grep -q -- "$pattern" stderr.log || { cat stderr.log >&2; fail "expected '$pattern' from: $*"; }
  [ "$before" = "$after" ] || fail "files changed after the failed command: $*"
  echo "ok: $(cat stderr.log)"
}

# expect_error PATTERN COMMAND...: a failure of the work (exit status 1).
expect_error() { expect_failure 1 "$@"; }

# expect_usage_error PATTERN COMMAND...: a wrong command line (exit status 2).
expect_usage_error() { expect_failure 2 "$@"; }
