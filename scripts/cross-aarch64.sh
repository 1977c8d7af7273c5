#!/usr/bin/env bash
# The SIMD kernels on 64-bit ARM: cross-compiles the kernels' library
# (core/kernels/ with the RNG and the thread helpers it uses) and their tests
# with Debian's aarch64 cross compiler, and runs the tests under qemu-user,
# twice: on a NEON CPU (Cortex-A72) and on qemu's "max" CPU, which adds SVE
# and SVE2. Every test runs each kernel against its scalar reference on
# every target the emulated CPU offers (tests/core/kernels/kernel_testing.h).
# The rest of knnformer needs oneDNN, HDF5 and SentencePiece for arm64, which
# the kernels do not, so only they are built here.
#
# The tests run on one thread: OpenMP's threads under qemu-user spend
# minutes in their barriers, so the two tests that compare 1 and 2 threads
# are left to the native suite.
#
# Usage: scripts/cross-aarch64.sh      (installs what is missing; as root or with sudo)
# Writes build-aarch64/kernel_tests. Takes about 1.5 minutes to build, then
# 20 s to run on the NEON CPU and 3.5 minutes on the SVE one (2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/packages.bash
install_missing cross-aarch64 g++-aarch64-linux-gnu qemu-user-static libhwy-dev:arm64 doctest-dev

mkdir -p build-aarch64
sources=(core/kernels/*.cpp core/parallel.cpp core/subnormals.cpp core/rng.cpp tests/core/kernels/*_test.cpp tests/main.cpp)
# The same definitions and floating-point contract as the native build of
# core/kernels (CMakeLists.txt): every attainable target, no implicit FMA.
aarch64-linux-gnu-g++ -std=c++20 -O2 -Wall -Wextra -fopenmp -ffp-contract=off \
  -DHWY_COMPILE_ALL_ATTAINABLE -I. -Itests "${sources[@]}" -lhwy -lhwy_contrib -o build-aarch64/kernel_tests

# cortex-a72 has NEON; qemu's "max" CPU adds SVE and SVE2.
for cpu in cortex-a72 max; do
  echo "== kernel tests on qemu's $cpu CPU"
  OMP_NUM_THREADS=1 qemu-aarch64-static -cpu "$cpu" -L /usr/aarch64-linux-gnu build-aarch64/kernel_tests \
    --test-case-exclude="*on 1 and 2 threads*"
done
