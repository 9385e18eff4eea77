"""Helpers the interop checks share (tools/check_pth.py, tools/check_onnx.py): a small
.safetensors reader, random swift-fcn weights for any model, PNG writing, ImageNet normalisation
done exactly as swift-fcn's Normalization.write does it (float32 multiply-add)."""
import json
import os
import struct
import subprocess
import zlib

import numpy as np

import safetensors_io

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_FCN = os.path.join(REPO, ".build", "release", "fcn")
_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """(tensors, metadata) of a .safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=_NP[h["dtype"]]).reshape(h["shape"]).copy()
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Like safetensors_io.write, but a 0-d tensor stays 0-d (np.ascontiguousarray, which that
    writer uses, turns it into shape (1,))."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes(order="C")
        header[name] = {"dtype": safetensors_io._DTYPES[a.dtype.type], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def run(cmd, **kw):
    """Runs a command; on failure prints its output and raises."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def random_weights(fcn, model_args, classes, out_path, tmp, seed=0):
    """swift-fcn weights for `model_args` with every float tensor random (score layers and BatchNorm
    statistics included, so logits vary with every pixel), written as a .safetensors whose
    metadata names the model: a 1-step `fcn train` gives the tensors, numpy the values."""
    run_dir = os.path.join(tmp, f"run-{seed}")
    run([fcn, "train", *model_args, "--classes", str(classes), "--data", "synthetic:4", "--synthetic-size", "32x32",
         "--batch", "1", "--steps", "1", "--workers", "1", "--eval-every", "0", "--run", run_dir])
    tensors, meta = read_safetensors(os.path.join(run_dir, "checkpoints", "last.safetensors"))
    rng = np.random.default_rng(seed)
    out = {}
    for name, a in sorted(tensors.items()):
        if name.startswith("optimizer/"):
            continue
        if a.dtype != np.float32:
            out[name] = a
        elif name.endswith("running_var"):
            out[name] = rng.uniform(0.5, 2.0, a.shape).astype(np.float32)
        elif name.endswith(("running_mean", "bias")) or a.ndim == 1:
            out[name] = rng.uniform(-0.2, 0.2, a.shape).astype(np.float32) + (1.0 if name.endswith("weight") else 0.0)
        else:
            fan_in = int(np.prod(a.shape[1:]))
            out[name] = (rng.standard_normal(a.shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    # An export's metadata (the model configuration under fcn.config, as ModelWeights.save
    # writes it), so ModelWeights.loadModel in the Swift tests can rebuild the model too.
    config = json.loads(meta["swift_fcn_train_state"])["modelConfig"]
    write_safetensors(out_path, out, {"fcn.config": config})
    return out


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def imagenet_input(rgb):
    """[1, 3, H, W] float32, computed as swift-fcn does: value * (1 / (255 std)) + (-mean / std)."""
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    scale = (np.float32(1) / (np.float32(255) * std)).astype(np.float32)
    shift = (-mean / std).astype(np.float32)
    x = rgb.astype(np.float32) * scale + shift
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32)
