#!/usr/bin/env bash
# Aggregate samples/s of one pipeline per GPU on 1, 2, 4 and 8 GPUs of one host (as many as answer), each
# rank started by mpirun with `shard: auto` and `device: auto` (cuda:LOCAL_RANK), and the scaling efficiency:
# aggregate(N) / (N x aggregate(1)). Rank 0's `aggregate:` line is the sum of the ranks' rates.
#
#   bench/multi-gpu/scaling.sh [GRAPH...]       # default: transfer-bound, images, images-gpu
#   RANKS="1 2" DEVICE=host bench/multi-gpu/scaling.sh graphs/overhead.yaml   # the script itself, on CPUs
#
# Environment: FEEDGRAPH (the command, default build/bin/feedgraph), OUT (logs and JSON, default
# scaling-out), RANKS (default: 1 2 4 8 up to the GPUs that answer), DEVICE (default auto), SET (more
# --set overrides, space-separated), IMAGES (the JPEG folder images graphs read, default data/images).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
feedgraph=${FEEDGRAPH:-build/bin/feedgraph}
out=${OUT:-scaling-out}
device=${DEVICE:-auto}
mkdir -p "$out"
gpus=$(nvidia-smi -L 2>/dev/null | grep -c "^GPU" || true)
ranks=${RANKS:-$(for n in 1 2 4 8; do (( n <= gpus )) && echo $n; done)}
[[ -n $ranks ]] || { echo "scaling.sh: no GPU answers nvidia-smi -L; set RANKS (and DEVICE=host) to try it on CPUs"; exit 1; }
graphs=("$@")
(( ${#graphs[@]} )) || graphs=(graphs/transfer-bound.yaml graphs/images.yaml graphs/images-gpu.yaml)
as_root=()
[[ $(id -u) -eq 0 ]] && as_root=(--allow-run-as-root)
printf "%-28s %6s %16s %12s\n" graph ranks "samples/s (sum)" efficiency
for graph in "${graphs[@]}"; do
  name=$(basename "$graph" .yaml)
  sets=(--set dataset.shard=auto --set "device=$device")
  [[ $name == images* ]] && sets+=(--set "dataset.path=${IMAGES:-data/images}")
  for s in ${SET:-}; do sets+=(--set "$s"); done
  one=""
  for n in $ranks; do
    log="$out/$name-$n.txt"
    mpirun "${as_root[@]}" --bind-to none --oversubscribe -np "$n" "$feedgraph" run "$graph" "${sets[@]}" \
      --json "$out/$name-$n.json" >"$log" 2>&1 || { echo "$name on $n ranks failed: $log"; tail -5 "$log"; continue; }
    rate=$(sed -n 's/^aggregate: \([0-9.]*\) samples\/s.*/\1/p' "$log")
    [[ $n == 1 ]] && rate=$(sed -n 's/^  throughput   \([0-9.]*\) samples\/s.*/\1/p' "$log" | head -1)
    [[ -n $one ]] || one=$rate
    printf "%-28s %6s %16.0f %11.0f%%\n" "$name" "$n" "$rate" "$(echo "100 * $rate / ($n * $one)" | bc -l)"
  done
done
