#!/usr/bin/env bash
# Damaged and altered checkpoints. Bit flips and truncations at many offsets
# (fixed seed): eval exits 0 or 1, never a signal, with one line on stderr
# when it fails; a resume falls back past the damaged file and continues
# exactly as the undamaged run. Altered metadata (a renamed file, an edited
# counter, another run's checkpoint) is refused by eval and set aside by a
# resume; the pristine run is never changed.
source "$(dirname "$0")/train_helpers.bash"
make_dataset
write_tiny_config
"$knnformer" train --config tiny.ini --out pristine --steps 8 > /dev/null
# The reference: the pristine run continued undamaged to step 12.
cp -r pristine straight
"$knnformer" train --resume straight --steps 12 > /dev/null
pristine_sums="$(cd pristine && find . -type f -print0 | sort -z | xargs -0 md5sum)"
newest=checkpoints/step-00000008.h5
size=$(stat -c %s "pristine/$newest")

# damage MODE OFFSET FILE: flip one bit at OFFSET, or truncate to OFFSET bytes.
damage() {
  /usr/bin/python3 - "$@" <<'PY'
import os, sys
mode, offset, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "truncate":
    os.truncate(path, offset)
else:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ (1 << (offset % 8))]))
PY
}

# check_exit NAME STATUS STDERR_FILE: 0, or 1 with exactly one line.
check_exit() {
  [ "$2" -eq 0 ] || [ "$2" -eq 1 ] || { cat "$3" >&2; fail "$1: exit status $2"; }
  [ "$2" -eq 0 ] || [ "$(wc -l < "$3")" -eq 1 ] || { cat "$3" >&2; fail "$1: expected one line on stderr"; }
}

RANDOM=20261206
offsets=()
for _ in $(seq 1 24); do offsets+=("flip $(( (RANDOM * 32768 + RANDOM) % size ))"); done
# The superblock and the first object headers, where HDF5 keeps its structure.
for offset in 0 8 9 12 40 44 48 60 100 200 300 500 1000 1500 2000 3000; do offsets+=("flip $offset"); done
for _ in $(seq 1 8); do offsets+=("truncate $(( (RANDOM * 32768 + RANDOM) % size ))"); done
for offset in 0 1 47 48 512 4096; do offsets+=("truncate $offset"); done

failed=0 resumed=0
for case in "${offsets[@]}"; do
  rm -rf damaged
  cp -r pristine damaged
  # shellcheck disable=SC2086
  damage $case "damaged/$newest"
  status=0
  timeout 30 "$knnformer" eval --checkpoint "damaged/$newest" > /dev/null 2> eval.err || status=$?
  check_exit "eval after $case" $status eval.err
  [ $status -eq 0 ] || failed=$((failed + 1))
  status=0
  timeout 60 "$knnformer" train --resume damaged --steps 12 > /dev/null 2> resume.err || status=$?
  [ $status -eq 0 ] || { cat resume.err >&2; fail "resume after $case: status $status"; }
  diff -q <(without_timing straight/metrics.csv) <(without_timing damaged/metrics.csv) > /dev/null ||
    fail "resume after $case did not continue as the undamaged run"
  grep -q "skipping checkpoint" resume.err && resumed=$((resumed + 1))
done
echo "ok: ${#offsets[@]} damaged copies: eval refused $failed with one line, the rest read; every resume" \
  "continued exactly ($resumed of them past the damaged checkpoint)"

# Metadata rewritten with valid checksums (h5py recomputes them).
# edit FILE ATTRIBUTE VALUE, or edit FILE --delete DATASET.
edit() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy
path, name, value = sys.argv[1:4]
with h5py.File(path, "r+") as f:
    if name == "--delete":
        del f[value]
    else:
        f.attrs[name] = numpy.int64(value)
PY
}

cp -r pristine altered
edit altered/$newest optimizer_steps 3
expect_error "optimizer_steps is 3, expected 8 at step 8" "$knnformer" eval --checkpoint altered/$newest
edit altered/$newest optimizer_steps 8
edit altered/$newest step 6
expect_error "holds step 6, not the step 8 of its name" "$knnformer" eval --checkpoint altered/$newest
edit altered/$newest step 8
edit altered/$newest --delete /optimizer/$(/usr/bin/python3 -c "
import h5py; print(sorted(h5py.File('altered/$newest')['optimizer'].keys())[0])")
"$knnformer" train --resume altered --steps 12 > /dev/null 2> resume.err || { cat resume.err >&2; fail "resume"; }
grep -q "skipping checkpoint .*step-00000008.h5: /optimizer holds 31 tensors, the model has 32" resume.err ||
  { cat resume.err >&2; fail "the checkpoint without an optimizer tensor should be reported"; }
[ -f altered/$newest.corrupt ] || fail "the checkpoint without an optimizer tensor should be set aside"
diff <(without_timing straight/metrics.csv) <(without_timing altered/metrics.csv) || fail "resume past it"
echo "ok: a checkpoint missing an optimizer tensor is set aside, the resume goes on from the one before"

# Another run's checkpoint placed as the newest of this one.
"$knnformer" train --config tiny.ini --out other --steps 12 --n-embd 32 > /dev/null
cp -r pristine foreign
cp other/checkpoints/step-00000012.h5 foreign/checkpoints/
expect_error "step-00000012.h5: written with n-embd = 32, but the run's is 16" \
  "$knnformer" eval --checkpoint foreign/checkpoints/step-00000012.h5
"$knnformer" eval --checkpoint foreign > eval.log 2> eval.err
grep -q "step 8;" eval.log || fail "eval of the run should skip the foreign checkpoint: $(cat eval.log)"
grep -q "written with n-embd = 32" eval.err || fail "eval should report the foreign checkpoint"
"$knnformer" generate --checkpoint foreign --tokens 5 > /dev/null 2> generate.err
grep -q "written with n-embd = 32" generate.err || fail "generate should report the foreign checkpoint"
[ -f foreign/checkpoints/step-00000012.h5 ] || fail "eval and generate change nothing in the run"
"$knnformer" train --resume foreign --steps 12 > /dev/null 2> resume.err
[ -f foreign/checkpoints/step-00000012.h5.corrupt ] || fail "the resume should set the foreign checkpoint aside"
diff <(without_timing straight/metrics.csv) <(without_timing foreign/metrics.csv) || fail "resume past it"
echo "ok: another run's checkpoint is refused by eval and generate and set aside by a resume"

[ "$(cd pristine && find . -type f -print0 | sort -z | xargs -0 md5sum)" = "$pristine_sums" ] ||
  fail "the pristine run changed"
echo "checkpoint faults: ok"
