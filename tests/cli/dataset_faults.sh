#!/usr/bin/env bash
# Damaged token datasets: single bit flips spread over the file (superblock,
# object headers, attributes, chunk index, token chunks, the SentencePiece
# model) and truncations, made with fixed seeds from pristine files. On each
# damaged copy `knnformer inspect` and a 2-step `knnformer train` must end
# with status 0 or 1 — never a signal, never a hang — print at most one line
# on stderr, exactly one when they fail, and leave the pristine files as they
# were.
# usage: bash tests/cli/dataset_faults.sh path/to/knnformer
source "$(dirname "$0")/train_helpers.bash"

make_dataset
write_tiny_config
mkdir pristine
mv data.h5 pristine/byte.h5
"$knnformer" prepare --input corpus.txt --tokenizer sentencepiece --vocab-size 300 \
  --output pristine/sentencepiece.h5 > /dev/null
pristine_sums="$(md5sum pristine/*)"

# damaged_copies PRISTINE FOLDER SEED: writes FOLDER/flip-OFFSET-BIT.h5 for
# about 60 offsets (one in every 128 bytes of the first 4 KiB, where the
# superblock, root object header, attributes and split headers lie, then
# spread at random over the chunk index and token chunks) and
# FOLDER/cut-LENGTH.h5 for 20 lengths.
damaged_copies() {
  /usr/bin/python3 - "$@" <<'PY'
import random
import sys
pristine, folder, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(pristine, "rb").read()
size = len(data)
rng = random.Random(seed)
head = [offset + rng.randrange(128) for offset in range(0, min(size, 4096), 128)]
spread = [rng.randrange(4096, size) for _ in range(30)]
for offset in sorted(set(head + spread)):
    bit = rng.randrange(8)
    damaged = bytearray(data)
    damaged[offset] ^= 1 << bit
    open(f"{folder}/flip-{offset}-{bit}.h5", "wb").write(damaged)
for length in sorted(set([0, 7, 100, 1000] + [rng.randrange(1000, size) for _ in range(16)])):
    open(f"{folder}/cut-{length}.h5", "wb").write(data[:length])
PY
}

cases=0
# check_run NAME COMMAND...: status 0 or 1, at most one line on stderr, one when failing.
check_run() {
  local name="$1" status=0
  shift
  timeout 20 "$@" > stdout.log 2> stderr.log || status=$?
  local lines
  lines="$(wc -l < stderr.log)"
  [ "$status" -le 1 ] || { cat stderr.log >&2; fail "$name: exit status $status from: $*"; }
  [ "$lines" -le 1 ] || { cat stderr.log >&2; fail "$name: $lines lines on stderr from: $*"; }
  [ "$status" -eq 0 ] || [ "$lines" -eq 1 ] || fail "$name: failed without an error line: $*"
  cases=$((cases + 1))
}

for kind in byte sentencepiece; do
  mkdir "damaged-$kind"
  damaged_copies "pristine/$kind.h5" "damaged-$kind" 1337
  for copy in "damaged-$kind"/*.h5; do
    check_run "$copy" "$knnformer" inspect "$copy"
    [ "$kind" = byte ] || continue  # training reads tokens alike whatever the tokenizer
    check_run "$copy" "$knnformer" train --config tiny.ini --data "$copy" --steps 2 --threads 1 \
      --out "runs/$(basename "$copy" .h5)"
  done
done

[ "$(md5sum pristine/*)" = "$pristine_sums" ] || fail "a pristine dataset changed"
echo "ok: $cases runs on damaged datasets, each exit 0 or 1 with at most one line on stderr"
