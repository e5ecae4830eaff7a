"""HOSConv's block (HO-CP Table 1): MobileNet-v2's block with two 1-D spatial convolutions."""
from __future__ import annotations

from torch import nn

from .inverted_residual import mobilenet_shortcut


class HOSConvBlock(nn.Module):
    """HOSConv block (HO-CP 4.2): the MobileNet-v2 block "with two separable convolutions along the
    spatial dimensions instead of a single 2D kernel" — HO-CP eq. 16 for N = 2 with rank R = t·C:
    ``BN(Ψ(Ψ(Ψ(X ×₀ U^(C)) ⋆₁ U^(K₀)) ⋆₂ U^(K₁)) ×₀ U^(T))``, Ψ = BN + ReLU, plus the block's skip.

    Written with nn.Conv2d (1×1, 3×1 depthwise, 1×3 depthwise, 1×1) because the strided blocks need a
    stride on the 1-D convolutions (3×1 with stride (s, 1), then 1×3 with stride (1, s)), which
    `suite.layers.HOCPConv` (stride 1) does not take; for stride 1 it computes exactly
    ``BN(HOCPConv(C, T, (3, 3), rank=t·C, norm=True, activation="relu"))`` (tested). Parameters per block:
    R(C + T + 6) + BN, i.e. 3R fewer conv weights than MobileNet-v2's R(C + T + 9).
    """

    def __init__(self, cin: int, cout: int, expansion: int, stride: int):
        super().__init__()
        r = expansion * cin
        self.expand = nn.Sequential(nn.Conv2d(cin, r, 1, bias=False), nn.BatchNorm2d(r), nn.ReLU(inplace=True))
        self.spatial_h = nn.Sequential(
            nn.Conv2d(r, r, (3, 1), stride=(stride, 1), padding=(1, 0), groups=r, bias=False),
            nn.BatchNorm2d(r), nn.ReLU(inplace=True))
        self.spatial_w = nn.Sequential(
            nn.Conv2d(r, r, (1, 3), stride=(1, stride), padding=(0, 1), groups=r, bias=False),
            nn.BatchNorm2d(r), nn.ReLU(inplace=True))
        self.project = nn.Sequential(nn.Conv2d(r, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = mobilenet_shortcut(cin, cout, stride)

    def forward(self, x):
        y = self.project(self.spatial_w(self.spatial_h(self.expand(x))))
        return y if self.shortcut is None else y + self.shortcut(x)
