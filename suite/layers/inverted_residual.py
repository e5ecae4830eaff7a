"""MobileNet-v2's inverted residual block (CIFAR variant), HO-CP Table 1's baseline block."""
from __future__ import annotations

from torch import nn


def mobilenet_shortcut(cin: int, cout: int, stride: int) -> nn.Module | None:
    """MobileNet-v2 (CIFAR variant) skip: identity when shapes agree, 1×1 conv + BN when only the
    channel count changes, none for strided blocks."""
    if stride != 1:
        return None
    if cin == cout:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))


class InvertedResidual(nn.Module):
    """MobileNet-v2 block: 1×1 expand (C -> tC), 3×3 depthwise, 1×1 project, BN after each, ReLU after
    the first two — HO-CP eq. 13 / Figure 4: a CP convolution of rank R = t·C whose spatial factors are
    merged into one depthwise kernel."""

    def __init__(self, cin: int, cout: int, expansion: int, stride: int):
        super().__init__()
        r = expansion * cin
        self.expand = nn.Sequential(nn.Conv2d(cin, r, 1, bias=False), nn.BatchNorm2d(r), nn.ReLU(inplace=True))
        self.spatial = nn.Sequential(nn.Conv2d(r, r, 3, stride=stride, padding=1, groups=r, bias=False),
                                     nn.BatchNorm2d(r), nn.ReLU(inplace=True))
        self.project = nn.Sequential(nn.Conv2d(r, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = mobilenet_shortcut(cin, cout, stride)

    def forward(self, x):
        y = self.project(self.spatial(self.expand(x)))
        return y if self.shortcut is None else y + self.shortcut(x)
