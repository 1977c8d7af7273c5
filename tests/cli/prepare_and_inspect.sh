#!/usr/bin/env bash
# End to end: `knnformer prepare` from a folder of text and from nanoGPT and
# llm.c token files, then `knnformer inspect`; the stored tokens are checked
# with h5py against what nanoGPT's own split would give.
# usage: bash tests/cli/prepare_and_inspect.sh path/to/knnformer
set -euo pipefail
knnformer=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/corpus/part2"
printf 'First document.\nIt has two lines.\n' >"$work/corpus/a.txt"
printf 'Second document, in a subfolder: caf\xc3\xa9.\n' >"$work/corpus/part2/b.md"
printf 'not text' >"$work/corpus/skipped.bin"

# Text: a folder, byte-level, compressed.
"$knnformer" prepare --input "$work/corpus" --output "$work/text.h5" --val-fraction 0.25 --compression 4 \
  | tee "$work/prepare.out"
grep -q "train 56 tokens" "$work/prepare.out"
grep -q "val   19 tokens" "$work/prepare.out"
"$knnformer" inspect "$work/text.h5" --tokens 17 | tee "$work/inspect.out"
grep -q "format      knnformer-tokens, version 1" "$work/inspect.out"
grep -q "tokenizer   byte (end of text: 256)" "$work/inspect.out"
grep -q 'text  "First document.\\nI"' "$work/inspect.out"
"$knnformer" inspect "$work/text.h5" --split val --context 8 --batch 2 --sequential | grep -q "row 1 at 8"

# The output is replaced only with --force.
! "$knnformer" prepare --input "$work/corpus" --output "$work/text.h5" 2>/dev/null
"$knnformer" prepare --input "$work/corpus/a.txt" --output "$work/text.h5" --force >/dev/null
"$knnformer" inspect "$work/text.h5" | grep -q "train       30 tokens"

# Token files: nanoGPT (raw uint16) and llm.c (header + uint16), GPT-2's vocabulary.
/usr/bin/python3 - "$work" <<'PY'
import struct, sys
work = sys.argv[1]
train = [(i * 7919) % 50257 for i in range(5000)]
val = [(i * 104729) % 50257 for i in range(1000)]
def raw(path, tokens):
    with open(path, "wb") as f:
        f.write(struct.pack(f"<{len(tokens)}H", *tokens))
def llmc(path, tokens):
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", 20240520, 1, len(tokens), *([0] * 253)))
        f.write(struct.pack(f"<{len(tokens)}H", *tokens))
raw(f"{work}/train.bin", train); raw(f"{work}/val.bin", val)
llmc(f"{work}/llmc_train.bin", train); llmc(f"{work}/llmc_val.bin", val)
PY
"$knnformer" prepare --import-bin "$work/train.bin" --import-bin-val "$work/val.bin" --vocab-size 50257 \
  --eot-token 50256 --output "$work/nanogpt.h5"
"$knnformer" prepare --import-bin "$work/llmc_train.bin" --import-bin-val "$work/llmc_val.bin" --vocab-size 50257 \
  --output "$work/llmc.h5"
"$knnformer" prepare --import-bin "$work/llmc_train.bin" --vocab-size 50257 --val-fraction 0.1 \
  --output "$work/llmc_split.h5"
"$knnformer" inspect "$work/llmc.h5" --tokens 4 | grep -q "ids   \[0, 7919, 15838, 23757\]"

/usr/bin/python3 - "$work" <<'PY'
import sys
import h5py
import numpy as np
work = sys.argv[1]
text = open(f"{work}/corpus/a.txt", "rb").read()
with h5py.File(f"{work}/text.h5") as f:
    stored = np.concatenate([f["train/tokens"][:], f["val/tokens"][:]])
    assert bytes(stored.astype(np.uint8)) == text, "byte tokens differ from the text"
    assert len(f["train/tokens"]) == int(len(text) * 0.9), "train is not nanoGPT's int(n * 0.9)"
raw_train = np.fromfile(f"{work}/train.bin", dtype=np.uint16)
raw_val = np.fromfile(f"{work}/val.bin", dtype=np.uint16)
for name in ("nanogpt", "llmc"):
    with h5py.File(f"{work}/{name}.h5") as f:
        assert f["train/tokens"].dtype == np.uint16 and f["train/tokens"].fletcher32
        assert np.array_equal(f["train/tokens"][:], raw_train), name
        assert np.array_equal(f["val/tokens"][:], raw_val), name
        assert f.attrs["tokenizer"] == "none" and f.attrs["vocab_size"] == 50257
with h5py.File(f"{work}/nanogpt.h5") as f:
    assert f.attrs["eot_token"] == 50256
with h5py.File(f"{work}/llmc_split.h5") as f:
    assert np.array_equal(f["train/tokens"][:], raw_train[:4500]) and np.array_equal(f["val/tokens"][:], raw_train[4500:])
print("stored tokens match")
PY
