"""Finds golden cases whose gradient float32 cannot be expected to reproduce.

A max-pool window whose two largest inputs are closer than rounding, or a ReLU input that close to
zero, sends the gradient one way in PyTorch's float64 and may send it the other way in float32:
the reference is then one arbitrary answer of two. Seen in this matrix: seed-fcn32 at 8 classes
had a pool3 window whose top two differed by 2e-7 of its value, and swift-fcn's conv1 gradient
came out 4% off.

The check: scale every weight and statistic by (1 + EPS * r), r uniform in [-1, 1), EPS = 1e-6
(about 16 float32 ulps, so activations move by several times float32's own rounding), once with
+r and once with -r, for two directions r. Smooth gradients move linearly, so g(+) + g(-) - 2 g
stays at EPS^2; a kink crossed by the perturbation shows up in it at full size. The case is
well-posed if that second difference stays under a tenth of the test's tolerance.
"""
import copy

import torch

EPS = 1e-6


def perturbed(net, direction, sign):
    """A copy of net with every floating state_dict entry scaled by (1 + sign * EPS * r)."""
    net = copy.deepcopy(net)
    gen = torch.Generator().manual_seed(direction)
    with torch.no_grad():
        for t in net.state_dict().values():
            if t.is_floating_point():
                t.mul_(1 + sign * EPS * (2 * torch.rand(t.shape, generator=gen, dtype=t.dtype) - 1))
    return net


def well_posed(net, grads_of, grads, tolerance=1e-5):
    """Whether grads (name -> tensor, = grads_of(net)) are smooth in the weights (see above)."""
    for direction in (1, 2):
        plus, minus = grads_of(perturbed(net, direction, 1)), grads_of(perturbed(net, direction, -1))
        for name, g in grads.items():
            if (plus[name] + minus[name] - 2 * g).abs().max() > tolerance * g.abs().max():
                return False
    return True
