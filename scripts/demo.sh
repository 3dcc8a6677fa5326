#!/usr/bin/env bash
# Build feedgraph and run the default comparison: the seed benchmark's serial twin against its concurrent
# graph on a CUDA device when one answers, else the CPU-bound graph on the host backend (the seed's matmul
# would run on the CPU there and hide the input pipeline, which is what the comparison is about).
# Extra arguments go to `feedgraph compare` (e.g. --json out.json, --set prefetch=8).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
build_dir=${FEEDGRAPH_BUILD_DIR:-build}
feedgraph="$build_dir/bin/feedgraph"

# Both must hold for the GPU demo: a device that answers, and a build with the cuda backend in it
# (validate --device cuda fails on a build without a CUDA toolkit).
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  if "$feedgraph" validate graphs/seed.yaml --device cuda >/dev/null 2>&1; then
    echo "demo: a CUDA device answered (nvidia-smi -L): comparing graphs/seed.yaml on it"
    echo
    exec "$feedgraph" compare graphs/seed.yaml "$@"
  fi
  echo "demo: a CUDA device answered, but this build has no usable cuda backend (no CUDA toolkit at configure"
  echo "      time?): running graphs/cpu-bound.yaml on the host backend instead"
else
  echo "demo: no CUDA device answered (nvidia-smi -L failed or is missing): running graphs/cpu-bound.yaml on the"
  echo "      host backend (a copy thread and a compute thread stand in for the GPU). The seed's own graph needs"
  echo "      a GPU: its matmul on a CPU would hide the input pipeline this comparison is about."
fi
echo
exec "$feedgraph" compare graphs/cpu-bound.yaml --device host "$@"
