#!/usr/bin/env python3
"""Writes the small weight-file fixtures for Tests/WeightIOTests/Fixtures.

Run it from anywhere (needs torch and numpy; `swift test` itself needs no Python):

    python3 tools/make_pth_fixtures.py

Every expected value the Swift tests compare against comes from here, computed by torch/numpy,
never typed into the tests by hand.
"""
import json
import zipfile
import os
import struct

import numpy as np
import torch

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


# ---------------------------------------------------------------------------------------------
# PyTorch checkpoints. Each `<name>.pth` comes with `<name>.expected.safetensors`, written by
# write_safetensors_by_hand from `tensor.contiguous()` bytes (never through the Swift reader),
# whose metadata "order" lists the keys in the order the checkpoint stores them.

SAFETENSORS_DTYPE = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the bits
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # little-endian host


def write_expected(name, ordered_items):
    tensors = {k: (SAFETENSORS_DTYPE[v.dtype], list(v.shape), raw_bytes(v)) for k, v in ordered_items}
    order = json.dumps([k for k, _ in ordered_items])
    write_safetensors_by_hand(os.path.join(FIXTURES, name + ".expected.safetensors"), tensors, {"order": order})


def save(name, obj, expected_items):
    torch.save(obj, os.path.join(FIXTURES, name + ".pth"))
    write_expected(name, expected_items)


def tiny_conv_bn():
    """nn.Sequential(Conv2d, BatchNorm2d) after one training-mode forward pass, so the BN
    running statistics and num_batches_tracked are not their initial values."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    model.train()
    model(torch.randn(2, 1, 5, 5))
    return model


def pth_fixtures():
    # 1. A plain state_dict (OrderedDict of Parameters and buffers, incl. an int64 scalar).
    model = tiny_conv_bn()
    sd = model.state_dict()
    save("conv_bn_state_dict", sd, list(sd.items()))
    # 1b. The same archive re-zipped with deflate (torch.save stores entries; a re-zipped
    # checkpoint may not), which torch.load still reads.
    with zipfile.ZipFile(os.path.join(FIXTURES, "conv_bn_state_dict.pth")) as src, \
            zipfile.ZipFile(os.path.join(FIXTURES, "conv_bn_state_dict_deflated.pth"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))

    # 2. Every supported storage type, a Parameter, an int64 scalar.
    torch.manual_seed(1)
    base = torch.randn(2, 3)
    dtypes = {
        "f32": base,
        "f16": (base * 100).half(),
        "bf16": (base * 100).bfloat16(),
        "f64": base.double() / 3,
        "i64": torch.tensor([[-(2**40), 7], [0, 2**62]], dtype=torch.int64),
        "i32": torch.tensor([-5, 2**31 - 1], dtype=torch.int32),
        "u8": torch.tensor([0, 17, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(42, dtype=torch.int64),
        "param": torch.nn.Parameter(torch.linspace(-1, 1, 4)),
    }
    save("dtypes", dtypes, list(dtypes.items()))

    # 3. Views: transposes, slices with a storage offset, steps, expand (stride 0), and two
    #    tensors sharing one storage. torch.save writes each storage once plus view geometry.
    grid = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = torch.arange(10, dtype=torch.int64)
    views = {
        "grid": grid,
        "transposed": grid.t(),
        "slice": grid[1:3, 2:5],
        "strided": grid[:, ::2],
        "column": grid[:, 4],
        "expanded": torch.tensor([1.5, -2.5, 3.5]).expand(2, 3),
        "permuted": torch.arange(24, dtype=torch.float16).reshape(2, 3, 4).permute(2, 0, 1),
        "shared_head": shared[:4],
        "shared_tail": shared[3:],
    }
    assert views["slice"].storage_offset() > 0 and not views["transposed"].is_contiguous()
    save("views", views, list(views.items()))

    # 4. A training checkpoint: the state dict nested under 'model_state_dict', next to an
    #    optimizer state (int keys, nested dicts of tensors) and plain Python values.
    model = tiny_conv_bn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(1, 1, 5, 5)).sum().backward()
    optimizer.step()
    checkpoint = {
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "best_miou": 0.625,
        "args": {"name": "run1", "sizes": [1, 2, 3], "flag": True, "none": None},
    }
    save("nested_checkpoint", checkpoint, list(model.state_dict().items()))
    # Expected result of loadFlattened: every tensor under its dotted path, depth-first.
    flat = []

    def walk(prefix, obj):
        if isinstance(obj, torch.Tensor):
            flat.append((".".join(prefix), obj))
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(prefix + [str(k)], v)
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                walk(prefix + [str(i)], v)

    walk([], checkpoint)
    write_expected("nested_checkpoint_flat", flat)

    # 5. The legacy (pre-1.6) format, as older published weights use: a state dict plus views
    #    and shared storages.
    legacy = dict(tiny_conv_bn().state_dict())
    legacy["transposed"] = grid.t()
    legacy["row"] = grid[2]
    legacy["half"] = torch.tensor([0.5, -1.0, 1000.0], dtype=torch.float16)
    legacy["shared_tail"] = shared[6:]
    torch.save(legacy, os.path.join(FIXTURES, "legacy_format.pth"), _use_new_zipfile_serialization=False)
    write_expected("legacy_format", list(legacy.items()))

    # 6. Files that must be refused with a clear message (no expected tensors).
    torch.save({"w": torch.zeros(2, dtype=torch.int8)}, os.path.join(FIXTURES, "unsupported_int8.pth"))


# ---------------------------------------------------------------------------------------------
# NumPy .npy files written by numpy itself, with the values in npy.expected.safetensors (keyed
# by file stem, always C order, little-endian). The C-order little-endian ones also pin the
# exact bytes our writer must produce.

NPY_SAFETENSORS_DTYPE = {"<f4": "F32", "<f2": "F16", "<f8": "F64", "<i8": "I64", "<i4": "I32", "|u1": "U8", "|b1": "BOOL"}


def npy_fixtures():
    rng = np.random.default_rng(5)
    arrays = {
        "npy_f4_2x3": rng.standard_normal((2, 3)).astype("<f4"),
        "npy_f8_scalar": np.array(np.pi, dtype="<f8"),
        "npy_i8_1d": np.array([-(2**40), 0, 7, 2**62], dtype="<i8"),
        "npy_i4_2x2x2": np.arange(-4, 4, dtype="<i4").reshape(2, 2, 2),
        "npy_u1": np.array([[0, 128, 255]], dtype="|u1"),
        "npy_b1": np.array([True, False, False, True]),
        "npy_f2_empty": np.zeros((0, 5), dtype="<f2"),
        "npy_f2_3": np.array([1.0, -2.5, 65504.0], dtype="<f2"),
        # Layouts numpy can write that our writer never does.
        "npy_fortran_3x4": np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4)),
        "npy_bigendian_f4": np.array([1.5, -3.25, 1e-3], dtype=">f4"),
    }
    expected = {}
    for name, a in arrays.items():
        np.save(os.path.join(FIXTURES, name + ".npy"), a)
        c = a.copy(order="C").astype(a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype)
        descr = c.dtype.str if c.dtype.itemsize > 1 else "|" + c.dtype.str[1:]
        expected[name] = (NPY_SAFETENSORS_DTYPE[descr], list(c.shape), c.tobytes(order="C"))
    write_safetensors_by_hand(os.path.join(FIXTURES, "npy.expected.safetensors"), expected)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    hand_written_safetensors()
    pth_fixtures()
    npy_fixtures()


if __name__ == "__main__":
    main()
