#!/usr/bin/env bash
# Device: build, gpu tests + nvJPEG memcheck, then images-gpu at a few settings (exploration, REPS=1).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out}; mkdir -p "$out"
[[ -n ${SKIP_TESTS:-} ]] || { OUT=$out LOADS="" REPS=1 scripts/gpu-cycle.sh tests > "$out/cycle-tests.txt" 2>&1; echo "tests rc $?"; grep -E "tests passed|Failed|\*\*\*" "$out/cycle-tests.txt" | head; }
eval "$(.gpu-deps/unpack.sh .gpu-deps)"
[[ -n ${SKIP_TESTS:-} ]] || { compute-sanitizer --tool memcheck --error-exitcode 9 build-gpu/tests/feedgraph_tests \
  -tc="cuda: nvJPEG*,cuda: bad files on the nvJPEG*,cuda: a file nvJPEG*,cuda: the SMs decode beside*" > "$out/memcheck.log" 2>&1; echo "memcheck rc $?"; grep -sE "ERROR SUMMARY|test cases" "$out/memcheck.log"; }
for item in ${SETTINGS:-"hardware_load=1"}; do
  setting=${item%@*}; reps=${REPS:-1}; [[ $item == *@* ]] && reps=${item#*@}
  sets=(); IFS=, read -ra kv <<< "$setting"; for x in "${kv[@]}"; do sets+=(--set "device_transforms[0].decode_jpeg.$x"); done
  echo "== $setting (reps $reps) $(date +%T)"
  build-gpu/bin/feedgraph-bench ${SCEN:-images-gpu images-gpu-500} --reps "$reps" "${sets[@]}" --json "$out/b-$setting.json" 2>>"$out/bench.log" | cut -c1-400
done
