#!/usr/bin/env bash
# Build feedgraph and run its test suites. Tests labelled `gpu` run only when a CUDA device answers.
# Extra arguments go to ctest (e.g. -R spec, -L gpu).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The Python tests that use PyTorch take Debian's CPU build; the package itself does not need it.
scripts/apt-install.sh python3-torch
scripts/setup.sh
build_dir=${FEEDGRAPH_BUILD_DIR:-build}

ctest_args=(--test-dir "$build_dir" --output-on-failure -j2)
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "test: a CUDA device answered (nvidia-smi -L): running every test, the gpu label included"
else
  echo "test: no CUDA device answered (nvidia-smi -L failed or is missing): skipping tests labelled gpu (-LE gpu)"
  ctest_args+=(-LE gpu)
fi
exec ctest "${ctest_args[@]}" "$@"
