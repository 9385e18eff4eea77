#!/usr/bin/env python3
"""Mutation fuzzer for the `fcn` command line (standard library only).

Each case takes a small valid seed file from tools/fuzz_seeds/ (PNG, JPEG, .pth, .safetensors,
COCO JSON), damages it (bit flips, truncations, splices, huge declared sizes, deep JSON nesting,
format-aware edits that keep checksums valid so the damage reaches the parser behind them), and
runs the matching command on it:

  predict-png / predict-jpg   fcn predict --weights W --input CASE/input.{png,jpg}
  convert-pth / convert-st    fcn convert CASE/input.{pth,safetensors} CASE/out.safetensors
  export-masks                fcn export-masks --data coco:CASE/coco.json --out CASE/masks
  predict-weights             fcn predict --weights CASE/weights.safetensors (a damaged checkpoint)
  resume                      fcn train --resume from a run whose last.safetensors is damaged
  train                       fcn train on a 4-image folder data set, one image or mask damaged
  report                      fcn report --run on a finished run with one of its files damaged

A case fails when fcn is killed by a signal (a crash), runs longer than --timeout (a hang),
exits with a status other than 0 or 1, or exits 1 without naming the damaged file (its base
name) on stderr. Each failure is printed with a command that reproduces it and its files are
kept under --failures. Cases are generated from (--seed, case number) alone, so a run is
reproducible whatever the parallelism, and `--only N` reruns one case.

  python3 tools/fuzz.py --cases 2000 --seed 1          # what `make fuzz` runs
  python3 tools/fuzz.py --cases 200 --seed 1           # the smoke run of `make test`
"""

import argparse
import concurrent.futures
import io
import json
import os
import pickletools
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "fuzz_seeds"

# The smallest real model (as Tests/CLITests/TinyRun.swift): FCN-8s, compact head, 1/16 width.
TINY_MODEL = ["--model", "fcn8s", "--head", "compact", "--width", "0.0625", "--fc", "16"]

# Values that break size arithmetic: zero, signs, powers of two and their neighbours, limits.
INTERESTING_INTS = [
    0, 1, -1, 2, 3, 255, 256, 32767, 32768, 32769, 65535, 65536, 1 << 24, (1 << 31) - 1, 1 << 31,
    (1 << 32) - 1, 1 << 32, 1 << 40, 1 << 62, (1 << 63) - 1, -(1 << 31), -(1 << 63), 10**12,
]
INTERESTING_NUMBERS = INTERESTING_INTS + [0.5, -0.5, 1e12, 1e300, -1e300, 1e-300, 24.0, 3.7]


# ---------------------------------------------------------------------------------------------
# Byte-level mutations (any format)

def flip_bits(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data), "bit flips"


def set_bytes(rng, data):
    data = bytearray(data)
    i = rng.randrange(len(data))
    width = rng.choice([1, 2, 4, 8])
    value = rng.choice(INTERESTING_INTS) & ((1 << (8 * width)) - 1)
    order = rng.choice(["little", "big"])
    chunk = value.to_bytes(width, order)
    data[i:i + width] = chunk[: max(0, len(data) - i)]
    return bytes(data), f"{width}-byte {order}-endian {value} at {i}"


def truncate(rng, data):
    n = rng.randrange(len(data))
    return data[:n], f"truncated to {n} bytes"


def splice(rng, data, other):
    a, b = sorted(rng.randrange(len(other) + 1) for _ in range(2))
    i = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        return data[:i] + other[a:b] + data[i:], f"inserted {b - a} bytes of another seed at {i}"
    return data[:i] + other[a:b] + data[i + (b - a):], f"overwrote {b - a} bytes at {i} with another seed's"


def duplicate_block(rng, data):
    a, b = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    times = rng.choice([2, 3, 10, 100])
    return data[:b] + data[a:b] * times + data[b:], f"block {a}..{b} repeated {times}x"


def delete_block(rng, data):
    a, b = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    return data[:a] + data[b:], f"deleted bytes {a}..{b}"


def insert_random(rng, data):
    i = rng.randrange(len(data) + 1)
    n = rng.choice([1, 4, 16, 256])
    return data[:i] + bytes(rng.randrange(256) for _ in range(n)) + data[i:], f"{n} random bytes at {i}"


def mutate_bytes(rng, data, others=()):
    """One to three byte-level edits; returns (bytes, description)."""
    notes = []
    for _ in range(rng.randint(1, 3)):
        if not data:
            data = bytes([rng.randrange(256)])
        ops = [flip_bits, set_bytes, truncate, duplicate_block, delete_block, insert_random]
        op = rng.choice(ops + ([splice] if others else []))
        data, note = op(rng, data, rng.choice(others)) if op is splice else op(rng, data)
        notes.append(note)
    return data, "; ".join(notes)


# ---------------------------------------------------------------------------------------------
# PNG: chunks with recomputed CRCs, so the damage reaches the header and zlib parsers

def png_chunks(data):
    """[(type, body)] of a PNG; stops at the first malformed chunk."""
    chunks, i = [], 8
    while i + 8 <= len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        kind = data[i + 4:i + 8]
        if i + 12 + length > len(data):
            break
        chunks.append((kind, data[i + 8:i + 8 + length]))
        i += 12 + length
    return chunks


def png_join(chunks, bad_length=None):
    """The PNG of these chunks with valid CRCs; `bad_length` = (chunk index, length to declare)."""
    out = b"\x89PNG\r\n\x1a\n"
    for index, (kind, body) in enumerate(chunks):
        length = bad_length[1] if bad_length and bad_length[0] == index else len(body)
        out += struct.pack(">I", length & 0xFFFFFFFF) + kind + body
        out += struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return out


def mutate_png(rng, data):
    chunks = png_chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or rng.random() < 0.3:
        return mutate_bytes(rng, data)
    choice = rng.randrange(6)
    ihdr = bytearray(chunks[0][1])
    if choice == 0:  # huge or odd declared size, valid CRC
        w = rng.choice([rng.randrange(1, 70000), 0, 32768, 32769, 65535, 1 << 20, (1 << 31) - 1, (1 << 32) - 1])
        h = rng.choice([rng.randrange(1, 70000), 0, 16384, 8193, 1 << 20, (1 << 31) - 1])
        ihdr[0:8] = struct.pack(">II", w, h)
        chunks[0] = (b"IHDR", bytes(ihdr))
        return png_join(chunks), f"IHDR size {w}x{h}"
    if choice == 1:  # bit depth / colour type / interlace
        i = rng.choice([8, 9, 10, 11, 12])
        ihdr[i] = rng.choice([0, 1, 2, 3, 4, 6, 8, 16, 255, rng.randrange(256)])
        chunks[0] = (b"IHDR", bytes(ihdr))
        return png_join(chunks), f"IHDR byte {i} = {ihdr[i]}"
    if choice == 2:  # damaged zlib stream inside IDAT
        idats = [k for k, (kind, _) in enumerate(chunks) if kind == b"IDAT"]
        if idats:
            k = rng.choice(idats)
            body, note = mutate_bytes(rng, chunks[k][1])
            chunks[k] = (b"IDAT", body)
            return png_join(chunks), f"IDAT: {note}"
    if choice == 3:  # a chunk whose length field is huge
        k = rng.randrange(len(chunks))
        return png_join(chunks, bad_length=(k, rng.choice([1 << 31, (1 << 32) - 1, 1 << 24]))), f"chunk {k} length huge"
    if choice == 4:  # an ancillary chunk that inflates a lot (zTXt bomb) or is huge
        text = zlib.compress(b"\0" * rng.choice([1 << 10, 1 << 20, 1 << 24]))
        extra = (b"zTXt", b"Comment\0\0" + text)
        chunks.insert(1, extra)
        return png_join(chunks), "zTXt that inflates"
    # Shrink or grow the image data relative to the header.
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    raw = raw[: rng.randrange(len(raw) + 1)] if rng.random() < 0.5 else raw * rng.choice([2, 5])
    chunks = [c for c in chunks if c[0] != b"IDAT"]
    chunks.insert(len(chunks) - 1, (b"IDAT", zlib.compress(raw)))
    return png_join(chunks), f"IDAT holds {len(raw)} raw bytes"


# ---------------------------------------------------------------------------------------------
# JPEG: segment-aware edits (no checksums, but targeted fields reach the size logic)

def jpeg_segments(data):
    """[(marker, offset)] of the markers before the entropy-coded data."""
    segments, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        segments.append((marker, i))
        if marker == 0xDA:  # start of scan: entropy data follows
            break
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        i += 2 + length
    return segments


def mutate_jpeg(rng, data):
    segments = jpeg_segments(data)
    if not segments or rng.random() < 0.3:
        return mutate_bytes(rng, data)
    data = bytearray(data)
    sof = [off for marker, off in segments if marker in (0xC0, 0xC1, 0xC2)]
    choice = rng.randrange(4)
    if choice == 0 and sof:  # frame size
        off = sof[0]
        h = rng.choice([0, 1, 8, 20, 4000, 16384, 32768, 40000, 65535, rng.randrange(65536)])
        w = rng.choice([0, 1, 8, 24, 4000, 16384, 32768, 40000, 65535, rng.randrange(65536)])
        data[off + 5:off + 9] = struct.pack(">HH", h, w)
        return bytes(data), f"SOF size {w}x{h}"
    if choice == 1:  # a segment length
        marker, off = rng.choice(segments)
        value = rng.choice([0, 1, 2, 0xFFFF, rng.randrange(65536)])
        data[off + 2:off + 4] = struct.pack(">H", value)
        return bytes(data), f"segment {marker:#x} length {value}"
    if choice == 2 and sof:  # components, sampling factors
        off = sof[0]
        i = off + rng.choice([4, 9, 11, 12, 13])
        data[i] = rng.choice([0, 1, 4, 0x11, 0x22, 0x44, 0xFF, rng.randrange(256)])
        return bytes(data), f"SOF byte {i - off} = {data[i]}"
    # Damage the entropy-coded scan data only.
    start = segments[-1][1] + 12
    head, body = bytes(data[:start]), bytes(data[start:])
    body, note = mutate_bytes(rng, body)
    return head + body, f"scan data: {note}"


# ---------------------------------------------------------------------------------------------
# Pickles (torch .pth): edits at opcode boundaries, in a zip rebuilt with valid CRCs

def pickle_ops(data):
    """[(name, arg, start, end)] of a pickle's opcodes, as far as it parses."""
    ops = []
    try:
        previous = None
        for opcode, arg, pos in pickletools.genops(data):
            if previous:
                ops.append((previous[0], previous[1], previous[2], pos))
            previous = (opcode.name, arg, pos)
            if opcode.name == "STOP":
                ops.append((opcode.name, arg, pos, pos + 1))
                previous = None
                break
    except Exception:
        pass
    return ops


def long1(value):
    n = (value.bit_length() + 8) // 8 or 1
    return b"\x8a" + bytes([n]) + value.to_bytes(n, "little", signed=True)


def mutate_pickle(rng, data):
    ops = pickle_ops(data)
    if not ops or rng.random() < 0.25:
        return mutate_bytes(rng, data)
    choice = rng.randrange(4)
    ints = [op for op in ops if op[0] in ("BININT1", "BININT2", "BININT", "LONG1")]
    if choice == 0 and ints:  # an integer (size, stride, offset, numel) becomes extreme
        name, arg, start, end = rng.choice(ints)
        value = rng.choice(INTERESTING_INTS)
        return data[:start] + long1(value) + data[end:], f"{name} {arg} at {start} -> {value}"
    strings = [op for op in ops if op[0] in ("BINUNICODE", "SHORT_BINUNICODE", "BINSTRING", "SHORT_BINSTRING")]
    if choice == 1 and strings:  # a string (key, dtype name, storage key) replaced
        name, arg, start, end = rng.choice(strings)
        text = rng.choice(["", "0", "1", "storage", "HalfStorage", "QInt8Storage", "x" * 300, "data.pkl", "\u00e9"])
        raw = text.encode()
        return data[:start] + b"X" + struct.pack("<I", len(raw)) + raw + data[end:], f"string {arg!r} -> {text[:20]!r}"
    if choice == 2:  # an opcode range duplicated or removed
        a = rng.randrange(len(ops))
        b = min(len(ops), a + rng.randint(1, 6))
        start, end = ops[a][2], ops[b - 1][3]
        if rng.random() < 0.5:
            return data[:end] + data[start:end] * rng.choice([1, 2, 50]) + data[end:], f"ops {a}..{b} repeated"
        return data[:start] + data[end:], f"ops {a}..{b} removed"
    # A length field (BINUNICODE, BINBYTES) made huge.
    lengths = [op for op in ops if op[0] in ("BINUNICODE", "BINBYTES", "BINSTRING", "LONG4")]
    if lengths:
        name, arg, start, end = rng.choice(lengths)
        value = rng.choice([(1 << 31) - 1, (1 << 32) - 1, 1 << 31, end - start + 1000])
        return data[:start + 1] + struct.pack("<I", value & 0xFFFFFFFF) + data[start + 5:], f"{name} length {value}"
    return mutate_bytes(rng, data)


def mutate_zip_pth(rng, data, others):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    except Exception:
        return mutate_bytes(rng, data, others)
    choice = rng.random()
    if choice < 0.25:  # raw damage, including the zip structure itself
        return mutate_bytes(rng, data, others)
    if choice < 0.4:  # a directory field (sizes, offsets) set to an extreme value
        data = bytearray(data)
        starts = [i for i in range(len(data) - 46) if data[i:i + 4] == b"PK\x01\x02"]
        if starts:
            start = rng.choice(starts)
            field = rng.choice([20, 24, 42, 28, 30])
            width = 2 if field in (28, 30) else 4
            value = rng.choice([0, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, len(data), rng.randrange(1 << 32)])
            data[start + field:start + field + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
            return bytes(data), f"central directory field +{field} = {value}"
        return mutate_bytes(rng, bytes(data), others)
    pickles = [k for k, (name, _) in enumerate(entries) if name.endswith("data.pkl")]
    if pickles and choice < 0.85:
        k = pickles[0]
        body, note = mutate_pickle(rng, entries[k][1])
    else:
        k = rng.randrange(len(entries))
        body, note = mutate_bytes(rng, entries[k][1])
    entries[k] = (entries[k][0], body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, content in entries:
            z.writestr(name, content)
    return out.getvalue(), f"{entries[k][0]}: {note}"


def mutate_legacy_pth(rng, data, others):
    """The pre-1.6 format is pickles in a row, unchecked: edit one of them at opcode level."""
    if rng.random() < 0.4:
        return mutate_bytes(rng, data, others)
    starts, i = [], 0
    for _ in range(5):
        ops = pickle_ops(data[i:])
        if not ops:
            break
        starts.append((i, ops[-1][3]))
        i += ops[-1][3]
    if not starts:
        return mutate_bytes(rng, data, others)
    start, length = rng.choice(starts)
    body, note = mutate_pickle(rng, data[start:start + length])
    return data[:start] + body + data[start + length:], f"pickle at {start}: {note}"


# ---------------------------------------------------------------------------------------------
# JSON documents (COCO annotations, the safetensors header)

NEST = "__fuzz_nest__"


def json_paths(value, path=()):
    """Every path to a value in a JSON document."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_paths(v, path + (k,))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from json_paths(v, path + (k,))


def json_get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def json_set(doc, path, value):
    if not path:
        return value
    json_get(doc, path[:-1])[path[-1]] = value
    return doc


def dumps(doc, nest_depth=0):
    """JSON text; a NEST placeholder string becomes `nest_depth` nested lists (too deep for
    Python's own json module to write)."""
    text = json.dumps(doc)
    if nest_depth:
        text = text.replace(json.dumps(NEST), "[" * nest_depth + "0" + "]" * nest_depth, 1)
    return text


def mutate_json_value(rng, doc):
    """One structural edit; returns (doc, nest_depth, description)."""
    paths = list(json_paths(doc))
    path = rng.choice(paths)
    value = json_get(doc, path)
    choice = rng.randrange(6)
    if choice == 0 or (choice == 1 and isinstance(value, (int, float)) and not isinstance(value, bool)):
        new = rng.choice(INTERESTING_NUMBERS)
        return json_set(doc, path, new), 0, f"{'/'.join(map(str, path))} = {new}"
    if choice == 1:
        new = rng.choice([None, True, "", "x", [], {}, [1, 2], {"a": 1}, "24", -1, "0" * 1000])
        return json_set(doc, path, new), 0, f"{'/'.join(map(str, path))} = {json.dumps(new)[:30]}"
    if choice == 2 and path:
        parent = json_get(doc, path[:-1])
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
        return doc, 0, f"deleted {'/'.join(map(str, path))}"
    if choice == 3 and isinstance(value, list) and value:
        times = rng.choice([10, 200, 3000])
        item = value[rng.randrange(len(value))]
        value.extend([json.loads(json.dumps(item)) for _ in range(times)])
        return doc, 0, f"{'/'.join(map(str, path))}: an item repeated {times}x"
    if choice == 4:
        depth = rng.choice([100, 1000, 10000, 100000, 1000000])
        return json_set(doc, path, NEST), depth, f"{'/'.join(map(str, path))} nested {depth} deep"
    return doc, 0, "unchanged value"


def mutate_coco(rng, text):
    if rng.random() < 0.2:
        return mutate_bytes(rng, text)
    doc = json.loads(text)
    choice = rng.randrange(5)
    notes, depth = [], 0
    if choice == 0:  # declared image sizes
        image = rng.choice(doc["images"])
        key = rng.choice(["width", "height"])
        image[key] = rng.choice([0, -1, 1, 23, 25, 32768, 32769, 65536, 100000, 1 << 31, 1 << 40, 1e12, 1e300, 2.5])
        notes.append(f"image {image.get('id')} {key} = {image[key]}")
    elif choice == 1:  # RLE sizes and counts
        rles = [a for a in doc["annotations"] if isinstance(a.get("segmentation"), dict)]
        rle = rng.choice(rles)["segmentation"]
        if rng.random() < 0.5:
            rle["size"][rng.randrange(2)] = rng.choice(INTERESTING_INTS)
            notes.append(f"RLE size {rle['size']}")
        elif isinstance(rle["counts"], list):
            i = rng.randrange(len(rle["counts"]))
            rle["counts"][i] = rng.choice(INTERESTING_INTS)
            notes.append(f"RLE count {i} = {rle['counts'][i]}")
        else:
            s = rle["counts"]
            i = rng.randrange(len(s) + 1)
            extra = "".join(chr(rng.randrange(48, 112)) for _ in range(rng.choice([1, 5, 50])))
            rle["counts"] = s[:i] + extra + s[i:]
            notes.append(f"compressed RLE +{len(extra)} characters")
    elif choice == 2:  # polygons: extreme or very many points
        polys = [a for a in doc["annotations"] if isinstance(a.get("segmentation"), list)]
        poly = rng.choice(rng.choice(polys)["segmentation"])
        if rng.random() < 0.5:
            i = rng.randrange(len(poly))
            poly[i] = rng.choice([-1e6, 1e5, 5000, -5000, 999999.5, 1e-9, 2**31])
            notes.append(f"polygon coordinate = {poly[i]}")
        else:
            far = rng.choice([100, 1000, 10000])
            poly.extend([far, far, -far, -far] * rng.choice([10, 1000, 20000]))
            notes.append(f"polygon zig-zag to ±{far}")
    else:
        for _ in range(rng.randint(1, 3)):
            doc, d, note = mutate_json_value(rng, doc)
            depth = max(depth, d)
            notes.append(note)
    return dumps(doc, depth).encode(), "; ".join(notes)


def mutate_safetensors(rng, data, others):
    if len(data) < 8 or rng.random() < 0.3:
        return mutate_bytes(rng, data, others)
    (n,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8:8 + n])
    except Exception:
        return mutate_bytes(rng, data, others)
    body = data[8 + n:]
    choice = rng.randrange(5)
    depth, note = 0, ""
    tensors = [k for k in header if k != "__metadata__"]
    metadata = header.get("__metadata__", {})
    if choice == 4 and isinstance(metadata, dict) and metadata:
        # swift-fcn keeps the model configuration as JSON text inside the metadata (a checkpoint
        # nests it once more, in its train state): damage a field of that configuration.
        key = rng.choice(sorted(metadata))
        try:
            outer = json.loads(metadata[key])
            inner = json.loads(outer["modelConfig"]) if isinstance(outer, dict) and "modelConfig" in outer else None
        except Exception:
            outer = inner = None
        # The train state's own fields (step, epoch, RNG states) or the configuration in it.
        config = inner if inner is not None and rng.random() < 0.5 else outer
        if config is outer:
            inner = None
        if isinstance(config, dict) and config:
            field = rng.choice(sorted(config))
            config[field] = rng.choice(INTERESTING_NUMBERS + [None, "", "vgg19-bn", "seed-fcn8", "paper"])
            if inner is not None:
                outer["modelConfig"] = json.dumps(inner)
            metadata[key] = json.dumps(outer)
            note = f"metadata {key}: {field} = {config[field]}"
        else:
            metadata[key] = rng.choice(["", "{", "[]", "null", json.dumps({"name": "fcn8s", "classes": 1 << 40})])
            note = f"metadata {key} = {metadata[key]}"
    elif choice == 0 and tensors:
        entry = header[rng.choice(tensors)]
        field = rng.choice(["shape", "data_offsets", "dtype"])
        if field == "dtype":
            entry["dtype"] = rng.choice(["F16", "BF16", "F64", "I64", "U8", "BOOL", "I8", "F8_E4M3", "", "f32"])
        elif entry[field]:
            entry[field][rng.randrange(len(entry[field]))] = rng.choice(INTERESTING_NUMBERS)
        else:
            entry[field] = [rng.choice(INTERESTING_INTS)]
        note = f"{field} = {entry[field]}"
    elif choice == 1:
        header, depth, note = mutate_json_value(rng, header)
    elif choice == 2:  # header length field disagrees with the header
        text = dumps(header).encode()
        length = rng.choice([0, 7, len(text) - 1, len(text) + 1, 1 << 32, (1 << 64) - 1, len(data)])
        return struct.pack("<Q", length % (1 << 64)) + text + body, f"header length {length}"
    else:  # data buffer cut or grown
        body = body[: rng.randrange(len(body) + 1)] if rng.random() < 0.5 else body + body
        note = f"data buffer {len(body)} bytes"
    text = dumps(header, depth).encode()
    return struct.pack("<Q", len(text)) + text + body, note


# ---------------------------------------------------------------------------------------------
# Cases

class Case:
    def __init__(self, number, kind, directory, argv, target, note):
        self.number, self.kind, self.directory = number, kind, directory
        self.argv, self.target, self.note = argv, target, note


def seed_bytes(name):
    return (SEEDS / name).read_bytes()


def mutate_image(rng, name):
    data = seed_bytes(name)
    others = [seed_bytes(n) for n in ("image.png", "image.jpg", "mask.png")]
    if rng.random() < 0.25:
        return mutate_bytes(rng, data, others)
    return mutate_png(rng, data) if name.endswith(".png") else mutate_jpeg(rng, data)


KINDS = [
    "predict-png", "predict-jpg", "predict-weights", "convert-pth", "convert-st", "export-masks", "resume", "report",
    "train",
]


def choose_kind(rng, train_share):
    if rng.random() < train_share:
        return "train"
    return rng.choices(KINDS[:-1], weights=[3, 2, 2, 4, 2, 4, 2, 2])[0]


def make_case(number, seed, work, fcn, weights, runs, train_share):
    rng = random.Random(f"{seed}:{number}")
    kind = choose_kind(rng, train_share)
    d = work / f"case{number:05d}-{kind}"
    d.mkdir(parents=True)
    if kind in ("predict-png", "predict-jpg"):
        ext = "png" if kind == "predict-png" else "jpg"
        seed_name = rng.choice(["image.png", "mask.png", "mask_palette.png"]) if ext == "png" else "image.jpg"
        data, note = mutate_image(rng, seed_name)
        note = f"{seed_name}: {note}"
        target = d / f"input.{ext}"
        target.write_bytes(data)
        argv = [fcn, "predict", "--weights", str(weights), "--input", str(target), "--output", str(d / "out")]
    elif kind == "predict-weights":
        data, note = mutate_safetensors(rng, Path(weights).read_bytes(), [])
        target = d / "weights.safetensors"
        target.write_bytes(data)
        shutil.copy(SEEDS / "image.png", d / "input.png")
        argv = [fcn, "predict", "--weights", str(target), "--input", str(d / "input.png"), "--output", str(d / "out")]
    elif kind == "resume":
        optimizer = rng.choice(sorted(runs))
        run = d / "run"
        shutil.copytree(runs[optimizer], run)
        target = run / "checkpoints" / "last.safetensors"
        data, note = mutate_safetensors(rng, target.read_bytes(), [])
        target.write_bytes(data)
        (d / "damaged-last.safetensors").write_bytes(data)  # the run may overwrite its copy
        note = f"{optimizer} run: {note}"
        argv = [fcn] + resume_arguments(run, optimizer, steps=3) + ["--resume"]
    elif kind == "report":
        run = d / "run"
        shutil.copytree(runs[rng.choice(sorted(runs))], run)
        name = rng.choice(["config.json", "log.jsonl", "metrics.json", "confusion.json"])
        target = run / name
        data = target.read_bytes()
        if rng.random() < 0.3:
            data, note = mutate_bytes(rng, data)
        elif name == "log.jsonl":
            lines = data.decode().splitlines()
            k = rng.randrange(len(lines))
            doc, depth, note = mutate_json_value(rng, json.loads(lines[k]))
            lines[k] = dumps(doc, depth)
            data, note = ("\n".join(lines) + "\n").encode(), f"line {k + 1}: {note}"
        else:
            doc, depth, note = mutate_json_value(rng, json.loads(data))
            data = dumps(doc, depth).encode()
        target.write_bytes(data)
        note = f"{name}: {note}"
        argv = [fcn, "report", "--run", str(run), "--out", str(d / "report.html")]
    elif kind == "convert-pth":
        name = rng.choice(["state_dict.pth", "legacy.pth", "views.pth"])
        others = [seed_bytes(n) for n in ("state_dict.pth", "legacy.pth", "views.pth")]
        mutate = mutate_legacy_pth if name == "legacy.pth" else mutate_zip_pth
        data, note = mutate(rng, seed_bytes(name), others)
        note = f"{name}: {note}"
        target = d / "input.pth"
        target.write_bytes(data)
        argv = [fcn, "convert", str(target), str(d / "out.safetensors")]
    elif kind == "convert-st":
        data, note = mutate_safetensors(rng, seed_bytes("weights.safetensors"), [seed_bytes("state_dict.pth")])
        target = d / "input.safetensors"
        target.write_bytes(data)
        argv = [fcn, "convert", str(target), str(d / "out.safetensors")]
    elif kind == "export-masks":
        data, note = mutate_coco(rng, seed_bytes("coco.json"))
        target = d / "coco.json"
        target.write_bytes(data)
        for name in ("image.png", "image.jpg"):
            shutil.copy(SEEDS / name, d / name)
        if rng.random() < 0.2:  # the image header is read too: damage an image as well
            name = rng.choice(["image.png", "image.jpg"])
            image, image_note = mutate_image(rng, name)
            (d / name).write_bytes(image)
            note += f"; {name}: {image_note}"
        argv = [fcn, "export-masks", "--data", f"coco:{target}", "--out", str(d / "masks")]
        if rng.random() < 0.2:
            argv.append("--skip-bad")
    else:
        data_dir = d / "data"
        (data_dir / "images").mkdir(parents=True)
        (data_dir / "masks").mkdir()
        stems = ["a", "b", "c", "d"]
        for stem in stems:
            image = "image.jpg" if stem == "d" else "image.png"
            shutil.copy(SEEDS / image, data_dir / "images" / f"{stem}{Path(image).suffix}")
            shutil.copy(SEEDS / rng.choice(["mask.png", "mask_palette.png"]), data_dir / "masks" / f"{stem}.png")
        if rng.random() < 0.5:
            (data_dir / "classes.txt").write_text("background\nred\nblue\n")
        stem = rng.choice(stems)
        if rng.random() < 0.5:
            seed_name = "image.jpg" if stem == "d" else "image.png"
            target = data_dir / "images" / f"{stem}{Path(seed_name).suffix}"
            data, note = mutate_image(rng, seed_name)
        else:
            target = data_dir / "masks" / f"{stem}.png"
            data, note = mutate_image(rng, rng.choice(["mask.png", "mask_palette.png"]))
        target.write_bytes(data)
        note = f"{target.relative_to(d)}: {note}"
        argv = [fcn, "train"] + TINY_MODEL + [
            "--data", f"folder:{data_dir}", "--classes", "3", "--crop", "16x16", "--batch", "2", "--steps", "2",
            "--workers", "1", "--checkpoint-every", "0", "--seed", str(number), "--run", str(d / "run"),
        ] + (["--skip-bad"] if rng.random() < 0.2 else [])
    return Case(number, kind, d, [str(a) for a in argv], target.name, note)


def run_case(case, timeout):
    """Runs the case; returns (status, stderr, seconds, failure or None)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    started = time.monotonic()
    process = subprocess.Popen(
        case.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        return None, stderr.decode(errors="replace"), time.monotonic() - started, f"hang: still running after {timeout} s"
    seconds = time.monotonic() - started
    text = stderr.decode(errors="replace")
    status = process.returncode
    if status < 0:
        failure = f"crash: killed by signal {-status} ({signal.Signals(-status).name})"
    elif status not in (0, 1):
        failure = f"exit status {status} (only 0 or 1 allowed)"
    elif status == 1 and case.target not in text:
        failure = f"exit status 1 without naming {case.target}"
    else:
        failure = None
    return status, text, seconds, failure


def keep_failure(case, stderr, failure, failures_dir):
    """Copies the case's files under failures_dir, with the command that reproduces it."""
    kept = failures_dir / case.directory.name
    if kept.exists():
        shutil.rmtree(kept)
    outputs = ["out", "masks", "out.safetensors"] + ([] if case.kind in ("resume", "report") else ["run"])
    shutil.copytree(case.directory, kept, ignore=shutil.ignore_patterns(*outputs))
    if case.kind == "resume":  # the damaged checkpoint, as it was before the run
        shutil.copy(kept / "damaged-last.safetensors", kept / "run" / "checkpoints" / "last.safetensors")
    argv = [a.replace(str(case.directory), str(kept)) for a in case.argv]
    if "--weights" in argv and not argv[argv.index("--weights") + 1].startswith(str(kept)):
        # The shared predict weights live in the run's temporary folder.
        i = argv.index("--weights") + 1
        shutil.copy(argv[i], kept / "weights.safetensors")
        argv[i] = str(kept / "weights.safetensors")
    (kept / "command.sh").write_text(" ".join(quote(a) for a in argv) + "\n")
    (kept / "stderr.txt").write_text(stderr)
    (kept / "failure.txt").write_text(f"{failure}\nmutation: {case.note}\n")
    return kept, argv


def quote(arg):
    return arg if all(c.isalnum() or c in "-_./:=" for c in arg) else "'" + arg.replace("'", "'\\''") + "'"


def resume_arguments(run, optimizer, steps):
    return ["train"] + TINY_MODEL + [
        "--data", "synthetic:8", "--synthetic-size", "32x32", "--batch", "2", "--steps", str(steps),
        "--optimizer", optimizer, "--checkpoint-every", "1", "--run", str(run),
    ]


def make_runs(fcn, work):
    """Tiny runs of two steps, one per optimiser: their checkpoints are the weights of the
    predict cases and what the resume cases damage and resume from."""
    runs = {}
    for optimizer in ("sgd", "adam"):
        run = work / f"{optimizer}-run"
        argv = [fcn] + resume_arguments(run, optimizer, steps=2)
        result = subprocess.run(argv, capture_output=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
        if result.returncode != 0:
            sys.exit(f"fuzz: could not make the {optimizer} run: {result.stderr.decode(errors='replace')}")
        runs[optimizer] = run
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="number of cases (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--only", type=int, help="run only this case number")
    parser.add_argument("--fcn", default=str(ROOT / ".build" / "release" / "fcn"), help="the fcn executable")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a case counts as a hang")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cases run at once")
    parser.add_argument("--train-share", type=float, default=0.15, help="fraction of cases that train")
    parser.add_argument("--failures", default=str(ROOT / "fuzz_failures"), help="where failing cases are kept")
    args = parser.parse_args()

    fcn = str(Path(args.fcn).resolve())
    if not os.access(fcn, os.X_OK):
        sys.exit(f"fuzz: {fcn} is not built (swift build -c release --product fcn)")
    failures_dir = Path(args.failures)
    started = time.monotonic()
    numbers = [args.only] if args.only is not None else list(range(args.cases))
    counts = {kind: {"cases": 0, "exit 0": 0, "exit 1": 0, "failures": 0, "slowest": 0.0} for kind in KINDS}
    failed = []
    with tempfile.TemporaryDirectory(prefix="fcn-fuzz-") as tmp:
        work = Path(tmp)
        runs = make_runs(fcn, work)
        weights = runs["sgd"] / "checkpoints" / "last.safetensors"

        def one(number):
            case = make_case(number, args.seed, work, fcn, weights, runs, args.train_share)
            status, stderr, seconds, failure = run_case(case, args.timeout)
            kept = keep_failure(case, stderr, failure, failures_dir) if failure else None
            shutil.rmtree(case.directory, ignore_errors=True)
            return case, status, stderr, seconds, failure, kept

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for case, status, stderr, seconds, failure, kept in pool.map(one, numbers):
                c = counts[case.kind]
                c["cases"] += 1
                c["slowest"] = max(c["slowest"], seconds)
                if status in (0, 1):
                    c[f"exit {status}"] += 1
                if failure:
                    c["failures"] += 1
                    failed.append(case.number)
                    last = stderr.strip().splitlines()[-1:] or ["(no stderr)"]
                    print(f"FAIL case {case.number} ({case.kind}): {failure}", flush=True)
                    print(f"  mutation: {case.note}\n  stderr: {last[0][:300]}", flush=True)
                    print(f"  kept in {kept[0]}\n  reproduce: {' '.join(quote(a) for a in kept[1])}", flush=True)

    print(f"{'command':<16}{'cases':>7}{'exit 0':>8}{'exit 1':>8}{'failures':>10}{'slowest s':>11}")
    for kind, c in counts.items():
        if c["cases"]:
            print(f"{kind:<16}{c['cases']:>7}{c['exit 0']:>8}{c['exit 1']:>8}{c['failures']:>10}{c['slowest']:>11.2f}")
    total = sum(c["cases"] for c in counts.values())
    print(
        f"fuzz: {total} cases, {len(failed)} failures (seed {args.seed}) in {time.monotonic() - started:.0f} s"
        + (f"; failing cases: {', '.join(map(str, failed))}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
