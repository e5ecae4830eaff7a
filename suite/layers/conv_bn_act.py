"""The standard convolution of both papers' networks: conv (no bias: BN follows), BatchNorm, ReLU."""
from __future__ import annotations

from torch import nn


def conv_bn_relu(cin: int, cout: int, kernel_size: int, stride: int = 1) -> nn.Sequential:
    """FCNN Section 3: "We use batch normalization after each convolutional layer and before the ReLU layer"."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride=stride, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))
