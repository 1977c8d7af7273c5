#!/usr/bin/env bash
# `knnformer prepare --synthetic`: copy and mqar documents with their loss
# masks, checked with h5py; the same seed gives the same file; `inspect`
# serves whole documents; every bad input fails with one line, the right exit
# status (2 for the command line's mistakes, 1 for impossible sizes) and no
# output file left behind.
# usage: bash tests/cli/prepare_synthetic.sh path/to/knnformer
set -euo pipefail
knnformer=$1
# $work (removed at exit) and the expect_* checks; a failed check is counted
# and the script goes on, to report every failure.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/expectations.bash"
count_failed_checks

# Good runs: copy twice with one seed and once with another, and mqar.
"$knnformer" prepare --synthetic copy --context 63 --segment 5 --symbols 10 --documents 30 --val-documents 4 \
  --seed 1 --output "$work/copy.h5" | tee "$work/prepare.out"
grep -q "wrote $work/copy.h5: 30 train and 4 val documents of 64 tokens" "$work/prepare.out"
grep -q "tokenizer none, vocab 27" "$work/prepare.out"
"$knnformer" prepare --synthetic copy --context 63 --segment 5 --symbols 10 --documents 30 --val-documents 4 \
  --seed 1 --output "$work/copy_again.h5" >/dev/null
"$knnformer" prepare --synthetic copy --context 63 --segment 5 --symbols 10 --documents 30 --val-documents 4 \
  --seed 2 --output "$work/copy_seed2.h5" >/dev/null
"$knnformer" prepare --synthetic mqar --context 47 --pairs 6 --symbols 20 --documents 25 --val-documents 3 \
  --seed 1 --output "$work/mqar.h5" >/dev/null

"$knnformer" inspect "$work/copy.h5" | grep -q "source      synthetic copy T=63 segment=5 symbols=10 seed=1"
"$knnformer" inspect "$work/mqar.h5" --split val --context 47 --batch 3 --sequential | grep -q "row 2 at 96"
expect_failure_without_output 1 "$work/none.h5" \
  "mqar.h5 holds documents of 48 tokens, so the context must be 47, not 32" \
  "$knnformer" inspect "$work/mqar.h5" --context 32

/usr/bin/python3 - "$work" <<'PY'
import sys
import h5py
import numpy as np
work = sys.argv[1]

def documents(f, split, length):
    return f[f"{split}/tokens"][:].reshape(-1, length), f[f"{split}/loss_mask"][:].reshape(-1, length)

with h5py.File(f"{work}/copy.h5") as f:
    assert f.attrs["document_length"] == 64 and f.attrs["vocab_size"] == 27 and f.attrs["eot_token"] == -1
    assert f["train/loss_mask"].dtype == np.uint8 and f["train/loss_mask"].fletcher32
    for split, count in (("train", 30), ("val", 4)):
        tokens, mask = documents(f, split, 64)
        assert tokens.shape == (count, 64), tokens.shape
        assert (tokens[:, :5] < 10).all(), "segment outside the symbols"
        assert ((tokens[:, 5:58] >= 10) & (tokens[:, 5:58] < 26)).all(), "filler outside its alphabet"
        assert (tokens[:, 58] == 26).all(), "marker"
        assert (tokens[:, 59:] == tokens[:, :5]).all(), "the repeat differs from the segment"
        assert (mask[:, :59] == 0).all() and (mask[:, 59:] == 1).all(), "copy mask"
    train_copy = f["train/tokens"][:]
with h5py.File(f"{work}/copy_again.h5") as f:
    assert np.array_equal(f["train/tokens"][:], train_copy), "the same seed gave other tokens"
with h5py.File(f"{work}/copy_seed2.h5") as f:
    assert not np.array_equal(f["train/tokens"][:], train_copy), "another seed gave the same tokens"

with h5py.File(f"{work}/mqar.h5") as f:
    assert f.attrs["document_length"] == 48 and f.attrs["vocab_size"] == 56
    tokens, mask = documents(f, "train", 48)
    for document, document_mask in zip(tokens, mask):
        keys, values = document[0:12:2], document[1:12:2]
        assert len(set(keys)) == 6 and (keys < 20).all() and ((values >= 20) & (values < 40)).all()
        value_of = dict(zip(keys, values))
        queries = document[36:]
        assert sorted(queries[0::2]) == sorted(keys), "every key is queried once"
        assert all(value_of[key] == value for key, value in zip(queries[0::2], queries[1::2]))
        assert list(np.flatnonzero(document_mask)) == [37, 39, 41, 43, 45, 47], "mqar mask"
print("synthetic documents match")
PY

# Bad inputs.
out=$work/out.h5
printf 'text\n' >"$work/small.txt"
expect_failure_without_output 2 "$out" "either --input .* or --synthetic" \
  "$knnformer" prepare --synthetic copy --context 64 --input "$work/small.txt" --output "$out"
expect_failure_without_output 2 "$out" "either --input .* or --synthetic" \
  "$knnformer" prepare --synthetic copy --context 64 --import-bin "$work/small.txt" --output "$out"
expect_failure_without_output 2 "$out" "--synthetic: 'recall' is not one of: copy, mqar" \
  "$knnformer" prepare --synthetic recall --context 64 --output "$out"
expect_failure_without_output 2 "$out" "--context T is required with --synthetic" \
  "$knnformer" prepare --synthetic copy --output "$out"
expect_failure_without_output 2 "$out" "--segment applies to --synthetic only" \
  "$knnformer" prepare --input "$work/small.txt" --segment 4 --output "$out"
expect_failure_without_output 2 "$out" "--val-fraction does not apply to --synthetic" \
  "$knnformer" prepare --synthetic copy --context 64 --val-fraction 0.2 --output "$out"
expect_failure_without_output 2 "$out" "--pairs applies to --synthetic mqar only" \
  "$knnformer" prepare --synthetic copy --context 64 --pairs 4 --output "$out"
expect_failure_without_output 1 "$out" "--segment 40 does not fit --context 64: .* need --context >= 80" \
  "$knnformer" prepare --synthetic copy --context 64 --segment 40 --output "$out"
expect_failure_without_output 1 "$out" "--segment 0: must be at least 1" \
  "$knnformer" prepare --synthetic copy --context 64 --segment 0 --output "$out"
expect_failure_without_output 1 "$out" "--context -5: must be at least 1" \
  "$knnformer" prepare --synthetic mqar --context -5 --output "$out"
expect_failure_without_output 1 "$out" "--pairs 17 do not fit --context 64" \
  "$knnformer" prepare --synthetic mqar --context 64 --pairs 17 --output "$out"
expect_failure_without_output 1 "$out" "--symbols 4 is too few for 8 distinct keys" \
  "$knnformer" prepare --synthetic mqar --context 64 --symbols 4 --output "$out"
expect_failure_without_output 1 "$out" "--documents 0: must be at least 1" \
  "$knnformer" prepare --synthetic copy --context 64 --documents 0 --output "$out"
expect_failure_without_output 1 "$out" "--val-documents -1: must be at least 1" \
  "$knnformer" prepare --synthetic copy --context 64 --val-documents -1 --output "$out"
before=$(md5sum <"$work/copy.h5")
expect_failure_without_output 1 "$work/copy.h5.tmp" "copy.h5: already exists (pass --force" \
  "$knnformer" prepare --synthetic copy --context 64 --output "$work/copy.h5"
[[ $(md5sum <"$work/copy.h5") == "$before" ]] || fail "existing output was changed"

exit_if_any_check_failed
echo "synthetic datasets: ok"
