"""FCNN Model L's unit: two single-basis layers n -> n/2 -> n with a residual."""
from __future__ import annotations

import torch
from torch import nn

from .fcnn import SingleBasisConv2d


class SingleBasisPair(nn.Module):
    """Model L's pair: [3,1]+(1, n/2) then [3,1]+(1, n), residual around the pair.

    FCNN Section 3.4: "each single basis convolutional layer with n input channels and n output channels
    is substituted with two single basis layers; The first one has n input channels and n/2 output
    channels; The second one has n/2 input channels and n output channels." Neither layer alone keeps
    its channel count, so an identity residual (Alg. 3 (a)) only fits around the pair (n -> n), as in a
    ResNet bottleneck; a projection shortcut would add parameters and multiplications the paper's
    470M / 2.8M do not leave room for. ``relu(x + B₂(relu(B₁(x))))`` with B the single-basis layers
    (`SingleBasisConv2d`; the second adds the pair's input as its residual).

    ``residual="layer"`` (variant): Alg. 3's residual on each layer, with parameter-free shortcuts for the
    changed channel counts: the reducing layer adds the sum of its input's two channel halves (x[:n/2] +
    x[n/2:]), the expanding layer its input repeated twice; additions only, so the same multiplications
    and parameters as the pair reading.
    """

    RESIDUALS = ("pair", "layer")

    def __init__(self, channels: int, *, kernel_size: int = 3, residual: str = "pair", backend: str = "auto"):
        super().__init__()
        if channels % 2:
            raise ValueError(f"channels: Model L halves the channels inside a pair, expected an even count, "
                             f"got {channels}")
        if residual not in self.RESIDUALS:
            raise ValueError(f"residual: expected one of {self.RESIDUALS}, got {residual!r}")
        half = channels // 2
        self.residual = residual
        self.reduce = SingleBasisConv2d(channels, out_channels=half, kernel_size=kernel_size, residual=False,
                                        backend=backend)
        self.expand = SingleBasisConv2d(half, out_channels=channels, kernel_size=kernel_size, residual=False,
                                        backend=backend)

    def forward(self, x):
        if self.residual == "pair":
            return self.expand(self.reduce(x), shortcut=x)
        half = x.shape[1] // 2
        h = self.reduce(x, shortcut=x[:, :half] + x[:, half:])
        return self.expand(h, shortcut=torch.cat([h, h], dim=1))

    def extra_repr(self):
        return f"residual={self.residual!r}"
