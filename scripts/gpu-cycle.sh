#!/usr/bin/env bash
# One build-test-bench cycle on a GPU machine without package access (the lent H100): unpack the offline
# dependencies, build, run the gpu tests and the GPU comparisons, and leave logs and JSON under $OUT.
# Usage (from the repo root, with .gpu-deps carried): OUT=/some/dir scripts/gpu-cycle.sh [build|tests|bench|python|state|decode|all]...
#        (build: the build alone, as every other step does first; several steps in one call: "tests decode")
#        OUT=/some/dir scripts/gpu-cycle.sh tune [GRAPH...]   # feedgraph-tune-bench (tune against a grid)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
what=" ${*:-all} "  # the steps asked for, each between spaces
out=${OUT:-out}
mkdir -p "$out"
eval "$(.gpu-deps/unpack.sh .gpu-deps)"
nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv \
  | tee "$out/device.txt"
echo "commit: ${FEEDGRAPH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}  date: $(date -u +%F)" | tee -a "$out/device.txt"
# The Python package: the machine's own python3 and the pybind11 installed for it (.gpu-deps carries
# libdlpack-dev: fetch.sh .gpu-deps libdlpack-dev).
python=$(command -v python3 || true)
pybind11_dir=$([[ -n $python ]] && "$python" -m pybind11 --cmakedir 2>/dev/null || true)
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release ${python:+-DPython3_EXECUTABLE="$python"} \
  ${pybind11_dir:+-Dpybind11_DIR="$pybind11_dir"} >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
grep -E "feedgraph: (Python|no Python)|Python tests" "$out/configure.log" || true
cmake --build build-gpu -j"$(nproc)" >"$out/build.log" 2>&1 || { grep -E "error|warning" "$out/build.log" | head -40; exit 1; }
grep -E "warning" "$out/build.log" | head -20 || true

if [[ $what == *" tests "* || $what == *" all "* ]]; then
  ctest --test-dir build-gpu -L gpu --output-on-failure --timeout 120 2>&1 | tee "$out/gpu-tests.log" | tail -15
fi
if [[ $what == *" python "* || $what == *" all "* ]]; then
  # The example, then the training-step benchmark: DataLoader against feedgraph against the step's ceiling.
  [[ -d data/bench-images ]] || build-gpu/bin/feedgraph make-dataset --kind images --samples 8192 --size 320x240 \
    --out data/bench-images >"$out/make-images.log" 2>&1
  [[ -f data/bench-npy/train.npy ]] || { mkdir -p data/bench-npy && build-gpu/bin/feedgraph make-dataset --kind npy \
    --samples 4096 --shape 3,224,224 --out data/bench-npy/train.npy >"$out/make-npy.log" 2>&1; }
  PYTHONPATH=build-gpu/python "$python" examples/python/train.py data/bench-images --steps 30 2>&1 | tee "$out/train-example.txt"
  PYTHONPATH=build-gpu/python "$python" examples/python/train.py data/bench-images --steps 30 --decode gpu 2>&1 \
    | tee "$out/train-example-gpu-decode.txt"
  PYTHONPATH=build-gpu/python "$python" bench/python/train_step.py --images data/bench-images \
    --npy data/bench-npy/train.npy --json "$out/train_step.json" 2>&1 | tee "$out/train_step.txt"
fi
if [[ $what == *" bench "* || $what == *" all "* ]]; then
  build-gpu/bin/feedgraph probe --json "$out/probe.json" 2>&1 | tee "$out/probe.txt"
  build-gpu/bin/feedgraph-bench --reps 5 --json "$out/bench.json" 2>&1 | tee "$out/bench.txt"
fi
if [[ $what == *" state "* || $what == *" all "* ]]; then
  # What checkpointing costs: state() during a run, and the first batch of a resumed run against a fresh one.
  build-gpu/bin/feedgraph-state-bench --device cuda 2>&1 | tee "$out/state-bench.txt"
fi
if [[ $what == *" decode "* || $what == *" all "* ]]; then
  # JPEG decoded on the GPU (nvJPEG) against decoding on every core, and nvJPEG's decode alone; then the
  # nvJPEG tests under compute-sanitizer memcheck.
  build-gpu/bin/feedgraph-bench images-gpu images-gpu-500 --reps "${REPS:-5}" --json "$out/decode-bench.json" \
    2>"$out/decode-bench.log" | tee "$out/decode-bench.txt"
  # setting_sets "hardware_load=0,buffers.device=2": the --set arguments of one variant, in `sets`: decode_jpeg's
  # keys under device_transforms[0], the others as they are.
  setting_sets() {
    sets=()
    local keys key
    IFS=, read -ra keys <<<"$1"
    for key in "${keys[@]}"; do
      case ${key%%=*} in
        backend | hardware_load | lanes | hardware_threads) sets+=(--set "device_transforms[0].decode_jpeg.$key") ;;
        *) sets+=(--set "$key") ;;
      esac
    done
  }
  # Then at other decode_jpeg settings: SETTINGS holds one variant per word, its keys joined by commas
  # ("hardware_load=0.5,lanes=2 hardware_load=0"); a key that is not decode_jpeg's is the pipeline's own
  # ("hardware_load=0,buffers.device=2", "threads=6"). LOADS="0.9 0.8" is short for hardware_load values alone.
  # LOADS="" (or SETTINGS="") skips them.
  default_settings=""
  for load in ${LOADS-0.9 0.8 0.7}; do default_settings+="hardware_load=$load "; done
  for setting in ${SETTINGS-$default_settings}; do
    setting_sets "$setting"
    name=${setting//=/-}  # plain file names: hardware_load-0.5_lanes-2
    name=${name//,/_}
    build-gpu/bin/feedgraph-bench images-gpu images-gpu-500 --reps "${REPS:-5}" "${sets[@]}" \
      --json "$out/decode-bench-$name.json" 2>>"$out/decode-bench.log" | tee "$out/decode-bench-$name.txt"
  done
  # Where the host CPU goes: one run of each variant at 320x240 (the bench's files, made above), its whole
  # report (the node table's host s and cpu s, the host CPU line by thread).
  for setting in default ${SETTINGS-$default_settings}; do
    setting_sets "${setting#default}"
    echo "== $setting" >>"$out/decode-cpu.txt"
    build-gpu/bin/feedgraph run graphs/images-gpu.yaml --set dataset.path=bench-data/images-320x240-jitter \
      --set dataset.cache=true --set epochs=10 "${sets[@]}" >>"$out/decode-cpu.txt" 2>&1 || true
  done
  grep -E "^== |throughput|host CPU|by thread|^  compute|^  read" "$out/decode-cpu.txt" || true
  # The decode that must wait for its outputs' last reader, again and again: a race that is rare shows there.
  fails=0
  for run in $(seq 1 "${ORDER_RUNS:-10}"); do
    build-gpu/tests/feedgraph_tests -tc="cuda: a decode waits*" >>"$out/decode-order.log" 2>&1 || fails=$((fails + 1))
  done
  echo "the decode-order case: $fails of ${ORDER_RUNS:-10} runs failed" | tee "$out/decode-order.txt"
  if command -v compute-sanitizer >/dev/null; then
    # The whole log is kept; the summary lines (memcheck's ERROR SUMMARY, doctest's counts) are shown.
    compute-sanitizer --tool memcheck --error-exitcode 9 build-gpu/tests/feedgraph_tests \
      -tc="cuda: nvJPEG*,cuda: bad files on the nvJPEG*,cuda: a file nvJPEG*,cuda: the SMs decode beside*,cuda: a decode waits*,cuda: the fused pass*,cuda: normalized*" \
      >"$out/decode-memcheck.log" 2>&1 && echo "memcheck rc 0" || echo "memcheck rc $?"
    grep -E "ERROR SUMMARY|test cases|assertions|Status" "$out/decode-memcheck.log" | tee "$out/decode-memcheck.txt"
  fi
fi
if [[ $what == *" tune "* ]]; then
  # Not part of `all`: a grid of up to 128 one-second trials per graph; name graphs to split it up.
  build-gpu/bin/feedgraph-tune-bench --reps 5 --json "$out/tune-bench.json" "${@:2}" 2>"$out/tune-bench.log" \
    | tee "$out/tune-bench.txt"
fi
if [[ $what == *" ablate "* || $what == *" all "* ]]; then
  build-gpu/bin/feedgraph ablate graphs/seed.yaml --json "$out/ablate.json" 2>&1 | tee "$out/ablate.txt" | tail -25
fi
