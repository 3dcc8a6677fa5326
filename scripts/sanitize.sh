#!/usr/bin/env bash
# Build feedgraph with sanitizers and run its host tests under them: the CMake presets `asan` (ASan + UBSan,
# build-asan/) and `tsan` (TSan, build-tsan/, against a oneTBB that scripts/tbb-tsan.sh builds with TSan in
# build-tsan-tbb/), both host backend only. The runtime options (and UBSan's suppressions,
# tests/sanitizers/ubsan.supp) are in the test presets, so `ctest --preset asan` in a built tree runs
# exactly this. Every sanitizer report ends its test with a failure.
#
# Left out, by label: gpu (no cuda backend in these builds; the GPU path is checked with compute-sanitizer),
# package (installs the build and links a separate project against it, which has no sanitizer runtime, so
# the link fails on undefined __asan_* symbols; what it checks is packaging, not memory or threads),
# timing (asserts speeds or timing verdicts, which the sanitizers' slowdown changes). Every doctest suite,
# the examples and the mpirun test run.
#
# Usage: scripts/sanitize.sh asan|tsan [ctest arguments, e.g. -R pull]
# Environment: FEEDGRAPH_JOBS  parallel build jobs (default: the number of cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset=${1:-}
if [[ $preset != asan && $preset != tsan ]]; then
  echo "usage: scripts/sanitize.sh asan|tsan [ctest arguments]" >&2
  exit 2
fi
shift

jobs=${FEEDGRAPH_JOBS:-$(nproc)}
if [[ $preset == tsan ]]; then
  # TSan needs TBB instrumented too (scripts/tbb-tsan.sh says why); dpkg-source unpacks its source package.
  scripts/setup.sh --deps-only dpkg-dev
  scripts/tbb-tsan.sh
else
  scripts/setup.sh --deps-only
fi
echo "sanitize: configuring and building the $preset preset in build-$preset with $jobs jobs"
cmake --preset "$preset"
cmake --build --preset "$preset" --parallel "$jobs"
echo "sanitize: $preset set-up and build took ${SECONDS} s"

echo "sanitize: running the host tests under $preset (labels gpu, package and timing left out)"
started=$SECONDS
ctest --preset "$preset" "$@"
echo "sanitize: $preset tests took $((SECONDS - started)) s"
