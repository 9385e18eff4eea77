#!/usr/bin/env python3
"""Whole-model golden fixtures for swift-fcn's FCN module (Tests/FCNTests/ModelGoldenTests.swift).

Two nets, both at reduced width so the fixtures stay small (the Swift models have the same
`width` / `fc` options, and the layer names and graph are the same at any width):

* seed-fcn8: the course class of shared/reference/seed_fcn.py. `NarrowSeedFCN`
  (tools/golden_nets.py) subclasses it and only replaces the channel counts in __init__;
  `forward` and `make_block` are the original's (shared `upsample_double` included).
* fcn8s: the paper's FCN-8s as in the common PyTorch port (wkentaro/pytorch-fcn), in
  tools/paper_fcn.py with a width multiplier: conv1_1 pad 100, ceil-mode pools, 7x7 fc6, crops
  5, 9, 31; fcn32s, fcn16s and fcn8s-atonce are golden_nets.PaperVariant on its weights.

Weights are random (BatchNorm running statistics too) and saved as float32 state_dicts with
torch.save (the Swift side reads them with its .pth reader). References are computed in float64
from those float32 weights. Inputs and the backward seeds are a deterministic integer pattern
both sides generate exactly (`pattern`), so they need no storage; backward is run on
sum(logits * pattern(salt=2)).

    python3 tools/make_model_golden.py [--shared DIR]

The course class is found as tools/course_fcn.py says: --shared DIR, else $SWIFT_FCN_SHARED, else
<repository>/../shared (DIR holds reference/seed_fcn.py).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import course_fcn  # noqa: E402
import golden_nets  # noqa: E402
import paper_fcn  # noqa: E402
import safetensors_io  # noqa: E402
from golden_nets import pattern  # noqa: E402

OUT = os.path.join(HERE, "..", "Tests", "FCNTests", "Fixtures")
WIDTH, FC, CLASSES = 1 / 16, 32, 3
torch.manual_seed(0)
fixtures = {}
NarrowSeedFCN = golden_nets.narrow_seed_fcn(course_fcn.load_seed_fcn(), WIDTH, FC)


class PaperFCN8s(paper_fcn.PaperFCN8s):
    """tools/paper_fcn.py's FCN-8s at the fixtures' width and fc width."""

    def __init__(self, n_class):
        super().__init__(n_class, WIDTH, FC)


def randomize(model):
    """Random weights everywhere (zero score layers would hide errors), BN statistics too."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.uniform_(-0.1, 0.1)
            elif p.dim() == 1:  # BN weight
                p.uniform_(0.5, 1.5)
            else:
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                if isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], nn.ConvTranspose2d):
                    fan_in = p.shape[0] * p.shape[2] * p.shape[3] / 4
                p.normal_(0, (2 / fan_in) ** 0.5)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2)
                m.num_batches_tracked.fill_(3)


def put(key, t):
    fixtures[key] = np.ascontiguousarray(t.detach().to(torch.float32).numpy())


def run_case(prefix, model, shape, grads, train_bn=False, pad_to=None):
    """Logits (and, if grads, gradients of sum(logits * pattern(2))) in float64."""
    model = model.double()
    model.zero_grad()
    model.eval()
    if train_bn:
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.train()
    x = pattern(shape, salt=1)
    if pad_to:
        xp = torch.zeros(shape[0], shape[1], *pad_to, dtype=torch.float64)
        xp[:, :, : shape[2], : shape[3]] = x
        y = model(xp)[:, :, : shape[2], : shape[3]]
    else:
        y = model(x)
    put(f"{prefix}.logits", y)
    if grads:
        (y * pattern(tuple(y.shape), salt=2)).sum().backward()
        for name in grads:
            put(f"{prefix}.grad.{name}", dict(model.named_parameters())[name].grad)
    if train_bn:
        for name, b in model.named_buffers():
            if name.endswith("running_mean") or name.endswith("running_var"):
                put(f"{prefix}.after.{name}", b)


def save_state(model, path):
    torch.save({k: v.detach().to(torch.float32).clone() if v.is_floating_point() else v.clone()
                for k, v in model.state_dict().items()}, path)


def fresh(cls, path):
    m = cls()
    m.load_state_dict(torch.load(path))
    return m


# seed-fcn8 (course class)
seed = NarrowSeedFCN(CLASSES, 0.5, 0.1, 8)
randomize(seed)
seed_path = os.path.join(OUT, "seed_fcn8_narrow.pth")
save_state(seed, seed_path)
seed_grads = ["conv1.0.weight", "conv1.1.weight", "conv3.10.bias", "fc6.weight", "score.weight",
              "pool3_conv.weight", "pool4_conv.bias", "upsample_double.weight", "upsample8.bias"]
make_seed = lambda: fresh(lambda: NarrowSeedFCN(CLASSES, 0.5, 0.1, 8), seed_path)  # noqa: E731
run_case("seed.2x64x64", make_seed(), (2, 3, 64, 64), seed_grads)
run_case("seed.1x32x96", make_seed(), (1, 3, 32, 96), seed_grads)
# The Python class fails at 250x250 (14 vs 15 at the pool4 skip); the reference is the class
# run on the zero-padded 256x256 input, cropped back.
try:
    make_seed().double().eval()(pattern((1, 3, 250, 250), 1))
    raise SystemExit("expected the course class to fail at 250x250")
except RuntimeError as e:
    print("course class at 250x250:", str(e).splitlines()[0])
run_case("seed.1x250x250", make_seed(), (1, 3, 250, 250), [], pad_to=(256, 256))
# BatchNorm in training mode (batch statistics, running statistics updated), dropout off.
run_case("seed.train.2x64x64", make_seed(), (2, 3, 64, 64), seed_grads, train_bn=True)

# fcn8s (paper net)
paper = PaperFCN8s(CLASSES)
randomize(paper)
paper_path = os.path.join(OUT, "fcn8s_narrow.pth")
save_state(paper, paper_path)
paper_grads = ["conv1_1.weight", "conv3_2.bias", "conv5_3.weight", "fc6.weight", "fc7.bias", "score_fr.weight",
               "score_pool4.weight", "score_pool3.bias", "upscore2.weight", "upscore_pool4.weight", "upscore8.weight"]
make_paper = lambda: fresh(lambda: PaperFCN8s(CLASSES), paper_path)  # noqa: E731
run_case("fcn8s.1x64x64", make_paper(), (1, 3, 64, 64), paper_grads)
run_case("fcn8s.2x75x100", make_paper(), (2, 3, 75, 100), paper_grads)
run_case("fcn8s.1x1x1", make_paper(), (1, 3, 1, 1), [])


# The other paper variants on the same weights, as in wkentaro/pytorch-fcn (FCN32s, FCN16s,
# FCN8sAtOnce). The deconvolutions fcn8s lacks (upscore, upscore16) get the bilinear kernel, the
# one swift-fcn initialises them with, so the Swift side loads fcn8s_narrow.pth non-strictly.
for mode in ["32s", "16s", "atonce"]:
    m = golden_nets.PaperVariant(CLASSES, mode, WIDTH, FC)
    m.load_state_dict(torch.load(paper_path), strict=False)
    run_case(f"fcn{mode}.1x40x56", m, (1, 3, 40, 56), [])
for res in [32, 16]:
    m = NarrowSeedFCN(CLASSES, 0.5, 0.1, res)
    m.load_state_dict(torch.load(seed_path))
    run_case(f"seed{res}.1x64x96", m, (1, 3, 64, 96), [])


# Every layer's output shape for a range of input sizes (forward hooks, float32, no grad).
def record_shapes(prefix, model, sizes, names):
    model.eval()
    modules = dict(model.named_modules())
    for h, w in sizes:
        seen = {}
        hooks = [modules[n].register_forward_hook(lambda mod, i, o, n=n: seen.__setitem__(n, o.shape)) for n in names]
        with torch.no_grad():
            model(torch.zeros(1, 3, h, w))
        for hk in hooks:
            hk.remove()
        for n, shape in seen.items():
            fixtures[f"shapes.{prefix}.{h}x{w}.{n}"] = np.array(shape, dtype=np.float32)


paper_layers = [n for n, _ in PaperFCN8s(CLASSES).named_children() if not n.startswith(("relu", "drop"))]
record_shapes("fcn8s", make_paper().float(), [(1, 1), (2, 7), (31, 31), (32, 32), (33, 47), (64, 100), (129, 75), (200, 200)],
              paper_layers)
record_shapes("seed8", make_seed().float(), [(32, 32), (64, 96), (160, 128)],
              ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "score", "pool3_conv", "pool4_conv", "upsample8"])

safetensors_io.write(os.path.join(OUT, "model_golden.safetensors"), fixtures,
                     metadata={"torch": torch.__version__, "width": str(WIDTH), "fc": str(FC), "classes": str(CLASSES)})
total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
print(f"wrote {len(fixtures)} arrays; fixtures total {total / 1e6:.2f} MB")
