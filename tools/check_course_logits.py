#!/usr/bin/env python3
"""Issue 11's user-level check: the course's PyTorch FCN (shared/reference/seed_fcn.py) with random
weights saved by torch.save, one RGB PNG, and `fcn predict --model course-fcnN --classes K
--weights w.pth --save-logits`; prints max |ours - PyTorch| / max |PyTorch| per (model, classes,
size). Full width (VGG19-BN, 4096-wide fc6/fc7), float32 on both sides, ImageNet normalisation.

    python3 tools/check_course_logits.py [--fcn .build/release/fcn] [--shared ../shared]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--fcn", default=os.path.join(HERE, "..", ".build", "release", "fcn"))
ap.add_argument("--shared", default=os.environ.get("FCN_SHARED", os.path.join(HERE, "..", "..", "shared")))
ap.add_argument("--model-name", default="course-fcn", help="CLI model name prefix (course-fcn, or the old alias seed-fcn)")
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.shared, "reference"))
import seed_fcn  # noqa: E402
sys.path.insert(0, HERE)
from interop_common import write_png  # noqa: E402


def randomize(net):
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("bias"):
                p.uniform_(-0.1, 0.1)
            elif p.dim() == 1:
                p.uniform_(0.5, 1.5)
            else:
                p.normal_(0, (2 / (p.shape[1] * p.shape[2] * p.shape[3])) ** 0.5)
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2)


torch.manual_seed(0)
rng = np.random.default_rng(0)
mean = np.array([0.485, 0.456, 0.406], np.float32)
std = np.array([0.229, 0.224, 0.225], np.float32)
rows = [(32, 3, 96, 64), (32, 8, 96, 64), (32, 11, 96, 64), (32, 12, 96, 64), (32, 16, 96, 64), (32, 21, 96, 64),
        (32, 11, 64, 64), (32, 11, 128, 32), (32, 21, 32, 128), (16, 12, 128, 64), (16, 21, 96, 64),
        (8, 12, 128, 64), (8, 21, 96, 64), (8, 11, 64, 96)]
worst = 0.0
with tempfile.TemporaryDirectory() as tmp:
    for res, k, h, w in rows:
        net = seed_fcn.FCN(k, 0.5, 0.1, res)
        randomize(net)
        net.eval()
        pth = os.path.join(tmp, "w.pth")
        torch.save(net.state_dict(), pth)
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        png = os.path.join(tmp, "x.png")
        write_png(png, rgb)
        x = torch.from_numpy(((rgb.astype(np.float32) / 255 - mean) / std).transpose(2, 0, 1)[None].copy())
        with torch.no_grad():
            ref = net(x).numpy()
        out = os.path.join(tmp, "logits.npy")
        subprocess.run([args.fcn, "predict", "--model", f"{args.model_name}{res}", "--classes", str(k), "--weights", pth,
                        "--input", png, "--save-logits", out, "--normalize", "imagenet"], check=True,
                       stdout=subprocess.DEVNULL)
        got = np.load(out)
        err = float(np.abs(got - ref).max() / np.abs(ref).max()) if got.shape == ref.shape else float("inf")
        worst = max(worst, err)
        print(f"{args.model_name}{res:<3} classes {k:>2} {h}x{w}: max abs diff / max abs {err:.2e}"
              f"{'' if got.shape == ref.shape else f' (shape {got.shape} vs {ref.shape})'}")
print(f"worst {worst:.2e}")
sys.exit(0 if worst <= 1e-4 else 1)
