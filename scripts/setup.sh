#!/usr/bin/env bash
# Installs what knnformer needs (Debian packages, only those missing), then
# configures and builds it. Usage: scripts/setup.sh [BUILD_DIR] [cmake options...]
# BUILD_DIR defaults to build/. Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make pkg-config            # toolchain
  libdnnl-dev                          # GEMM (oneDNN matmul primitive)
  ocl-icd-opencl-dev                   # OpenCL, which Debian's dnnl-config.cmake
                                       # requires but libdnnl-dev only recommends
  libboost-program-options-dev         # command line and INI config files
  libhdf5-dev                          # datasets and checkpoints
  doctest-dev                          # unit tests
  libsentencepiece-dev                 # subword tokenizer
  libhwy-dev                           # Highway: the SIMD kernels, one binary for
                                       # every CPU through run-time dispatch
  libopenmpi-dev openmpi-bin           # MPI: data-parallel training (mpirun)
  libxxhash-dev                        # checksums that compare the processes' parameters
  bible-kjv                            # the default corpus (King James Bible)
  gnuplot-nox                          # plots of training curves
  python3-torch python3-h5py python3-numpy  # the reference for parity tests
  libopenblas0-openmp                  # a fast BLAS for the PyTorch reference
)

source scripts/packages.bash
install_missing setup "${packages[@]}"

build_dir="${1:-build}"
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
