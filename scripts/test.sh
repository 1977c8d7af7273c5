#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test.
# Usage: scripts/test.sh            release build in build/
#        scripts/test.sh --sanitize ASan+UBSan build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  scripts/setup.sh build-sanitize -DKNNFORMER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKNNFORMER_BENCH=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export LSAN_OPTIONS="suppressions=$PWD/tests/leak_suppressions.txt:print_suppressions=0"
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)"
else
  scripts/setup.sh build
  ctest --test-dir build --output-on-failure -j "$(nproc)"
fi
