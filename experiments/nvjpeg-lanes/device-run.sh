#!/usr/bin/env bash
# Device: build, gpu tests, nvJPEG memcheck, then the probe on two folders.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out}; mkdir -p "$out"
export FEEDGRAPH_COMMIT=${FEEDGRAPH_COMMIT:-unknown}
[[ -n ${SKIP_TESTS:-} ]] || { REPS=1 LOADS="" OUT=$out scripts/gpu-cycle.sh tests > "$out/cycle-tests.txt" 2>&1; echo "tests rc $?"; tail -8 "$out/cycle-tests.txt"; }
eval "$(.gpu-deps/unpack.sh .gpu-deps)"
[[ -n ${SKIP_TESTS:-} ]] || compute-sanitizer --tool memcheck --error-exitcode 9 build-gpu/tests/feedgraph_tests \
  -tc="cuda: nvJPEG*,cuda: bad files on the nvJPEG*,cuda: a file nvJPEG*,cuda: the SMs decode beside*" > "$out/memcheck.log" 2>&1; echo "memcheck rc $?"
grep -sE "ERROR SUMMARY|test cases|assertions" "$out/memcheck.log"
cuda=$(dirname "$(dirname "$(command -v nvcc)")")
g++ -O2 -std=c++20 -I"$cuda/include" experiments/nvjpeg-lanes/nvjpeg_probe.cpp -o "$out/nvjpeg_probe" -L"$cuda/lib64" -lnvjpeg -lcudart -lpthread || exit 1
for s in 320x240 500x375; do
  [[ -d data/p$s ]] || build-gpu/bin/feedgraph make-dataset --kind images --samples 4096 --size $s --size-jitter 0.3 --out data/p$s > /dev/null 2>&1
  "$out/nvjpeg_probe" data/p$s ${SECS:-1} 2>&1 | tee "$out/probe-$s.txt"
done
