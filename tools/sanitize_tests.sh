#!/usr/bin/env bash
# Builds ember._C with AddressSanitizer + UndefinedBehaviorSanitizer (CPU only) into
# its own build folder and runs a subset of the tests against it, failing on any
# sanitizer report. The installed ember (editable or not) is left alone: the tests
# import a staging copy of python/ember that holds the sanitizer _C.
#
#   bash tools/sanitize_tests.sh                   # build + the default test subset
#   bash tools/sanitize_tests.sh --build-only      # build only
#   bash tools/sanitize_tests.sh --no-build ...    # reuse the last build as it is
#   bash tools/sanitize_tests.sh tests/test_x.py   # build + these pytest args instead
#
# Env: EMBER_SANITIZE (default address,undefined), EMBER_SANITIZE_BUILD (build
# folder, default build/asan), EMBER_SANITIZE_JOBS (build and pytest -n, default 2).
# CI (.ci/run) calls this script, so a local run is the CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SAN=${EMBER_SANITIZE:-address,undefined}
BUILD=${EMBER_SANITIZE_BUILD:-build/asan}
JOBS=${EMBER_SANITIZE_JOBS:-2}
PY=${PYTHON:-python3}

build_only=0
build=1
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi

# The main install builds in an isolated env, so cmake, ninja and pybind11 may be
# missing from this one.
need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v ninja >/dev/null 2>&1 || need+=(ninja)
"$PY" -c 'import pybind11' >/dev/null 2>&1 || need+=(pybind11)
if [ "${#need[@]}" -gt 0 ]; then "$PY" -m pip install -q "${need[@]}"; fi

if [ "$build" = 1 ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_CUDA=OFF \
    -DEMBER_SANITIZE="$SAN" -DPython_EXECUTABLE="$(command -v "$PY")" \
    -Dpybind11_DIR="$("$PY" -c 'import pybind11; print(pybind11.get_cmake_dir())')" >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
fi
so=$(ls "$BUILD"/_C*.so | head -n1)
[ "$build_only" = 1 ] && exit 0

# Staging package: links to every file of python/ember plus the sanitizer _C.
# Rebuilt each run so files added since the last run are seen.
STAGE=$ROOT/$BUILD/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/ember"
for f in "$ROOT"/python/ember/* "$ROOT"/python/ember/.[!.]*; do
  [ -e "$f" ] || continue
  case "$(basename "$f")" in _C*.so | __pycache__) continue ;; esac
  ln -s "$f" "$STAGE/ember/"
done
ln -s "$ROOT/$so" "$STAGE/ember/"
# An editable install's import hook sits first on sys.meta_path and would win over
# PYTHONPATH; sitecustomize (run after the .pth files) takes it out. Children that
# tests start inherit PYTHONPATH, so they load the sanitizer _C too.
cat >"$STAGE/sitecustomize.py" <<'EOF'
import sys
sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("_editable_skbc_")]
EOF

ASAN_LIB=$(gcc -print-file-name=libasan.so)
UBSAN_LIB=$(gcc -print-file-name=libubsan.so)
export PYTHONPATH="$STAGE${PYTHONPATH:+:$PYTHONPATH}"
export LD_PRELOAD="$ASAN_LIB $UBSAN_LIB${LD_PRELOAD:+ $LD_PRELOAD}"
# Python itself leaks by design (detect_leaks=0). allocator_may_return_null keeps a
# huge allocation a bad_alloc (a Python MemoryError) as it is without ASan.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:detect_odr_violation=0:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export EMBER_SANITIZER_RUN=1

loaded=$("$PY" -c 'import ember._C as c; print(c.__file__)')
echo "sanitizer run loads ember._C from: $loaded"
case "$loaded" in "$STAGE"/*) ;; *) echo "wrong ember._C loaded (expected one under $STAGE)"; exit 1 ;; esac

if [ "$#" -eq 0 ]; then
  # Deselected: cases where torch (the reference) aborts under ASan. ASan's throwing
  # operator new reports a huge request as a fatal out-of-memory instead of throwing
  # std::bad_alloc (allocator_may_return_null covers malloc only), so torch cannot turn
  # it into the RuntimeError it raises without ASan.
  set -- tests/test_hardening_*.py tests/test_fuzz.py tests/test_elementwise.py tests/test_reduce.py \
    tests/test_index.py tests/test_indexing.py tests/test_shape.py tests/test_factory.py \
    tests/test_nn_conv.py tests/test_nn_pooling.py \
    --deselect "tests/test_hardening_sizes.py::test_matches_torch[chunk_empty_huge]"
fi
args=()
for a in "$@"; do
  case "$a" in tests/*.py) [ -e "$a" ] || { echo "skipping missing $a"; continue; } ;; esac
  args+=("$a")
done
exec "$PY" -m pytest -q -p no:cacheprovider -n "$JOBS" "${args[@]}"
