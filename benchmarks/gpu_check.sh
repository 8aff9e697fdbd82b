#!/usr/bin/env bash
# One-shot GPU check for a lent CUDA machine, unattended, about 8 minutes at most:
# build ember for sm_90 (pip install --no-build-isolation .), run the CUDA tests
# (tests/cuda) and the CUDA API / allocator tests, then benchmarks/bench_gpu.py
# against PyTorch. Everything is written under $OUT (or the first argument); a
# summary is printed at the end. Each stage has its own time limit, so one hang does
# not eat the others' time.
# Usage (repo root, on the GPU machine): bash benchmarks/gpu_check.sh [OUTDIR]
set -o pipefail
out=${1:-${OUT:-/tmp/gpu_check}}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
t_all=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - t_all )) s)" | tee -a "$out/summary.txt"; }

stage "GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" 2>&1 \
  | tee -a "$out/gpu.txt"

stage "build (sm_90)"
start=$(date +%s)
EMBER_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) timeout 240 python3 -m pip install --no-build-isolation \
  --no-deps -q -Ccmake.define.CMAKE_CUDA_ARCHITECTURES=90-real -Cbuild-dir=/tmp/ember-build . \
  > "$out/build.log" 2>&1
rc=$?
echo "build rc=$rc seconds=$(( $(date +%s) - start ))" | tee -a "$out/build.log" "$out/summary.txt"
if [ $rc -ne 0 ]; then
  tail -40 "$out/build.log"
  echo "build failed: see build.log" | tee -a "$out/summary.txt"
  exit 1
fi
so=$(python3 -c "import ember, os; print(os.path.join(os.path.dirname(ember.__file__), '_C_cuda.so'))" 2>/dev/null)
[ -n "$so" ] && ls -l "$so" | tee -a "$out/summary.txt"

stage "report"
(cd /tmp && timeout 60 python3 -c "
import ember
print('ember', ember.__version__ if hasattr(ember, '__version__') else '?')
print('cuda available:', ember.cuda.is_available(), ember.cuda._unavailable_reason())
if ember.cuda.is_available():
    print(ember.cuda.get_device_name(0))
    x = ember.ones(4, device='cuda') + 1
    print('smoke:', x.cpu().tolist())
") 2>&1 | tee "$out/report.txt"

stage "tests"
# The CUDA API and allocator-logic tests, then every tests/cuda file (one pytest run;
# per-test timeout when pytest-timeout is installed).
to=""
python3 -c "import pytest_timeout" 2>/dev/null && to="--timeout 60"
timeout 150 python3 -m pytest -q -p no:cacheprovider $to -rfE -k "not wgmma" tests/test_cuda_api.py \
  tests/test_cuda_allocator_logic.py tests/test_cuda_index_math.py tests/cuda 2>&1 | tee "$out/tests.log" | tail -40
echo "tests rc=${PIPESTATUS[0]}" | tee -a "$out/summary.txt"
grep -E "passed|failed|error" "$out/tests.log" | tail -1 | tee -a "$out/summary.txt"

stage "wgmma tests"
# Apart, with a short limit: the Hopper wgmma GEMM is new; a wrong mbarrier count hangs.
timeout 75 python3 -m pytest -q -p no:cacheprovider -x -rfE tests/cuda/test_gemm_cuda.py -k wgmma 2>&1 \
  | tee "$out/tests_wgmma.log" | tail -20
echo "wgmma tests rc=${PIPESTATUS[0]}" | tee -a "$out/summary.txt"

stage "benchmarks"
left=$(( 470 - ($(date +%s) - t_all) ))
[ $left -lt 45 ] && left=45
timeout $left python3 benchmarks/bench_gpu.py 2>&1 | tee "$out/bench.log" | tail -30
echo "bench rc=${PIPESTATUS[0]}" | tee -a "$out/summary.txt"
sed -n '/^| case/,$p' "$out/bench.log" >> "$out/summary.txt"

stage "done"
cat "$out/summary.txt"
