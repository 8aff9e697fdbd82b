#!/usr/bin/env bash
# One-shot GPU check for a lent CUDA machine: build ember for sm_90, print the
# build report, run the CUDA-facing tests, time a few ops against PyTorch.
# Usage (repo root, on the GPU machine): bash benchmarks/gpu_check.sh [OUTDIR]
set -o pipefail
out=${1:-${OUT:-/tmp}}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
start=$(date +%s)
EMBER_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=16 python3 -m pip install --no-build-isolation --no-deps -q \
  -Ccmake.define.CMAKE_CUDA_ARCHITECTURES=90 -Cbuild-dir=/tmp/ember-build . 2>&1 | tail -20 | tee "$out/build.log"
echo "build seconds: $(( $(date +%s) - start ))" | tee -a "$out/build.log"
(cd /tmp && python3 -m ember) | tee "$out/report.txt"
timeout 240 python3 -m pytest -q -p no:cacheprovider --timeout 120 tests/cuda tests/test_cuda_api.py \
  tests/test_dlpack.py tests/test_random.py 2>&1 | tail -25 | tee "$out/tests.log"
timeout 60 python3 benchmarks/bench_gpu.py 2>&1 | tail -15 | tee "$out/bench.log"
