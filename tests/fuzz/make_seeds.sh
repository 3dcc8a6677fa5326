#!/usr/bin/env bash
# Writes the binary seeds of tests/fuzz/corpus/ (record_header/, npy_header/, jpeg_check/) and the pipeline
# seeds taken from graphs/ (corpus/pipeline/graph-*.yaml): valid files written by the engine's own writers
# (`feedgraph make-dataset`), .npy format 2.0 and other variants NumPy writes, JPEG files of other samplings
# and progressive ones (TurboJPEG), and truncated and corrupted copies. The
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

# --- JPEG files: make-dataset --kind images (baseline 4:2:0), small so that the fuzzer runs them quickly -------
rm -rf "$corpus/jpeg_check" && mkdir -p "$corpus/jpeg_check"
"$feedgraph" make-dataset --kind images --samples 3 --classes 1 --size 24x16 --quality 75 --out "$work/images" \
  >/dev/null
i=0
for file in "$work"/images/*/*.jpg; do
  mv "$file" "$corpus/jpeg_check/baseline-$i.jpg"
  i=$((i + 1))
done

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

# JPEG files: other chroma samplings, grey and progressive (TurboJPEG through ctypes), then damage.
import ctypes, ctypes.util
jpeg = corpus / "jpeg_check"
tj = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
tj.tjInitCompress.restype = ctypes.c_void_p
def encode(width, height, subsampling, flags=0, quality=75):
    """An RGB gradient as TurboJPEG encodes it (subsampling: 0 4:4:4, 1 4:2:2, 2 4:2:0, 3 grey; flags 16384:
    progressive)."""
    pixels = bytes((x * 9 + y * 5 + c * 60) % 256 for y in range(height) for x in range(width) for c in range(3))
    handle = ctypes.c_void_p(tj.tjInitCompress())
    out, size = ctypes.POINTER(ctypes.c_ubyte)(), ctypes.c_ulong(0)
    rc = tj.tjCompress2(handle, pixels, width, 0, height, 0, ctypes.byref(out), ctypes.byref(size), subsampling,
                        quality, flags)
    assert rc == 0
    data = ctypes.string_at(out, size.value)
    tj.tjFree(out)
    tj.tjDestroy(handle)
    return data
write(jpeg / "444.jpg", encode(16, 16, 0))
write(jpeg / "422.jpg", encode(20, 12, 1))
write(jpeg / "grey.jpg", encode(16, 8, 3))
write(jpeg / "progressive.jpg", encode(24, 16, 2, flags=16384))
good = encode(16, 16, 2)
sos = good.index(b"\xff\xda")
write(jpeg / "padded-after-eoi.jpg", good + bytes(16))
write(jpeg / "restart-interval-declared.jpg", good[:sos] + b"\xff\xdd\x00\x04\x00\x01" + good[sos:])
write(jpeg / "cut-in-scan.jpg", good[:(sos + len(good)) // 2])
write(jpeg / "cut-in-scan-padded.jpg", good[:(sos + len(good)) // 2] + bytes(8))
write(jpeg / "no-eoi.jpg", good[:-2])
write(jpeg / "cut-in-header.jpg", good[:sos // 2])
write(jpeg / "soi-eoi.jpg", b"\xff\xd8\xff\xd9")
write(jpeg / "not-a-jpeg.jpg", b"GIF89a\x01\x00\x01\x00")
progressive = encode(24, 16, 2, flags=16384)
scans = [i for i in range(len(progressive) - 1) if progressive[i:i + 2] == b"\xff\xda"]
write(jpeg / "progressive-cut-in-last-scan.jpg", progressive[:(scans[-1] + len(progressive)) // 2])
write(jpeg / "progressive-cut-early-with-eoi.jpg", progressive[:scans[1] + 12] + b"\xff\xd9")
EOF

du -sb "$corpus"/*
