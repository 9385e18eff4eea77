#!/usr/bin/env python3
"""Golden resizes for Tests/InferenceTests (written to Tests/InferenceTests/Fixtures/resize_golden.json).

- bilinear: torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=False)
  in float64 — the convention TTA uses to bring scaled passes back to the image's size.
- nearest: cv2.resize(..., interpolation=cv2.INTER_NEAREST) on uint8 label maps — what the
  submission CSV's masks must match. The sizes include ones where OpenCV's double arithmetic
  (x * (1 / (dst / src))) and the exact quotient floor(x * src / dst) disagree (2 -> 98).

Needs torch, numpy and opencv-python-headless; `swift test` itself needs none of them.
Run from the repository root: python3 tools/make_inference_fixtures.py
"""
import json
import os

import cv2
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20261127)

bilinear = []
for c, sh, sw, dh, dw in [
    (3, 5, 7, 11, 4),  # up in height, down in width
    (2, 9, 6, 4, 13),
    (1, 1, 1, 3, 2),  # one source cell
    (4, 8, 8, 6, 10),  # what a 0.75 TTA pass does on the way back
    (1, 3, 2, 98, 2),
    (2, 13, 15, 13, 15),  # same size: an exact copy
]:
    x = rng.standard_normal((1, c, sh, sw))
    y = F.interpolate(torch.from_numpy(x), size=(dh, dw), mode="bilinear", align_corners=False)
    bilinear.append(
        {
            "channels": c, "src_h": sh, "src_w": sw, "dst_h": dh, "dst_w": dw,
            "input": x.ravel().tolist(), "output": y.numpy().ravel().tolist(),
        }
    )

nearest = []
for sh, sw, dh, dw in [
    (37, 45, 7, 11),
    (2, 2, 98, 98),  # OpenCV's doubles differ from floor(x*src/dst) at x = 49
    (3, 2, 196, 98),
    (64, 64, 32, 32),
    (5, 3, 5, 3),
    (25, 37, 16, 16),
    (7, 9, 1, 1),
]:
    src = rng.integers(0, 11, size=(sh, sw)).astype(np.uint8)
    out = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_NEAREST)
    nearest.append(
        {
            "src_h": sh, "src_w": sw, "dst_h": dh, "dst_w": dw,
            "input": src.ravel().tolist(), "output": out.ravel().tolist(),
        }
    )

path = os.path.join("Tests", "InferenceTests", "Fixtures", "resize_golden.json")
with open(path, "w") as f:
    json.dump(
        {
            "generator": f"tools/make_inference_fixtures.py (torch {torch.__version__}, opencv {cv2.__version__})",
            "bilinear": bilinear,
            "nearest": nearest,
        },
        f,
    )
print("wrote", path, os.path.getsize(path), "bytes")
