#!/usr/bin/env bash
# Incremental CPU-only editable build into build/dev, serialised by a lock so that
# several people (or agents) working in one tree never build concurrently.
set -euo pipefail
cd "$(dirname "$0")/.."
exec flock /tmp/ember_dev_build.lock env EMBER_CUDA="${EMBER_CUDA:-OFF}" \
  python3 -m pip install --no-build-isolation -q -Cbuild-dir=build/dev -Ceditable.rebuild=false -e . "$@"
