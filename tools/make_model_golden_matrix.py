#!/usr/bin/env python3
"""The whole-model golden matrix (Tests/FCNTests/ModelGoldenMatrixTests.swift): every model at
1, 2, 3, 8, 11, 16 and 21 classes and three input sizes, forward logits and parameter gradients
against PyTorch in float64. Written after issue 11: oneDNN's blocked deconvolution added the bias
wrongly from 8 classes on, and every 3-class golden test passed.

Nets (tools/golden_nets.py), backbone width 1/16 and fc 32 so they run fast; the head and the
class counts are real:
* seed-fcn32|16|8: the course class (shared/reference/seed_fcn.py, found as tools/course_fcn.py
  says). It needs sides that are multiples of 32, so the reference at other sizes is the class
  run on the input zero-padded at the bottom/right, cropped back: what swift-fcn computes.
* fcn32s|16s|8s|8s-atonce: the wkentaro/pytorch-fcn nets, deconvolutions learnable.

Sizes (N x H x W) are chosen by their score maps: one row, one column, several of both.
  course nets: 1x32x96 (1x3), 1x70x20 (padded 96x32: 3x1), 2x90x45 (padded 96x64: 3x2)
  paper nets:  1x21x75 (1x3), 1x60x17 (3x1), 2x67x93 (3x4)

Weights are not stored: both sides make them from the parameter's name and shape.
  u(key, i) = splitmix64(fnv1a64(key) + (i + 1) * 0x9E3779B97F4A7C15) >> 40, as (u / 2^23) - 1
  in [-1, 1) (exact in float32), key = "<tag>/<state_dict name>", i the flat index, tag =
  "<model>/<classes>", or "<model>/<classes>/<r>" for the r-th redraw: where a compared gradient
  hangs on a max-pool or ReLU near-tie (tools/kink_check.py) float32 may rightly take the other
  branch, so such weights are drawn again; KEY "<model>.c<classes>.redraw" holds r.
  running_mean 0.2u, running_var 1.25 + 0.75u, bias 0.1u (never all zero: the deconvolution bias
  is what broke), 1-D weight (BatchNorm) 1 + 0.5u, 4-D weight u * sqrt(6 / fan_in) with
  fan_in = in * kh * kw for a convolution (odd kernel) and 4 * in for a k = 2s, stride s
  deconvolution (even kernel, weight [in, out, k, k]: each output sees 2 x 2 taps per input).
  Each value is computed in float64 and rounded once to float32; the reference then runs in
  float64 on those float32 weights.
Inputs are pattern(shape, salt=1); backward runs on sum(logits * pattern(logits.shape, salt=2)).

What is stored per compared tensor T (logits, or the gradient of a parameter) under KEY =
"<model>.c<classes>.<N>x<H>x<W>.logits" or "...grad.<parameter>":
  KEY.meta   [stride, *shape]
  KEY.sample T.flatten()[::stride]: all of T up to a cap (2048 values for logits, 512 for
             gradients), else stride = the smallest prime >= 7 that divides no dimension of T
             and keeps the sample under the cap, so the sample walks through every row, column
             and channel instead of repeating one column.
  KEY.stats  per row of T: [sum, L2 norm, max |.|], rows = the N*C planes of the logits, or
             the first axis of a gradient.
The Swift test computes the same from its own tensor. Tolerance: every sampled value within
1e-4 x max |T| (max over the stored row maxima), and the row statistics within what that bound
implies for a row of M values (sum M, L2 norm sqrt(M), max 1 times 1e-4 x max |T|).

    python3 tools/make_model_golden_matrix.py [--shared DIR]
"""
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import course_fcn  # noqa: E402
import golden_nets  # noqa: E402
import kink_check  # noqa: E402
import safetensors_io  # noqa: E402
from golden_nets import pattern  # noqa: E402

OUT = os.path.join(HERE, "..", "Tests", "FCNTests", "Fixtures", "model_golden_matrix.safetensors")
WIDTH, FC = 1 / 16, 32
CLASSES = [1, 2, 3, 8, 11, 16, 21]
SEED_SIZES = [(1, 32, 96), (1, 70, 20), (2, 90, 45)]
PAPER_SIZES = [(1, 21, 75), (1, 60, 17), (2, 67, 93)]
LOGITS_CAP, GRAD_CAP = 2048, 512
# Weights whose gradients hang on a near-tie (tools/kink_check.py) are drawn again, at most this often.
MAX_REDRAWS = 20

SEED_COMMON = ["conv1.0.weight", "fc6.weight", "score.weight", "score.bias"]
SEED_SKIP4 = ["pool4_conv.weight", "pool4_conv.bias", "upsample_double.weight", "upsample_double.bias"]
SEED_SKIP3 = ["pool3_conv.weight", "pool3_conv.bias"]
PAPER_COMMON = ["conv1_1.weight", "fc6.weight", "score_fr.weight", "score_fr.bias"]
PAPER_SKIP4 = ["score_pool4.weight", "score_pool4.bias", "upscore2.weight"]
PAPER_SKIP3 = ["score_pool3.weight", "score_pool3.bias", "upscore_pool4.weight", "upscore8.weight"]
# Gradients compared: the head (score, skips, every deconvolution's weight and bias), fc6 and
# the first backbone convolution, which every other gradient flows into.
GRADS = {
    "seed-fcn32": SEED_COMMON + ["upsample32.weight", "upsample32.bias"],
    "seed-fcn16": SEED_COMMON + SEED_SKIP4 + ["upsample16.weight", "upsample16.bias"],
    "seed-fcn8": SEED_COMMON + SEED_SKIP4 + SEED_SKIP3 + ["upsample8.weight", "upsample8.bias"],
    "fcn32s": PAPER_COMMON + ["upscore.weight"],
    "fcn16s": PAPER_COMMON + PAPER_SKIP4 + ["upscore16.weight"],
    "fcn8s": PAPER_COMMON + PAPER_SKIP4 + PAPER_SKIP3,
    "fcn8s-atonce": PAPER_COMMON + PAPER_SKIP4 + PAPER_SKIP3,
}
MASK = (1 << 64) - 1


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform(key, n):
    """n values in [-1, 1), exact in float32, from a splitmix64 stream seeded by the key."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(key)) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / 2**23 - 1


def golden_weight(tag, name, shape):
    """The value of state_dict entry `name` (see the docstring), float32."""
    u = uniform(f"{tag}/{name}", int(np.prod(shape)))
    if name.endswith("running_mean"):
        v = 0.2 * u
    elif name.endswith("running_var"):
        v = 1.25 + 0.75 * u
    elif name.endswith("bias"):
        v = 0.1 * u
    elif len(shape) == 1:
        v = 1 + 0.5 * u
    else:
        fan_in = 4 * shape[0] if shape[2] % 2 == 0 else shape[1] * shape[2] * shape[3]
        v = u * math.sqrt(6 / fan_in)
    return v.astype(np.float32).reshape(shape)


def weights_tag(model, classes, redraw):
    return f"{model}/{classes}" if redraw == 0 else f"{model}/{classes}/{redraw}"


def make_net(model, classes, seed_class, redraw):
    if model.startswith("seed-fcn"):
        net = seed_class(classes, 0.5, 0.1, int(model[len("seed-fcn"):]))
    else:
        mode = {"fcn32s": "32s", "fcn16s": "16s", "fcn8s": "8s", "fcn8s-atonce": "atonce"}[model]
        net = golden_nets.PaperVariant(classes, mode, WIDTH, FC)
    tag = weights_tag(model, classes, redraw)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.from_numpy(golden_weight(tag, name, tuple(t.shape))))
    return net.double().eval()


def is_prime(p):
    return p > 1 and all(p % d for d in range(2, int(p**0.5) + 1))


def sample_stride(shape, cap):
    n = int(np.prod(shape))
    if n <= cap:
        return 1
    p = 7
    while not is_prime(p) or -(-n // p) > cap or any(d % p == 0 for d in shape):
        p += 1
    return p


def summarize(fixtures, key, t, lead, cap):
    """KEY.meta, KEY.sample and KEY.stats of tensor t (see the docstring)."""
    a = t.detach().numpy().astype(np.float64)
    stride = sample_stride(a.shape, cap)
    flat = a.reshape(-1)
    rows = flat.reshape(int(np.prod(a.shape[:lead])), -1)
    fixtures[f"{key}.meta"] = np.array([stride, *a.shape], dtype=np.float32)
    fixtures[f"{key}.sample"] = flat[::stride].astype(np.float32)
    stats = np.stack([rows.sum(1), np.sqrt((rows**2).sum(1)), np.abs(rows).max(1)], axis=1)
    fixtures[f"{key}.stats"] = stats.astype(np.float32)


def forward(net, model, size):
    """Logits for pattern(salt=1) in the net's dtype; the course nets' input zero-padded to /32."""
    n, h, w = size
    dtype = next(net.parameters()).dtype
    x = pattern((n, 3, h, w), salt=1).to(dtype)
    if not model.startswith("seed-fcn"):
        return net(x)
    padded = torch.zeros(n, 3, -(-h // 32) * 32, -(-w // 32) * 32, dtype=dtype)
    padded[:, :, :h, :w] = x
    return net(padded)[:, :, :h, :w]


def reference(net, model, size):
    """Logits and the compared gradients of sum(logits * pattern(salt=2)), float64."""
    net.zero_grad()
    y = forward(net, model, size)
    (y * pattern(tuple(y.shape), salt=2)).sum().backward()
    params = dict(net.named_parameters())
    return y.detach(), {name: params[name].grad.clone() for name in GRADS[model]}


def main():
    seed_class = golden_nets.narrow_seed_fcn(course_fcn.load_seed_fcn(), WIDTH, FC)
    fixtures = {}
    for model in GRADS:
        sizes = SEED_SIZES if model.startswith("seed-fcn") else PAPER_SIZES
        for classes in CLASSES:
            for redraw in range(MAX_REDRAWS):
                net = make_net(model, classes, seed_class, redraw)
                cases = [(size, *reference(net, model, size)) for size in sizes]
                if all(kink_check.well_posed(net, lambda m: reference(m, model, size)[1], grads)
                       for size, _, grads in cases):
                    break
                print(f"{model}, {classes} classes, weights {redraw}: a gradient hangs on a near-tie; drawing again")
            else:
                raise SystemExit(f"{model}, {classes} classes: no well-posed weights in {MAX_REDRAWS} draws")
            fixtures[f"{model}.c{classes}.redraw"] = np.array([redraw], dtype=np.float32)
            for (n, h, w), y, grads in cases:
                assert tuple(y.shape) == (n, classes, h, w), (model, classes, (n, h, w), tuple(y.shape))
                prefix = f"{model}.c{classes}.{n}x{h}x{w}"
                summarize(fixtures, f"{prefix}.logits", y, 2, LOGITS_CAP)
                for name, g in grads.items():
                    summarize(fixtures, f"{prefix}.grad.{name}", g, 1, GRAD_CAP)
    safetensors_io.write(OUT, fixtures, metadata={
        "torch": torch.__version__, "width": str(WIDTH), "fc": str(FC),
        "scheme": "tools/make_model_golden_matrix.py: weights from names, subsampled tensors + row statistics"})
    print(f"wrote {len(fixtures)} arrays, {os.path.getsize(OUT) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
