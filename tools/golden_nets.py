"""The PyTorch nets the whole-model golden fixtures are made from (tools/make_model_golden.py,
tools/make_model_golden_matrix.py), at swift-fcn's `width` / `fc` options, and the input pattern
both sides generate.

* `narrow_seed_fcn(seed_fcn, width, fc)`: the course class (shared/reference/seed_fcn.py) with
  every channel count scaled; `forward` and `make_block` are the original's (shared
  `upsample_double` included).
* `PaperVariant`: wkentaro/pytorch-fcn's FCN32s, FCN16s, FCN8s and FCN8sAtOnce on
  tools/paper_fcn.py's backbone. The deconvolutions FCN8s lacks (upscore, upscore16) start
  bilinear, as swift-fcn initialises them.
"""
import numpy as np
import torch
import torch.nn as nn

import paper_fcn


def channels(c, width):
    """swift-fcn's ModelConfig.blockChannels: max(1, Int((Double(c) * width).rounded()))."""
    return max(1, int(round(c * width)))


def pattern(shape, salt):
    """Values in [-1, 1) that are exact in float32: (k mod 1021) / 512 - 1 (TestSupport.swift)."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    k = (i * 2654435761 + salt * 97) % 1021
    return torch.from_numpy((k.astype(np.float64) / 512 - 1).reshape(shape))


def narrow_seed_fcn(seed_fcn, width, fc):
    """seed_fcn.FCN with every channel count scaled; forward and make_block are inherited."""

    class NarrowSeedFCN(seed_fcn.FCN):
        def __init__(self, num_classes, drop_r, bn_momentum, resolution):
            nn.Module.__init__(self)
            self.resolution = resolution
            c1, c2, c3, c4, c5 = (channels(c, width) for c in (64, 128, 256, 512, 512))
            self.conv1 = self.make_block(3, c1, 2, bn_momentum)
            self.conv2 = self.make_block(c1, c2, 2, bn_momentum)
            self.conv3 = self.make_block(c2, c3, 4, bn_momentum)
            self.conv4 = self.make_block(c3, c4, 4, bn_momentum)
            self.conv5 = self.make_block(c4, c5, 4, bn_momentum)
            self.fc6 = nn.Conv2d(c5, fc, 1)
            self.relu6 = nn.ReLU(True)
            self.drop6 = nn.Dropout2d(drop_r)
            self.fc7 = nn.Conv2d(fc, fc, 1)
            self.relu7 = nn.ReLU(True)
            self.drop7 = nn.Dropout2d(drop_r)
            self.score = nn.Conv2d(fc, num_classes, 1)
            self.upsample32 = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=64, stride=32, padding=16)
            self.pool4_conv = nn.Conv2d(c4, num_classes, kernel_size=1, stride=1, padding=0)
            self.upsample16 = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=32, stride=16, padding=8)
            self.pool3_conv = nn.Conv2d(c3, num_classes, kernel_size=1, stride=1, padding=0)
            self.upsample8 = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=16, stride=8, padding=4)
            self.upsample_double = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=4, stride=2, padding=1)

    return NarrowSeedFCN


def upsample_filt(size):
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    og = np.ogrid[:size, :size]
    return (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)


def bilinear(n, size):
    w = np.zeros((n, n, size, size))
    w[range(n), range(n), :, :] = upsample_filt(size)
    return torch.from_numpy(w).float()


class PaperVariant(paper_fcn.PaperFCN8s):
    """FCN32s ("32s"), FCN16s ("16s"), FCN8s ("8s") or FCN8sAtOnce ("atonce") as in
    wkentaro/pytorch-fcn, with the same module names (every variant owns every module)."""

    def __init__(self, n_class, mode, width, fc):
        super().__init__(n_class, width, fc)
        self.mode = mode
        self.upscore = nn.ConvTranspose2d(n_class, n_class, 64, stride=32, bias=False)
        self.upscore16 = nn.ConvTranspose2d(n_class, n_class, 32, stride=16, bias=False)
        with torch.no_grad():
            self.upscore.weight.copy_(bilinear(n_class, 64))
            self.upscore16.weight.copy_(bilinear(n_class, 32))

    def forward(self, x):
        pool3, pool4, h = self.features(x)
        if self.mode == "32s":
            h = self.upscore(h)
            return h[:, :, 19:19 + x.size()[2], 19:19 + x.size()[3]].contiguous()
        at_once = self.mode == "atonce"
        upscore2 = self.upscore2(h)
        h = self.score_pool4(pool4 * 0.01 if at_once else pool4)
        h = upscore2 + h[:, :, 5:5 + upscore2.size()[2], 5:5 + upscore2.size()[3]]
        if self.mode == "16s":
            h = self.upscore16(h)
            return h[:, :, 27:27 + x.size()[2], 27:27 + x.size()[3]].contiguous()
        upscore_pool4 = self.upscore_pool4(h)
        h = self.score_pool3(pool3 * 0.0001 if at_once else pool3)
        h = upscore_pool4 + h[:, :, 9:9 + upscore_pool4.size()[2], 9:9 + upscore_pool4.size()[3]]
        h = self.upscore8(h)
        return h[:, :, 31:31 + x.size()[2], 31:31 + x.size()[3]].contiguous()
