#!/usr/bin/env bash
# On the device (carry .gpu-deps): build, then run nvjpeg_probe.cpp on a 320x240 and a 500x375 folder.
# Usage, from the repo root: OUT=/some/dir experiments/nvjpeg-lanes/probe.sh   (SECS: seconds per configuration)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out}
mkdir -p "$out"
OUT=$out scripts/gpu-cycle.sh build >"$out/cycle-build.txt" 2>&1  # the feedgraph command, to make the folders
eval "$(.gpu-deps/unpack.sh .gpu-deps)"
cuda=$(dirname "$(dirname "$(command -v nvcc)")")
g++ -O2 -std=c++20 -I"$cuda/include" experiments/nvjpeg-lanes/nvjpeg_probe.cpp -o "$out/nvjpeg_probe" \
  -L"$cuda/lib64" -lnvjpeg -lcudart -lpthread
for size in 320x240 500x375; do
  [[ -d data/p$size ]] || build-gpu/bin/feedgraph make-dataset --kind images --samples 4096 --size "$size" \
    --size-jitter 0.3 --out "data/p$size" >/dev/null
  "$out/nvjpeg_probe" "data/p$size" "${SECS:-1}" | tee "$out/probe-$size.txt"
done
