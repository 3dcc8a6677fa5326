#!/usr/bin/env bash
# One build-test-bench cycle on a GPU machine without package access (the lent H100): unpack the offline
# dependencies, build, run the gpu tests and the GPU comparisons, and leave logs and JSON under $OUT.
# Usage (from the repo root, with .gpu-deps carried): OUT=/some/dir scripts/gpu-cycle.sh [tests|bench|all]
#        OUT=/some/dir scripts/gpu-cycle.sh tune [GRAPH...]   # feedgraph-tune-bench (tune against a grid)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
what=${1:-all}
out=${OUT:-out}
mkdir -p "$out"
eval "$(.gpu-deps/unpack.sh .gpu-deps)"
nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv \
  | tee "$out/device.txt"
echo "commit: ${FEEDGRAPH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}  date: $(date -u +%F)" | tee -a "$out/device.txt"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" >"$out/build.log" 2>&1 || { grep -E "error|warning" "$out/build.log" | head -40; exit 1; }
grep -E "warning" "$out/build.log" | head -20 || true

if [[ $what == tests || $what == all ]]; then
  ctest --test-dir build-gpu -L gpu --output-on-failure --timeout 120 2>&1 | tee "$out/gpu-tests.log" | tail -15
fi
if [[ $what == bench || $what == all ]]; then
  build-gpu/bin/feedgraph probe --json "$out/probe.json" 2>&1 | tee "$out/probe.txt"
  build-gpu/bin/feedgraph-bench --reps 5 --json "$out/bench.json" 2>&1 | tee "$out/bench.txt"
fi
if [[ $what == tune ]]; then
  # Not part of `all`: a grid of up to 128 one-second trials per graph; name graphs to split it up.
  build-gpu/bin/feedgraph-tune-bench --reps 5 --json "$out/tune-bench.json" "${@:2}" 2>"$out/tune-bench.log" \
    | tee "$out/tune-bench.txt"
fi
if [[ $what == ablate || $what == all ]]; then
  build-gpu/bin/feedgraph ablate graphs/seed.yaml --json "$out/ablate.json" 2>&1 | tee "$out/ablate.txt" | tail -25
fi
