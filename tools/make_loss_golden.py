#!/usr/bin/env python3
"""Golden fixtures for the segmentation losses of `fcn train --loss` (NN/Losses), computed by
PyTorch autograd in float64 from the formulas of segmentation_models_pytorch 0.6 (multiclass
mode, from logits, ignore_index 255):

- ce:     torch.nn.functional.cross_entropy (class weights: PyTorch's weighted mean).
- dice:   smp DiceLoss: softmax, soft Dice per class over the whole batch (smooth 0, eps 1e-7),
          loss 1 − dice per class, zero for a class absent from the (non-ignored) labels, then the
          mean over all C classes, or with class weights Σ w_c·loss_c / Σ w_c.
- focal:  smp FocalLoss: per class c a binary focal loss with logits, one class against the rest
          (BCE-with-logits ℓ, pt = exp(−ℓ), (1 − pt)^γ·ℓ), mean over non-ignored pixels; then the
          mean over classes, or Σ w_c·L_c / Σ w_c. gamma 2 unless a case says otherwise.
- lovasz: smp LovaszLoss: Lovász-softmax over the batch's non-ignored pixels, averaged over the
          classes present in the labels. No class weights.

For each case (3, 11 and 21 classes, N = 2, sizes that are not multiples of 32, some pixels
ignored, one class absent) it stores the logits (float32, and computed from exactly those
values), the labels, class weights, and for each loss term the value and d(value)/d(logits).
Writes Tests/NNTests/Fixtures/golden_losses.safetensors. Needs only torch and numpy; if
segmentation_models_pytorch happens to be installed, the formulas are also checked against it.

    python3 tools/make_loss_golden.py
"""
import importlib
import os
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NNTests", "Fixtures", "golden_losses.safetensors")
IGNORE = 255


def valid_mask(labels):
    return labels != IGNORE


def ce(z, labels, weights=None):
    return F.cross_entropy(z, labels, weight=weights, ignore_index=IGNORE)


def dice(z, labels, weights=None, eps=1e-7):
    n, c = z.shape[:2]
    p = z.log_softmax(dim=1).exp().reshape(n, c, -1)
    y = labels.reshape(n, -1)
    mask = valid_mask(y)
    p = p * mask.unsqueeze(1)
    t = F.one_hot((y * mask).long(), c).permute(0, 2, 1) * mask.unsqueeze(1)
    t = t.to(p.dtype)
    intersection = (p * t).sum(dim=(0, 2))
    cardinality = (p + t).sum(dim=(0, 2))
    score = (2.0 * intersection) / cardinality.clamp_min(eps)
    loss = (1.0 - score) * (t.sum(dim=(0, 2)) > 0).to(p.dtype)
    if weights is not None:
        return (loss * weights).sum() / weights.sum()
    return loss.mean()


def focal(z, labels, weights=None, gamma=2.0):
    c = z.shape[1]
    keep = valid_mask(labels)
    losses = []
    for k in range(c):
        x = z[:, k][keep]
        t = (labels[keep] == k).to(z.dtype)
        logpt = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        pt = torch.exp(-logpt)
        losses.append(((1.0 - pt).pow(gamma) * logpt).mean())
    losses = torch.stack(losses)
    if weights is not None:
        return (losses * weights).sum() / weights.sum()
    return losses.mean()


def lovasz_grad(gt_sorted):
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if len(gt_sorted) > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz(z, labels, weights=None):
    assert weights is None
    c = z.shape[1]
    p = z.softmax(dim=1).movedim(1, -1).reshape(-1, c)
    y = labels.reshape(-1)
    keep = valid_mask(y)
    p, y = p[keep], y[keep]
    losses = []
    for k in range(c):
        fg = (y == k).to(p.dtype)
        if fg.sum() == 0:
            continue
        errors = (fg - p[:, k]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
    return sum(losses) / len(losses) if losses else z.sum() * 0.0


# Terms stored for every case: (name, function, uses class weights, extra arguments).
TERMS = [
    ("ce", ce, False, {}),
    ("ce_w", ce, True, {}),
    ("dice", dice, False, {}),
    ("dice_w", dice, True, {}),
    ("focal", focal, False, {}),
    ("focal_w", focal, True, {}),
    ("focal_g05", focal, False, {"gamma": 0.5}),
    ("lovasz", lovasz, False, {}),
]
# A mixed loss, as `--loss ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:0.75 --class-weights …`.
MIX_SPEC = "ce:1,dice:0.5,focal:0.25:gamma=3,lovasz:0.75"


def mix(z, labels, weights):
    return (ce(z, labels, weights) + 0.5 * dice(z, labels, weights) + 0.25 * focal(z, labels, weights, gamma=3.0)
            + 0.75 * lovasz(z, labels))


def make_case(gen, classes, height, width, absent):
    n = 2
    z32 = (torch.randn(n, classes, height, width, generator=gen, dtype=torch.float64) * 2.0).to(torch.float32)
    labels = torch.randint(0, classes, (n, height, width), generator=gen)
    labels[labels == absent] = (absent + 1) % classes  # one class absent from the batch
    ignored = torch.rand(n, height, width, generator=gen) < 0.15
    labels[ignored] = IGNORE
    weights = 0.2 + 1.8 * torch.rand(classes, generator=gen, dtype=torch.float64)
    return z32, labels, weights.to(torch.float32).to(torch.float64)


def value_and_grad(fn, z32, labels, weights, **kw):
    z = z32.to(torch.float64).requires_grad_()
    loss = fn(z, labels, weights, **kw)
    loss.backward()
    return loss.detach(), z.grad


def check_against_smp(z32, labels, weights):
    """If smp is installed, our formulas must equal its losses (imported without its model zoo)."""
    try:
        spec = importlib.util.find_spec("segmentation_models_pytorch")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return False
    package = types.ModuleType("smp_losses")
    package.__path__ = [os.path.join(spec.submodule_search_locations[0], "losses")]
    sys.modules["smp_losses"] = package
    smp_dice = importlib.import_module("smp_losses.dice")
    smp_focal = importlib.import_module("smp_losses.focal")
    smp_lovasz = importlib.import_module("smp_losses.lovasz")
    z = z32.to(torch.float64)
    w = weights.tolist()
    pairs = [
        (dice(z, labels), smp_dice.DiceLoss("multiclass", ignore_index=IGNORE)(z, labels)),
        (dice(z, labels, weights), smp_dice.DiceLoss("multiclass", ignore_index=IGNORE, class_weights=w)(z, labels)),
        (focal(z, labels), smp_focal.FocalLoss("multiclass", ignore_index=IGNORE)(z, labels)),
        (focal(z, labels, weights), smp_focal.FocalLoss("multiclass", ignore_index=IGNORE, class_weights=w)(z, labels)),
    ]
    # smp keeps class weights in float32 (its weighted means differ from float64 by ~1e-8).
    for ours, theirs in pairs:
        assert abs(float(ours) - float(theirs)) <= 1e-6 * max(1.0, abs(float(theirs))), (float(ours), float(theirs))
    # smp's Lovász gradient vector is float32 (`.float()`), so it runs on float32 only.
    ours, theirs = lovasz(z, labels), smp_lovasz.LovaszLoss("multiclass", ignore_index=IGNORE)(z32, labels)
    assert abs(float(ours) - float(theirs)) <= 1e-5 * max(1.0, abs(float(theirs))), (float(ours), float(theirs))
    return True


def main():
    gen = torch.Generator().manual_seed(14)
    fixtures = {}
    checked = False
    # (classes, height, width, absent class): sizes not multiples of 32, odd and even.
    for classes, height, width, absent in [(3, 5, 7, 1), (11, 9, 6, 4), (21, 6, 11, 20)]:
        case = f"c{classes}"
        z32, labels, weights = make_case(gen, classes, height, width, absent)
        assert (labels == IGNORE).any() and not (labels == absent).any()
        fixtures[f"{case}.logits"] = z32.numpy()
        fixtures[f"{case}.labels"] = labels.to(torch.int32).numpy()
        fixtures[f"{case}.weights"] = weights.to(torch.float32).numpy()
        for name, fn, weighted, kw in TERMS:
            loss, grad = value_and_grad(fn, z32, labels, weights if weighted else None, **kw)
            fixtures[f"{case}.{name}.loss"] = loss.reshape(1).to(torch.float32).numpy()
            fixtures[f"{case}.{name}.grad"] = grad.to(torch.float32).numpy()
        loss, grad = value_and_grad(mix, z32, labels, weights)
        fixtures[f"{case}.mix.loss"] = loss.reshape(1).to(torch.float32).numpy()
        fixtures[f"{case}.mix.grad"] = grad.to(torch.float32).numpy()
        checked = check_against_smp(z32, labels, weights) or checked
    safetensors_io.write(OUT, fixtures, metadata={"torch": torch.__version__, "mix": MIX_SPEC})
    print(f"wrote {os.path.normpath(OUT)} ({len(fixtures)} tensors)"
          + ("; formulas equal segmentation_models_pytorch's" if checked else "; smp not installed, not cross-checked"))


if __name__ == "__main__":
    main()
