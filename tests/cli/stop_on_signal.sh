#!/usr/bin/env bash
# A signal during `feedgraph COMMAND` stops it cleanly: the report of what ran is printed marked as interrupted,
# --json says "interrupted": true, and the status is 128 + the signal.
#
# Usage: stop_on_signal.sh FEEDGRAPH run|compare INT|TERM
set -u
bin=$1 command=$2 signal=$3
case $signal in INT) want=130 ;; TERM) want=143 ;; *) echo "unknown signal $signal" >&2; exit 2 ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Reads that sleep 200 us per sample, a thousand epochs: minutes, unless stopped.
cat > "$dir/long.yaml" <<'YAML'
name: long
device: host
batch_size: 8
epochs: 1000
dataset: {source: synthetic, samples: 512, sample: {shape: [3, 8, 8], dtype: float32}, cost: {io_us: 200}}
compute: {kernel: checksum}
YAML
"$bin" "$command" "$dir/long.yaml" --json "$dir/out.json" > "$dir/stdout" 2> "$dir/stderr" &
pid=$!
# The signal goes once the run has started (its plan line is out), and after a few batches: under a
# sanitizer the process takes longer to get there, and a signal before main() has set up its handling would
# end it as the default action does, with no report.
for _ in $(seq 300); do
  grep -q "batches of" "$dir/stdout" 2>/dev/null && break
  sleep 0.1
done
sleep 1
kill -s "$signal" "$pid"
started=$SECONDS
wait "$pid"
status=$?
fail() { echo "FAIL: $*" >&2; echo "--- stdout"; cat "$dir/stdout"; echo "--- stderr"; cat "$dir/stderr"; exit 1; }
[[ $status -eq $want ]] || fail "exit status $status, expected $want"
(( SECONDS - started <= 10 )) || fail "took $((SECONDS - started)) s to stop"
grep -q "interrupted  stopped early" "$dir/stdout" || fail "no interrupted line in the report"
grep -q '"interrupted": true' "$dir/out.json" || fail "--json does not say interrupted"
grep -q '"batches": [1-9]' "$dir/out.json" || fail "--json reports no batch delivered"
echo "ok: $command stopped by SIG$signal, status $status"
