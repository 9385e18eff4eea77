#!/usr/bin/env python3
"""Writes the small weight-file fixtures for Tests/WeightIOTests/Fixtures.

Run it from the repository root (needs torch and numpy; `swift test` itself needs no Python):

    python3 tools/make_pth_fixtures.py

Every expected value the Swift tests compare against comes from here, computed by torch/numpy,
never typed into the tests by hand.
"""
import json
import os
import struct

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "WeightIOTests", "Fixtures")


def write_safetensors_by_hand(path, tensors, metadata=None):
    """safetensors without the safetensors package: u64 header length, JSON header, data.

    `tensors` maps name -> (dtype string, shape list, raw little-endian bytes).
    Data is laid out in sorted-name order; the header is padded with spaces to 8 bytes.
    """
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    data = b""
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def hand_written_safetensors():
    """Same content as SafeTensorsTests.testReadsHandWrittenFile builds in memory, laid out like
    the Rust safetensors library does (metadata first, F32 data before F16)."""
    header = {
        "__metadata__": {"format": "pt"},
        "bias": {"dtype": "F16", "shape": [2], "data_offsets": [16, 20]},
        "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    }
    data = struct.pack("<4f", 1.0, 2.0, -0.5, 3.0) + struct.pack("<2e", 1.0, -1.0)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(FIXTURES, "hand_written.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    hand_written_safetensors()


if __name__ == "__main__":
    main()
