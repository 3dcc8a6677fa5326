#!/usr/bin/env bash
# Fuzz the parsers that read untrusted bytes: pipeline files, record file headers, .npy headers, and the
# check of each JPEG file before it crosses to be decoded on the device (tests/fuzz/).
#
#   scripts/fuzz.sh [SECONDS]     # SECONDS per target, default 60
#
# Installs what is missing (clang and libFuzzer's runtime besides the build dependencies; apt, as setup.sh
# does), builds the CMake preset `fuzz` (clang, ASan + UBSan, build-fuzz/), then runs each target for SECONDS
# on a copy of its seed corpus (tests/fuzz/corpus/<target>/ and regressions/<target>/; nothing is written into
# the source tree). Prints per target the executions, executions per second, the corpus it ended with (files
# and bytes) and the crashes found, and exits non-zero when any target crashed (a crash, a hang over
# FEEDGRAPH_FUZZ_TIMEOUT seconds, a sanitizer report, a leak, or a broken contract), naming the folder that
# holds the inputs. Such an input goes to tests/fuzz/regressions/<target>/ once the bug is fixed.
#
# Environment: FEEDGRAPH_JOBS          parallel build jobs (default: the number of cores)
#              FEEDGRAPH_SKIP_APT      1: install nothing
#              FEEDGRAPH_FUZZ_OUT      where the runs go (default build-fuzz/runs): <target>/ each, replaced
#              FEEDGRAPH_FUZZ_TIMEOUT  seconds one input may take before it counts as a hang (default 10)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS per target, default 60]" >&2
  exit 2
fi

# What the fuzz build needs (Debian names): the engine's libraries, CLI11 (the cli is configured too), clang,
# and libclang-rt-dev, which holds libclang_rt.fuzzer and which clang does not pull in.
scripts/apt-install.sh cmake make libtbb-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libfmt-dev \
  libturbojpeg0-dev clang libclang-rt-dev

jobs=${FEEDGRAPH_JOBS:-$(nproc)}
echo "fuzz: configuring and building the preset fuzz in build-fuzz with $jobs jobs"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "$jobs"

out=${FEEDGRAPH_FUZZ_OUT:-build-fuzz/runs}

# target  max_len: a record file's header alone is 4096 bytes, and a small JPEG is a few KB, so theirs are longer.
targets=(pipeline:4096 record_header:8192 npy_header:4096 jpeg_check:16384)
# A number from libFuzzer's -print_final_stats lines: `stat::NAME: VALUE`.
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

summary=()
crashed=0
for entry in "${targets[@]}"; do
  target=${entry%%:*}
  max_len=${entry##*:}
  run="$out/$target"
  rm -rf "$run"  # the last run's corpus, crashes and log
  mkdir -p "$run/corpus" "$run/crashes"
  cp tests/fuzz/corpus/"$target"/* "$run/corpus/"
  if [[ -d tests/fuzz/regressions/$target ]]; then
    find tests/fuzz/regressions/"$target" -maxdepth 1 -type f -exec cp {} "$run/corpus/" \;
  fi
  # -use_value_profile: how close a comparison came counts as progress too (a header's size against the
  # file's, a shape's product against a bound), which is most of what these parsers check.
  options=(-max_total_time="$seconds" -timeout="${FEEDGRAPH_FUZZ_TIMEOUT:-10}" -max_len="$max_len"
           -rss_limit_mb=2048 -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$run/crashes/")
  [[ -f tests/fuzz/$target.dict ]] && options+=(-dict="tests/fuzz/$target.dict")
  echo "fuzz: $target for ${seconds}s (log: $run/log)"
  status=0
  build-fuzz/fuzz/fuzz_"$target" "${options[@]}" "$run/corpus" >"$run/log" 2>&1 || status=$?

  execs=$(final_stat "$run/log" number_of_executed_units)
  rate=$(final_stat "$run/log" average_exec_per_sec)
  files=$(find "$run/corpus" -type f | wc -l)
  bytes=$(find "$run/corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  crashes=$(find "$run/crashes" -type f | wc -l)
  if ((status != 0 || crashes > 0)); then
    crashed=1
    ((crashes > 0)) || crashes="?"  # it failed without leaving an input: the log says why
    echo "fuzz: $target FAILED (exit $status); the log's end:" >&2
    tail -n 30 "$run/log" >&2
  fi
  summary+=("$(printf '%-14s %12s %10s %8s %10s %8s' "$target" "${execs:-?}" "${rate:-?}" "$files" "$bytes" "$crashes")")
done

echo
printf '%-14s %12s %10s %8s %10s %8s\n' target executions execs/s files bytes crashes
printf '%s\n' "${summary[@]}"
if ((crashed)); then
  echo "fuzz: crashes found: the inputs are in $out/<target>/crashes/, each run's output in $out/<target>/log" >&2
  exit 1
fi
echo "fuzz: no crashes in ${seconds}s per target (corpora and logs in $out)"
