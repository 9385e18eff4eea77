#!/usr/bin/env python3
"""`fcn convert X.safetensors out.pth` checked with PyTorch (issue 16, weights back to PyTorch).

1. The course net (shared/reference/seed_fcn.py FCN8(11), full width) and a paper net
   (tools/paper_fcn.py PaperFCN8s, quarter width): swift-fcn weights (random values in a real
   `fcn train` checkpoint) → `fcn convert` → `torch.load` (weights_only, PyTorch's default) →
   `load_state_dict` (strict) → eval logits vs `fcn predict --save-logits` on the same PNG.
2. The fixture for InteropTests (TorchSaveTests): Fixtures/pth/tiny.safetensors (several dtypes,
   a 0-d tensor, an int64 past 2^32) and the tiny.pth `fcn convert` made of it, after torch read
   every tensor back exactly and every storage entry was found aligned to 64 bytes.

    pip install torch numpy
    python3 tools/check_pth.py [--fcn .build/release/fcn] [--shared ../shared] [--fixtures]
"""
import argparse
import os
import shutil
import sys
import tempfile
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import course_fcn  # noqa: E402
import interop_common as ic  # noqa: E402
from paper_fcn import PaperFCN8s  # noqa: E402

FIXTURES = os.path.join(ic.REPO, "Tests", "InteropTests", "Fixtures", "pth")


def check_alignment(path):
    """Every data/ entry's bytes start at a multiple of 64 (what torch.load(mmap=True) needs)."""
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            f.seek(info.header_offset + 26)
            n, m = np.frombuffer(f.read(4), "<u2")
            start = info.header_offset + 30 + int(n) + int(m)
            if "/data/" in info.filename and start % 64:
                raise SystemExit(f"{path}: {info.filename} starts at {start}, not a multiple of 64")
        return [i.filename for i in z.infolist()]


def check_model(label, net, model_args, classes, fcn, tmp, seed):
    st = os.path.join(tmp, f"{seed}.safetensors")
    pth = os.path.join(tmp, f"{seed}.pth")
    weights = ic.random_weights(fcn, model_args, classes, st, tmp, seed)
    ic.run([fcn, "convert", st, pth])
    check_alignment(pth)
    sd = torch.load(pth)  # weights_only=True: only the globals a state_dict needs
    result = net.load_state_dict(sd, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for k, v in sd.items():
        if not np.array_equal(v.numpy(), weights[k]):
            raise SystemExit(f"{label}: {k} differs after the round trip")
    net.eval()
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    png = os.path.join(tmp, f"{seed}.png")
    ic.write_png(png, rgb)
    out = os.path.join(tmp, f"{seed}.npy")
    ic.run([fcn, "predict", "--weights", st, "--input", png, "--save-logits", out, "--normalize", "imagenet"])
    with torch.no_grad():
        ref = net(torch.from_numpy(ic.imagenet_input(rgb))).numpy()
    got = np.load(out)
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    print(f"{label}: torch.load + load_state_dict(strict) ok, {len(sd)} tensors equal; "
          f"logits 64x96 max|fcn - torch| / max|torch| = {err:.2e}")
    return err


def make_fixture(fcn, tmp):
    rng = np.random.default_rng(16)
    tensors = {
        "features.0.weight": rng.standard_normal((2, 3, 1, 1)).astype(np.float32),
        "features.0.bias": np.array([0.5, -0.25], np.float32),
        "bn.num_batches_tracked": np.array(7, np.int64),
        "bn.running_var": np.array([1.0, 2.0], np.float64),
        "half": np.array([1.5, -2.0, 65504.0], np.float16),
        "index": np.array([2**40 + 3, -5], np.int64),
        "mask": np.array([0, 1, 255, 7], np.uint8),
        "scale": np.array(0.125, np.float32),
    }
    st = os.path.join(tmp, "tiny.safetensors")
    pth = os.path.join(tmp, "tiny.pth")
    ic.write_safetensors(st, tensors)
    ic.run([fcn, "convert", st, pth])
    names = check_alignment(pth)
    sd = torch.load(pth)
    assert list(sd) == sorted(tensors), list(sd)
    for k, v in tensors.items():
        got = sd[k].numpy()
        if got.dtype != v.dtype or got.shape != v.shape or not np.array_equal(got, v):
            raise SystemExit(f"tiny.pth: {k}: torch read {got.dtype} {got.shape} {got}, expected {v.dtype} {v.shape} {v}")
    os.makedirs(FIXTURES, exist_ok=True)
    for f in (st, pth):
        shutil.copyfile(f, os.path.join(FIXTURES, os.path.basename(f)))
    print(f"fixture: torch read all {len(tensors)} tensors of tiny.pth exactly; entries {names}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fcn", default=ic.DEFAULT_FCN)
    ap.add_argument("--shared", default=None)
    ap.add_argument("--fixtures", action="store_true", help="also rewrite Tests/InteropTests/Fixtures/pth")
    args = ap.parse_args()
    seed_fcn = course_fcn.load_seed_fcn(["--shared", args.shared] if args.shared else [])
    torch.manual_seed(0)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if args.fixtures:
            make_fixture(args.fcn, tmp)
        worst = max(worst, check_model("course FCN8(11)", seed_fcn.FCN8(11), ["--model", "course-fcn8"], 11,
                                       args.fcn, tmp, 1))
        worst = max(worst, check_model("paper FCN8s(21), width 0.25, fc 64", PaperFCN8s(21, width=0.25, fc=64),
                                       ["--model", "fcn8s", "--width", "0.25", "--fc", "64"], 21, args.fcn, tmp, 2))
    print(f"worst logits error {worst:.2e}")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
