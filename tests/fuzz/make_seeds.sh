#!/usr/bin/env bash
# Writes the binary seeds of tests/fuzz/corpus/ (record_header/, npy_header/) and the pipeline seeds taken from
# graphs/ (corpus/pipeline/graph-*.yaml): valid files written by the engine's own writers (`feedgraph
# make-dataset`), .npy format 2.0 and other variants NumPy writes, and truncated and corrupted copies. The
# hand-written pipeline seeds (corpus/pipeline/*.yaml without the graph- prefix) are kept as they are.
# Run it again only to change the seeds; the corpus is checked in.
#
#   tests/fuzz/make_seeds.sh [path/to/feedgraph]     # default build/bin/feedgraph
set -euo pipefail
root=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../..")
feedgraph=$(realpath "${1:-$root/build/bin/feedgraph}")
cd "$root/tests/fuzz"
corpus=corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- pipeline: the shipped graphs, without their comment blocks (the fuzzer mutates bytes, not prose) ----------
rm -f "$corpus"/pipeline/graph-*.yaml
for graph in ../../graphs/*.yaml; do
  grep -v '^ *#' "$graph" >"$corpus/pipeline/graph-$(basename "$graph")"
done

# --- record files: make-dataset --kind records ---------------------------------------------------------------
rm -rf "$corpus/record_header" && mkdir -p "$corpus/record_header"
records() {  # name samples shape dtype classes
  "$feedgraph" make-dataset --kind records --samples "$2" --shape "$3" --dtype "$4" --classes "$5" \
    --out "$corpus/record_header/$1.rec" >/dev/null
}
records u8-3x4x4-labels 3 3,4,4 uint8 10
records f32-5-nolabels 4 5 float32 0
records i32-2x3-labels 2 2,3 int32 3
records f16-2x2x2x2-labels 1 2,2,2,2 float16 2
records u8-1-many 40 1 uint8 0

# --- .npy files: make-dataset --kind npy (format 1.0; labels as <i8) -------------------------------------------
rm -rf "$corpus/npy_header" && mkdir -p "$corpus/npy_header"
npy() {  # name samples shape dtype
  "$feedgraph" make-dataset --kind npy --samples "$2" --shape "$3" --dtype "$4" --classes 5 --out "$work/$1.npy" \
    >/dev/null
  mv "$work/$1.npy" "$corpus/npy_header/$1.npy"
  mv "$work/$1.labels.npy" "$corpus/npy_header/$1.labels.npy"
}
npy u8-3x4x4 3 3,4,4 uint8
npy f32-5 4 5 float32
npy i32-2x3 2 2,3 int32
npy f16-1 6 1 float16

# --- variants and damage, by byte surgery -----------------------------------------------------------------------
python3 - "$corpus" <<'EOF'
import struct, sys
from pathlib import Path

corpus = Path(sys.argv[1])
rec, npy = corpus / "record_header", corpus / "npy_header"

def write(path, data):
    path.write_bytes(data)

# Record files: cut inside the magic, the fixed header, the shape, the data; one byte too many; other fields.
good = (rec / "u8-3x4x4-labels.rec").read_bytes()
write(rec / "cut-in-magic.rec", good[:5])
write(rec / "cut-in-fixed-header.rec", good[:40])
write(rec / "cut-in-shape.rec", good[:60])
write(rec / "header-only.rec", good[:4096])
write(rec / "one-byte-short.rec", good[:-1])
write(rec / "one-byte-long.rec", good + b"\0")
write(rec / "bad-magic.rec", b"FGRECORX" + good[8:])
write(rec / "version-2.rec", good[:8] + struct.pack("<I", 2) + good[12:])
write(rec / "dtype-9.rec", good[:12] + struct.pack("<I", 9) + good[16:])
write(rec / "flags-2.rec", good[:24] + struct.pack("<Q", 2) + good[32:])
write(rec / "offset-64.rec", good[:32] + struct.pack("<Q", 64) + good[40:64] + good[4096:])
write(rec / "offset-unaligned.rec", good[:32] + struct.pack("<Q", 4100) + good[40:])
write(rec / "ndim-33.rec", good[:40] + struct.pack("<Q", 33) + good[48:])

def npy_file(dict_text, data=b"", major=1):
    """A .npy file as NumPy writes it: the dict padded with spaces and a newline to a multiple of 64."""
    prefix = 10 if major == 1 else 12
    header = dict_text.encode("latin1")
    total = -(-(prefix + len(header) + 1) // 64) * 64
    header += b" " * (total - prefix - len(header) - 1) + b"\n"
    length = struct.pack("<H" if major == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header + data

# Format 2.0 (NumPy writes it when the header does not fit 1.0's 16-bit length), several dtypes and shapes.
write(npy / "v2-f32-2x3.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytes(24), 2))
write(npy / "v2-u8-4x2x2.npy", npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (4, 2, 2), }", bytes(16), 2))
write(npy / "v2-i32-0.npy", npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (0,), }", b"", 2))
# What other writers put in a header: key order, Python 2 longs, no trailing comma, double quotes, a list.
write(npy / "python2-longs.npy", npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (3L, 2L)}", bytes(12)))
write(npy / "key-order.npy", npy_file('{"shape": (2,), "fortran_order": False, "descr": "<i4"}', bytes(8)))
write(npy / "fortran.npy", npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", bytes(16)))
write(npy / "big-endian.npy", npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", bytes(8)))
write(npy / "record-dtype.npy", npy_file("{'descr': [('a', '<f4'), ('b', '|u1')], 'fortran_order': False, 'shape': (1,), }", bytes(5)))
write(npy / "zero-d.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", bytes(4)))
write(npy / "nested.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': {'y': [None, -1]}}", bytes(8)))
# Damage: cut in the magic, the length, the dict, the data; one byte long; another version.
good = (npy / "u8-3x4x4.npy").read_bytes()
write(npy / "cut-in-magic.npy", good[:4])
write(npy / "cut-in-length.npy", good[:9])
write(npy / "cut-in-dict.npy", good[:40])
write(npy / "one-byte-short.npy", good[:-1])
write(npy / "one-byte-long.npy", good + b"\0")
write(npy / "version-3.npy", good[:6] + bytes([3, 0]) + good[8:])
write(npy / "v2-cut-in-length.npy", b"\x93NUMPY\x02\x00\x10")
EOF

du -sb "$corpus"/*
