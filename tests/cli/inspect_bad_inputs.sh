#!/usr/bin/env bash
# `knnformer inspect` rejects files that are not token datasets of this
# format and version, with one line naming the file and the problem.
# usage: bash tests/cli/inspect_bad_inputs.sh path/to/knnformer
set -euo pipefail
knnformer=$1
# $work (removed at exit) and the expect_* checks; a failed check is counted
# and the script goes on, to report every failure.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/expectations.bash"
count_failed_checks

printf 'Not an HDF5 file at all.\n' >"$work/text.h5"
expect_error_line nonzero "text.h5: not an HDF5 file" "$knnformer" inspect "$work/text.h5"
expect_error_line nonzero "missing.h5: no such file" "$knnformer" inspect "$work/missing.h5"

# HDF5 files that are not (this version of) a knnformer token dataset, made
# with h5py (/usr/bin/python3 has it) as another tool would make them.
/usr/bin/python3 - "$work" <<'PY'
import sys
import h5py
import numpy as np
work = sys.argv[1]
def dataset(path, format="knnformer-tokens", version=1, splits=("train", "val"), val_tokens=100):
    with h5py.File(path, "w") as f:
        if format is not None:
            f.attrs["format"] = format
        f.attrs["format_version"] = version
        f.attrs["vocab_size"] = 257
        f.attrs["tokenizer"] = "byte"
        f.attrs["eot_token"] = 256
        f.attrs["source"] = "test"
        for split in splits:
            f[f"{split}/tokens"] = np.arange(1000 if split == "train" else val_tokens, dtype=np.uint16) % 256
dataset(f"{work}/other_format.h5", format="checkpoint")
dataset(f"{work}/no_format.h5", format=None)
dataset(f"{work}/version2.h5", version=2)
dataset(f"{work}/no_val.h5", splits=("train",))
dataset(f"{work}/empty_val.h5", val_tokens=0)
dataset(f"{work}/good.h5")
PY
expect_error_line nonzero "other_format.h5: not a knnformer token dataset (attribute 'format' is 'checkpoint'" \
  "$knnformer" inspect "$work/other_format.h5"
expect_error_line nonzero "no_format.h5: not a knnformer token dataset (attribute 'format' is missing" \
  "$knnformer" inspect "$work/no_format.h5"
expect_error_line nonzero "version2.h5: format_version 2 is not supported (expected 1)" \
  "$knnformer" inspect "$work/version2.h5"
expect_error_line nonzero "no_val.h5: missing split /val/tokens" "$knnformer" inspect "$work/no_val.h5"
expect_error_line nonzero "empty_val.h5: /val/tokens: the val split is empty" "$knnformer" inspect "$work/empty_val.h5"

# A window of context + 1 tokens longer than the split.
"$knnformer" inspect "$work/good.h5" --split val --context 99 >/dev/null
expect_error_line nonzero "good.h5: val split has 100 tokens, fewer than context + 1 = 101" \
  "$knnformer" inspect "$work/good.h5" --split val --context 100

exit_if_any_check_failed
echo "all bad inputs rejected"
