#!/usr/bin/env bash
# `mpirun -np N` over one records dataset with `shard: auto` and `threads: auto`: each rank learns its part
# from Open MPI's OMPI_COMM_WORLD_RANK/SIZE and its share of the host's cores from OMPI_COMM_WORLD_LOCAL_SIZE.
# The parts must be disjoint, together cover the dataset, give every rank the same number of batches, and
# the ranks' core shares must add up to the cores (each at least one). Then `feedgraph run` under mpirun:
# every rank's report line and --json file names it, and rank 0 prints the aggregate.
# With DEVICE `auto` on a machine of several GPUs, each rank must also have pulled every batch from the GPU
# its local rank picked (cuda:r), verify on; RANKS `gpus` takes one rank per GPU, and fewer than two GPUs
# skip (exit 77).
# Usage: mpirun_shards.sh FEEDGRAPH SHARD_RANK MPIRUN [RANKS] [DEVICE]
set -euo pipefail
feedgraph=$1 shard_rank=$2 mpirun=$3 ranks=${4:-2} device=${5:-host}
if [[ $ranks == gpus ]]; then
  ranks=$(nvidia-smi -L 2>/dev/null | grep -c "^GPU" || true)
  (( ranks >= 2 )) || { echo "fewer than two GPUs answer nvidia-smi -L: skipped"; exit 77; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=$((ranks * 500))  # a multiple of the ranks: the parts are then disjoint (no padding)
"$feedgraph" make-dataset --kind records --samples $samples --shape 4,4 --dtype uint8 --out "$work/data.rec" >/dev/null
# Root in a container is common here; --oversubscribe lets ranks share a core; --bind-to none leaves each rank
# every core to see, as torchrun does, so that the share is the engine's doing.
as_root=()
[[ $(id -u) -eq 0 ]] && as_root=(--allow-run-as-root)
OMPI_MCA_plm=isolated OMPI_MCA_btl_vader_single_copy_mechanism=none \
  "$mpirun" "${as_root[@]}" --oversubscribe --bind-to none -np "$ranks" "$shard_rank" "$work/data.rec" "$work" "$device"
shares=0 cores=0 batches=""
for ((r = 0; r < ranks; r++)); do
  [[ -f $work/rank-$r.txt ]] || { echo "rank $r wrote nothing"; exit 1; }
  read -r index count share local_world cores rank_batches gpu < "$work/rank-$r.txt"
  [[ $device == host || $gpu == "$r" ]] || { echo "rank $r pulled its batches from cuda:$gpu, expected cuda:$r"; exit 1; }
  [[ $index == "$r" && $count == "$ranks" ]] || { echo "rank $r saw shard '$index of $count', expected $r of $ranks"; exit 1; }
  [[ $local_world == "$ranks" ]] || { echo "rank $r saw $local_world ranks on this host, expected $ranks"; exit 1; }
  (( share >= 1 )) || { echo "rank $r took a share of $share cores"; exit 1; }
  shares=$((shares + share))
  [[ -z $batches || $batches == "$rank_batches" ]] || { echo "rank $r had $rank_batches batches, rank 0 had $batches"; exit 1; }
  batches=$rank_batches
  tail -n +2 "$work/rank-$r.txt" | sort -n > "$work/ids-$r"
  [[ $(wc -l < "$work/ids-$r") -eq $((samples / ranks)) ]] \
    || { echo "rank $r read $(wc -l < "$work/ids-$r") samples, expected $((samples / ranks))"; exit 1; }
done
expected=$(( cores > ranks ? cores : ranks ))
[[ $shares -eq $expected ]] || { echo "the ranks' core shares add up to $shares, expected $expected ($cores cores, $ranks ranks)"; exit 1; }
sort -n -m "$work"/ids-* > "$work/all"
[[ -z $(uniq -d "$work/all") ]] || { echo "the ranks share samples: $(uniq -d "$work/all" | head -5 | tr '\n' ' ')"; exit 1; }
diff -q "$work/all" <(seq 0 $((samples - 1))) >/dev/null || { echo "together the ranks do not cover 0..$((samples - 1))"; exit 1; }
# The command itself under the launcher: each rank names itself, writes its own --json file, and rank 0
# prints the sum of the ranks' rates.
cat > "$work/graph.yaml" <<YAML
name: mpi-run
device: host
batch_size: 16
epochs: 1
dataset: {source: records, path: '$work/data.rec', shard: auto}
YAML
OMPI_MCA_plm=isolated OMPI_MCA_btl_vader_single_copy_mechanism=none \
  "$mpirun" "${as_root[@]}" --oversubscribe --bind-to none -np "$ranks" "$feedgraph" run "$work/graph.yaml" \
  --json "$work/run.json" > "$work/run.txt" 2>&1 || { cat "$work/run.txt"; exit 1; }
for ((r = 0; r < ranks; r++)); do
  [[ -s $work/run.json.rank$r ]] || { echo "rank $r wrote no run.json.rank$r"; ls "$work"; exit 1; }
  grep -q "^rank $r of $ranks: mpi-run" "$work/run.txt" || { echo "no report line names rank $r"; cat "$work/run.txt"; exit 1; }
done
grep -q "^aggregate: .* samples/s over $ranks ranks (their sum); slowest rank" "$work/run.txt" \
  || { echo "rank 0 printed no aggregate line"; cat "$work/run.txt"; exit 1; }
echo "mpirun -np $ranks: disjoint parts of $samples samples covering all of them, $batches batches each, core shares adding up to $shares"
