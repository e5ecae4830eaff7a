"""FCNN's residual unit: convolutions with BatchNorm, ReLU between them, an identity residual around them."""
from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """``relu(x + BN(conv_n(... relu(BN(conv_1(x))) ...)))``: residual around `convs`.

    Model A: "Residual learning is added every two convolutional layers in model A and every
    convolutional layer in model B" (FCNN Section 3).
    """

    def __init__(self, convs: list[nn.Module], channels: int):
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.norms = nn.ModuleList(nn.BatchNorm2d(channels) for _ in convs)

    def forward(self, x):
        h = x
        for i, (conv, bn) in enumerate(zip(self.convs, self.norms)):
            h = bn(conv(h))
            if i < len(self.convs) - 1:
                h = torch.relu(h)
        return torch.relu(x + h)
