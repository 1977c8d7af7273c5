#!/usr/bin/env bash
# Every bad input of `knnformer prepare` fails with one line that names the
# file and the problem, exits non-zero, and leaves no output file behind.
# usage: bash tests/cli/prepare_bad_inputs.sh path/to/knnformer
set -euo pipefail
knnformer=$1
# $work (removed at exit) and the expect_* checks; a failed check is counted
# and the script goes on, to report every failure.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/expectations.bash"
count_failed_checks

printf 'The quick brown fox jumps over the lazy dog.\nAnd again, the fox.\n' >"$work/small.txt"
out=$work/out.h5

# Missing or unreadable input, a folder without text files.
expect_failure_without_output nonzero "$out" "$work/missing.txt: no such file" \
  "$knnformer" prepare --input "$work/missing.txt" --output "$out"
mkdir "$work/empty_folder"
touch "$work/empty_folder/image.png"
expect_failure_without_output nonzero "$out" "empty_folder: folder has no text files" \
  "$knnformer" prepare --input "$work/empty_folder" --output "$out"
if [[ $(id -u) -ne 0 ]]; then  # root reads any file, so this case needs a normal user
  printf 'secret\n' >"$work/unreadable.txt"
  chmod 000 "$work/unreadable.txt"
  expect_failure_without_output nonzero "$out" "unreadable.txt: cannot read" \
    "$knnformer" prepare --input "$work/unreadable.txt" --output "$out"
fi

# An output that exists is kept unless --force.
printf 'precious' >"$work/existing.h5"
expect_failure_without_output nonzero "$work/none.h5" "existing.h5: already exists (pass --force" \
  "$knnformer" prepare --input "$work/small.txt" --output "$work/existing.h5"
[[ $(cat "$work/existing.h5") == precious ]] || fail "existing output was changed"

# --val-fraction outside (0, 1), and splits that would be empty.
for fraction in 0 1 1.5 -0.2; do
  expect_failure_without_output nonzero "$out" "--val-fraction $fraction is outside (0, 1)" \
    "$knnformer" prepare --input "$work/small.txt" --output "$out" --val-fraction "$fraction"
done
printf 'a' >"$work/tiny.txt"
expect_failure_without_output nonzero "$out" \
  "out.h5: the train split would be empty (1 tokens with --val-fraction 0.1)" \
  "$knnformer" prepare --input "$work/tiny.txt" --output "$out" --val-fraction 0.1

# A SentencePiece vocabulary too small for byte fallback plus learned pieces.
expect_failure_without_output nonzero "$out" "--vocab-size 100 is too small for SentencePiece" \
  "$knnformer" prepare --input "$work/small.txt" --output "$out" --tokenizer sentencepiece --vocab-size 100

# Imported token files: ids >= vocab, llm.c files with a wrong magic or a truncated body, empty files.
/usr/bin/python3 - "$work" <<'PY'
import struct, sys
work = sys.argv[1]
def llmc(path, tokens, magic=20240520, version=1, count=None):
    header = [magic, version, len(tokens) if count is None else count] + [0] * 253
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", *header) + struct.pack(f"<{len(tokens)}H", *tokens))
with open(f"{work}/big_id.bin", "wb") as f:
    f.write(struct.pack("<6H", 1, 2, 3, 50300, 4, 5))
llmc(f"{work}/bad_magic.bin", [1, 2, 3], magic=12345)
llmc(f"{work}/bad_version.bin", [1, 2, 3], version=2)
llmc(f"{work}/truncated.bin", [1, 2, 3], count=10)
open(f"{work}/empty.bin", "wb").close()
with open(f"{work}/odd.bin", "wb") as f:
    f.write(b"\x01\x00\x02")
PY
expect_failure_without_output nonzero "$out" "big_id.bin: token 50300 at position 3 is >= the vocabulary size 50257" \
  "$knnformer" prepare --import-bin "$work/big_id.bin" --vocab-size 50257 --output "$out"
expect_failure_without_output nonzero "$out" "bad_magic.bin: not an llm.c token file (magic 12345, expected 20240520)" \
  "$knnformer" prepare --import-bin "$work/bad_magic.bin" --import-format llmc --vocab-size 50257 --output "$out"
expect_failure_without_output nonzero "$out" "bad_version.bin: llm.c token file version 2 is not supported" \
  "$knnformer" prepare --import-bin "$work/bad_version.bin" --vocab-size 50257 --output "$out"
expect_failure_without_output nonzero "$out" \
  "truncated.bin: truncated: the header promises 10 tokens, the body holds 3" \
  "$knnformer" prepare --import-bin "$work/truncated.bin" --vocab-size 50257 --output "$out"
expect_failure_without_output nonzero "$out" "empty.bin: holds no tokens" \
  "$knnformer" prepare --import-bin "$work/big_id.bin" --import-bin-val "$work/empty.bin" --vocab-size 60000 --output "$out"
expect_failure_without_output nonzero "$out" "odd.bin: truncated: 3 bytes" \
  "$knnformer" prepare --import-bin "$work/odd.bin" --vocab-size 50257 --output "$out"
expect_failure_without_output nonzero "$out" "missing.bin: no such file" \
  "$knnformer" prepare --import-bin "$work/missing.bin" --vocab-size 50257 --output "$out"
expect_failure_without_output nonzero "$out" "--vocab-size N is required with --import-bin" \
  "$knnformer" prepare --import-bin "$work/big_id.bin" --output "$out"

# Flags that do not go together.
expect_failure_without_output nonzero "$out" "either --input .* or --import-bin" \
  "$knnformer" prepare --input "$work/small.txt" --import-bin "$work/big_id.bin" --output "$out"
expect_failure_without_output nonzero "$out" "--tokenizer 'words' is unknown" \
  "$knnformer" prepare --input "$work/small.txt" --tokenizer words --output "$out"

exit_if_any_check_failed
echo "all bad inputs rejected"
