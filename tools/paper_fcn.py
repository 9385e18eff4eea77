"""The paper's FCN-8s as in the common PyTorch port (wkentaro/pytorch-fcn): conv1_1 pad 100,
ceil-mode pools, 7x7 fc6, crops 5, 9 and 31; with swift-fcn's `width` and `fc` options. Used by
tools/make_model_golden.py (parity fixtures) and tools/bench_pytorch.py (speed baseline)."""
import torch.nn as nn


class PaperFCN8s(nn.Module):
    """wkentaro/pytorch-fcn's FCN8s (names and forward), with a width multiplier and fc width."""

    def __init__(self, n_class, width=1.0, fc=4096):
        super().__init__()
        # swift-fcn: max(1, Int((Double(c) * width).rounded())).
        c = [max(1, int(round(v * width))) for v in (64, 128, 256, 512, 512)]
        blocks = [2, 2, 3, 3, 3]
        cin = 3
        for b, n in enumerate(blocks):
            for j in range(n):
                pad = 100 if (b, j) == (0, 0) else 1
                setattr(self, f"conv{b + 1}_{j + 1}", nn.Conv2d(cin, c[b], 3, padding=pad))
                setattr(self, f"relu{b + 1}_{j + 1}", nn.ReLU(inplace=True))
                cin = c[b]
            setattr(self, f"pool{b + 1}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
        self.blocks = blocks
        self.fc6 = nn.Conv2d(c[4], fc, 7)
        self.relu6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout2d()
        self.fc7 = nn.Conv2d(fc, fc, 1)
        self.relu7 = nn.ReLU(inplace=True)
        self.drop7 = nn.Dropout2d()
        self.score_fr = nn.Conv2d(fc, n_class, 1)
        self.score_pool3 = nn.Conv2d(c[2], n_class, 1)
        self.score_pool4 = nn.Conv2d(c[3], n_class, 1)
        self.upscore2 = nn.ConvTranspose2d(n_class, n_class, 4, stride=2, bias=False)
        self.upscore8 = nn.ConvTranspose2d(n_class, n_class, 16, stride=8, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(n_class, n_class, 4, stride=2, bias=False)

    def features(self, x):
        """pool3, pool4 and the coarse scores (score_fr): what every FCN head starts from."""
        h = x
        for b, n in enumerate(self.blocks):
            for j in range(n):
                h = getattr(self, f"relu{b + 1}_{j + 1}")(getattr(self, f"conv{b + 1}_{j + 1}")(h))
            h = getattr(self, f"pool{b + 1}")(h)
            if b == 2:
                pool3 = h
            if b == 3:
                pool4 = h
        h = self.drop6(self.relu6(self.fc6(h)))
        h = self.drop7(self.relu7(self.fc7(h)))
        return pool3, pool4, self.score_fr(h)

    def forward(self, x):
        pool3, pool4, h = self.features(x)
        h = self.upscore2(h)
        upscore2 = h  # 1/16
        h = self.score_pool4(pool4)
        h = h[:, :, 5:5 + upscore2.size()[2], 5:5 + upscore2.size()[3]]
        h = upscore2 + h
        h = self.upscore_pool4(h)
        upscore_pool4 = h  # 1/8
        h = self.score_pool3(pool3)
        h = h[:, :, 9:9 + upscore_pool4.size()[2], 9:9 + upscore_pool4.size()[3]]
        h = upscore_pool4 + h
        h = self.upscore8(h)
        return h[:, :, 31:31 + x.size()[2], 31:31 + x.size()[3]].contiguous()
