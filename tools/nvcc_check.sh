#!/usr/bin/env bash
# Compile-checks .cu files for one architecture (sm_90) without building the package.
# Two slots (flock) so that several people in one tree do not starve a 2-core machine.
# Usage: bash tools/nvcc_check.sh csrc/ops/reduce/reduce_cuda.cu [more.cu ...]
# Prints ptxas register/spill info with EMBER_PTXAS_VERBOSE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
extra=()
[ "${EMBER_PTXAS_VERBOSE:-0}" = "1" ] && extra+=(-Xptxas -v)
rc=0
for f in "$@"; do
  out=/tmp/nvcc_check_$$_$(basename "$f").o
  exec 9>/tmp/ember_nvcc_slot0.lock
  if ! flock -n 9; then exec 9>/tmp/ember_nvcc_slot1.lock; flock 9; fi
  "$NVCC" -std=c++17 -O3 --expt-relaxed-constexpr -arch=sm_90 -Xcompiler -fPIC -Icsrc -Icsrc/core \
    -DEMBER_WITH_CUDA=1 "${extra[@]}" -c "$f" -o "$out" || rc=1
  exec 9>&-
  rm -f "$out"
done
exit $rc
