"""FCNN Table 1's stage conv{2,3,4}_x: the standard (1, n) convolution across stages, then the stage's blocks."""
from __future__ import annotations

from torch import nn

from .conv_bn_act import conv_bn_relu


class Stage(nn.Module):
    """conv{2,3,4}_x: the standard (1, n) conv across stages, then the stage's (substituted) blocks.

    "We leave the 7 × 7 convolutional layer in the first stage and the 1 × 1 convolutional layers across
    stages the same" (FCNN Section 3): `proj` stays standard in every model, `blocks` are substituted.
    """

    def __init__(self, cin: int, cout: int, blocks: list[nn.Module]):
        super().__init__()
        self.proj = conv_bn_relu(cin, cout, 1)
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(self.proj(x))
