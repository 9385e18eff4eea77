#!/usr/bin/env python3
"""Golden fixtures for the NN ops, computed by PyTorch on the CPU in float64 and stored as float32.

Writes Tests/NNTests/Fixtures/golden_ops.safetensors: for each case "<case>.<name>" tensors with
the inputs, parameters, the upstream gradient `r` (backward is run on sum(y * r)), the outputs and
every gradient. The Swift tests (NNTests/GoldenTests.swift) load it and compare.

    pip install torch==2.13.0 numpy   # CPU build
    python3 tools/make_golden.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NNTests", "Fixtures", "golden_ops.safetensors")
torch.manual_seed(0)
fixtures = {}


def put(case, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().to(torch.float32).numpy()
        fixtures[f"{case}.{k}"] = np.asarray(v, dtype=np.float32)


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float64) * scale).requires_grad_()


def backward_with_random_seed(y):
    r = torch.randn_like(y)
    (y * r).sum().backward()
    return r


def conv_case(name, xs, ws, stride, padding, dilation=1, groups=1, bias=True):
    x, w = leaf(*xs), leaf(*ws, scale=0.3)
    b = leaf(ws[0]) if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    r = backward_with_random_seed(y)
    put(name, x=x, w=w, y=y, r=r, dx=x.grad, dw=w.grad,
        config=[stride, padding, dilation, groups])
    if bias:
        put(name, b=b, db=b.grad)


def deconv_case(name, xs, ws, stride, padding, output_padding=0, bias=False):
    x, w = leaf(*xs), leaf(*ws, scale=0.3)
    b = leaf(ws[1]) if bias else None
    y = F.conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=output_padding)
    r = backward_with_random_seed(y)
    put(name, x=x, w=w, y=y, r=r, dx=x.grad, dw=w.grad, config=[stride, padding, output_padding])
    if bias:
        put(name, b=b, db=b.grad)


conv_case("conv3x3", [2, 3, 9, 8], [4, 3, 3, 3], stride=2, padding=1)
conv_case("conv_grouped_dilated", [1, 4, 10, 11], [6, 2, 3, 3], stride=1, padding=2, dilation=2, groups=2)
conv_case("conv7x7_fc6", [1, 8, 9, 9], [5, 8, 7, 7], stride=1, padding=0)
deconv_case("deconv_k4s2", [1, 4, 5, 6], [4, 3, 4, 4], stride=2, padding=1)
deconv_case("deconv_k16s8", [1, 3, 3, 2], [3, 3, 16, 16], stride=8, padding=4, bias=True)
deconv_case("deconv_opad", [2, 2, 4, 4], [2, 3, 3, 3], stride=2, padding=1, output_padding=1, bias=True)

x = leaf(2, 3, 5, 6)
y = F.relu(x)
put("relu", x=x, y=y, r=backward_with_random_seed(y), dx=x.grad)

a, b = leaf(1, 3, 4, 4), leaf(1, 3, 4, 4)
y = a * 0.01 + b
put("scale_add", a=a, b=b, y=y, r=backward_with_random_seed(y), da=a.grad, db=b.grad)

for name, xs, k, s, p, ceil in [("maxpool_ceil", [2, 3, 7, 9], 2, 2, 0, True),
                                ("maxpool_floor", [1, 2, 7, 9], 2, 2, 0, False),
                                ("maxpool_k3p1", [1, 2, 8, 7], 3, 2, 1, True)]:
    x = leaf(*xs)
    y = F.max_pool2d(x, k, s, p, ceil_mode=ceil)
    put(name, x=x, y=y, r=backward_with_random_seed(y), dx=x.grad, config=[k, s, p, int(ceil)])

x = leaf(3, 4, 5, 3, scale=2.0)
bn = torch.nn.BatchNorm2d(4, momentum=0.1).double()
with torch.no_grad():
    bn.weight.copy_(torch.randn(4))
    bn.bias.copy_(torch.randn(4))
    bn.running_mean.copy_(torch.randn(4) * 0.1)
    bn.running_var.copy_(torch.rand(4) + 0.5)
put("batchnorm", gamma=bn.weight, beta=bn.bias, running_mean0=bn.running_mean, running_var0=bn.running_var)
bn.train()
y = bn(x)
put("batchnorm", x=x, y=y, r=backward_with_random_seed(y), dx=x.grad, dgamma=bn.weight.grad,
    dbeta=bn.bias.grad, running_mean1=bn.running_mean, running_var1=bn.running_var)
bn.eval()
with torch.no_grad():
    put("batchnorm", y_eval=bn(x))

x = leaf(1, 2, 10, 9)
y = x[:, :, 2:7, 3:7]
put("crop", x=x, y=y, r=backward_with_random_seed(y), dx=x.grad, config=[2, 3, 5, 4])

logits = leaf(2, 5, 4, 3, scale=2.0)
labels = torch.randint(0, 5, (2, 4, 3))
labels[0, 1, 1] = 255
labels[1, 3, 0] = 255
weights = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.75], dtype=torch.float64)
put("xent", logits=logits, labels=labels.double(), weights=weights)
for suffix, kw in [("mean", dict(reduction="mean")), ("sum", dict(reduction="sum")),
                   ("wmean", dict(reduction="mean", weight=weights))]:
    logits.grad = None
    loss = F.cross_entropy(logits, labels, ignore_index=255, **kw)
    loss.backward()
    put("xent", **{f"loss_{suffix}": loss.reshape(1), f"dlogits_{suffix}": logits.grad})

# Optimisers: two steps from the same parameters and gradients.
p0 = torch.randn(4, 3, dtype=torch.float64)
g1, g2 = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
put("optim", p0=p0, g1=g1, g2=g2)
for name, make in [("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3)),
                   ("sgd_nesterov", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
                   ("adamw", lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.05)),
                   ("adam", lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.05))]:
    p = p0.clone().requires_grad_()
    opt = make([p])
    for g in (g1, g2):
        p.grad = g.clone()
        opt.step()
    put("optim", **{name: p})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
safetensors_io.write(OUT, fixtures, metadata={"torch": torch.__version__})
print(f"wrote {len(fixtures)} tensors to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")
