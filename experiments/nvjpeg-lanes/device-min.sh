#!/usr/bin/env bash
# Device, when little device time is left: build the tests and the bench only, run the gpu suite, then one
# quick images-gpu comparison at 320x240 if time remains.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out}; mkdir -p "$out"
eval "$(.gpu-deps/unpack.sh .gpu-deps)"
start=$SECONDS
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DFEEDGRAPH_PYTHON=OFF > "$out/configure.log" 2>&1 || { tail -20 "$out/configure.log"; exit 1; }
grep -i "nvjpeg" "$out/configure.log" | head -2
cmake --build build-gpu -j"$(nproc)" --target feedgraph_tests feedgraph_bench > "$out/build.log" 2>&1 || { grep -E "error" "$out/build.log" | head -20; exit 1; }
grep -E "warning" "$out/build.log" | head -5
echo "built in $((SECONDS - start)) s"
build-gpu/tests/feedgraph_tests -ts=gpu > "$out/gpu-suite.log" 2>&1; echo "gpu suite rc $?"
grep -E "test cases|assertions|ERROR|FAILED|TEST CASE" "$out/gpu-suite.log" | head -20
echo "tests done at $((SECONDS - start)) s"
build-gpu/bin/feedgraph-bench images-gpu --reps 1 --json "$out/b.json" 2>"$out/bench.log" | cut -c1-400
echo "bench done at $((SECONDS - start)) s"
