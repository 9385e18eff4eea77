#!/usr/bin/env python3
"""`fcn export --onnx` checked with onnx and ONNX Runtime (issue 16).

For every model (fcn32s, fcn16s, fcn8s, fcn8s-atonce, course-fcn32/16/8; small --width to stay
fast): random swift-fcn weights → `fcn export` (dynamic H and W, and once with --size) →
onnx.checker (full check, with shape inference) → ONNX Runtime logits vs `fcn predict
--save-logits` on the same PNG, at sizes that are and are not multiples of 32. Prints
max|ORT − fcn| / max|fcn| per model and size; fails above 1e-4.

--fixtures also rewrites Tests/InteropTests/Fixtures/onnx/ for ONNXExportTests: a tiny course-fcn8
and fcn8s-atonce (weights, an input, ONNX Runtime's logits for it, and the FNV-1a 64 digest of the
exported .onnx that ONNX Runtime ran — the file itself would repeat the weights).

    pip install onnx onnxruntime numpy
    python3 tools/check_onnx.py [--fcn .build/release/fcn] [--fixtures]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as ic  # noqa: E402

FIXTURES = os.path.join(ic.REPO, "Tests", "InteropTests", "Fixtures", "onnx")
SMALL = ["--width", "0.125", "--fc", "32"]
MODELS = [("fcn32s", 21), ("fcn16s", 21), ("fcn8s", 11), ("fcn8s-atonce", 21),
          ("course-fcn32", 11), ("course-fcn16", 11), ("course-fcn8", 21)]
SIZES = [(37, 45), (64, 96), (100, 70)]


def ort_logits(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"input": x})[0]


def rel_err(got, ref):
    if got.shape != ref.shape:
        return float("inf")
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))


def check_file(path, expect_classes):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["normalization"] == "imagenet", meta
    assert len(json.loads(meta["class_names"])) == expect_classes, meta["class_names"]
    return model


def fcn_logits(fcn, weights, rgb, tmp, tag):
    png = os.path.join(tmp, f"{tag}.png")
    ic.write_png(png, rgb)
    out = os.path.join(tmp, f"{tag}.npy")
    ic.run([fcn, "predict", "--weights", weights, "--input", png, "--save-logits", out, "--normalize", "imagenet"])
    return np.load(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fcn", default=ic.DEFAULT_FCN)
    ap.add_argument("--fixtures", action="store_true")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    worst = 0.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (name, classes) in enumerate(MODELS):
            st = os.path.join(tmp, f"{name}.safetensors")
            ic.random_weights(args.fcn, ["--model", name, *SMALL], classes, st, tmp, seed)
            dyn = os.path.join(tmp, f"{name}.onnx")
            ic.run([args.fcn, "export", "--weights", st, "--onnx", dyn, "--opset", str(args.opset)])
            check_file(dyn, classes)
            for h, w in SIZES:
                rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                ref = fcn_logits(args.fcn, st, rgb, tmp, f"{name}-{h}x{w}")
                err = rel_err(ort_logits(dyn, ic.imagenet_input(rgb)), ref)
                rows.append((name, f"{h}x{w}", "dynamic", err))
                if (h, w) == SIZES[0]:
                    fixed = os.path.join(tmp, f"{name}-{h}x{w}.onnx")
                    ic.run([args.fcn, "export", "--weights", st, "--onnx", fixed, "--size", f"{h}x{w}",
                            "--opset", str(args.opset)])
                    check_file(fixed, classes)
                    rows.append((name, f"{h}x{w}", "--size", rel_err(ort_logits(fixed, ic.imagenet_input(rgb)), ref)))
        for name, size, kind, err in rows:
            worst = max(worst, err)
            print(f"{name:<13} {size:>6} {kind:<8} max|ORT - fcn| / max|fcn| = {err:.2e}")
        if args.fixtures:
            write_fixtures(args.fcn, tmp)
    print(f"worst {worst:.2e} (ONNX Runtime {ort.__version__}, onnx {onnx.__version__}, opset {args.opset})")
    sys.exit(0 if worst <= 1e-4 else 1)


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_fixtures(fcn, tmp):
    """Tiny nets for the Swift test: weights, an input, ONNX Runtime's logits, the .onnx digest."""
    os.makedirs(FIXTURES, exist_ok=True)
    rng = np.random.default_rng(16)
    for seed, name in [(101, "course-fcn8"), (102, "fcn8s-atonce")]:
        st = os.path.join(FIXTURES, f"{name}.safetensors")
        ic.random_weights(fcn, ["--model", name, "--width", "0.0625", "--fc", "16"], 6, st, tmp, seed)
        path = os.path.join(tmp, f"{name}.onnx")
        ic.run([fcn, "export", "--weights", st, "--onnx", path])
        check_file(path, 6)
        rgb = rng.integers(0, 256, (37, 45, 3), dtype=np.uint8)
        x = ic.imagenet_input(rgb)
        logits = ort_logits(path, x)
        np.save(os.path.join(FIXTURES, f"{name}.input.npy"), x)
        np.save(os.path.join(FIXTURES, f"{name}.ort_logits.npy"), logits)
        with open(path, "rb") as f:
            digest = fnv1a64(f.read())
        with open(os.path.join(FIXTURES, f"{name}.onnx.fnv1a64"), "w") as f:
            f.write(f"{digest:016x}\n")
        err = rel_err(logits, fcn_logits(fcn, st, rgb, tmp, f"fixture-{name}"))
        print(f"fixture {name}: {os.path.getsize(path)} bytes, ORT vs fcn predict {err:.2e}")


if __name__ == "__main__":
    main()
