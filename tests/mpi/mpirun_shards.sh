#!/usr/bin/env bash
# `mpirun -np 2` over one records dataset with `shard: auto`: each rank learns its part from Open MPI's
# OMPI_COMM_WORLD_RANK/SIZE, and the two parts must be disjoint halves that together cover the dataset.
# Usage: mpirun_shards.sh FEEDGRAPH SHARD_RANK MPIRUN
set -euo pipefail
feedgraph=$1 shard_rank=$2 mpirun=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=1000
"$feedgraph" make-dataset --kind records --samples $samples --shape 4,4 --dtype uint8 --out "$work/data.rec" >/dev/null
# Root in a container is common here; --oversubscribe lets two ranks share one core.
as_root=()
[[ $(id -u) -eq 0 ]] && as_root=(--allow-run-as-root)
OMPI_MCA_plm=isolated OMPI_MCA_btl_vader_single_copy_mechanism=none \
  "$mpirun" "${as_root[@]}" --oversubscribe -np 2 "$shard_rank" "$work/data.rec" "$work"
for r in 0 1; do
  [[ -f $work/rank-$r.txt ]] || { echo "rank $r wrote nothing"; exit 1; }
  read -r index count < "$work/rank-$r.txt"
  [[ $index == "$r" && $count == 2 ]] || { echo "rank $r saw shard '$index of $count', expected $r of 2"; exit 1; }
done
tail -n +2 "$work/rank-0.txt" | sort -n > "$work/a"
tail -n +2 "$work/rank-1.txt" | sort -n > "$work/b"
[[ $(wc -l < "$work/a") -eq $((samples / 2)) && $(wc -l < "$work/b") -eq $((samples / 2)) ]] \
  || { echo "ranks read $(wc -l < "$work/a") and $(wc -l < "$work/b") samples, expected $((samples / 2)) each"; exit 1; }
[[ -z $(comm -12 "$work/a" "$work/b") ]] || { echo "the ranks share samples: $(comm -12 "$work/a" "$work/b" | head -5 | tr '\n' ' ')"; exit 1; }
sort -n -m "$work/a" "$work/b" | diff -q - <(seq 0 $((samples - 1))) >/dev/null \
  || { echo "together the ranks do not cover 0..$((samples - 1))"; exit 1; }
echo "mpirun -np 2: ranks 0 and 1 read disjoint halves of $samples samples, covering all of them"
