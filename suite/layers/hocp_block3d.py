"""HO-CP ConvNet's block: a 3-D HO-CP convolution with Alg. 1's optional skip."""
from __future__ import annotations

from torch import nn

from .hocp import PSI, HOCPConv

SKIPS = ("projection", "identity")


class HOCPBlock3d(nn.Module):
    """HO-CP convolution (Alg. 1, eq. 16) with optional skip: ``HOCPConv(x) [+ skip(x)]``.

    ``skip="projection"`` (default, Alg. 1: "if Skip-connection then return H + X ×₀ U^(S)"): U^(S) ∈ R^{T×C}
    (inside `HOCPConv`) on every block, 1,287,320 conv parameters for HO-CP ConvNet-S, 7 % above the 1.2M of
    Table 2. ``skip="identity"`` (the variant ``hocp-convnet-s-identity-skip``): U^(S) only where the channel
    count changes, a parameter-free identity on the last block (256 -> 256), as in ResNet: 1,221,784, the
    reading that matches Table 2's 1.2M. ``psi``: `HOCPConv`'s Ψ order ("alg1" or "eq16"), or None: no Ψ at all,
    linear CP factors (eq. 15 instead of eq. 16; the ablation ``hocp-convnet-no-psi``, experiment hocp-psi-ablation).
    """

    def __init__(self, cin: int, cout: int, *, rank: int, activation: str, skip: str | None, psi: str | None,
                 backend: str):
        super().__init__()
        if skip not in (None, *SKIPS):
            raise ValueError(f"skip: expected None or one of {SKIPS}, got {skip!r}")
        self.identity = skip == "identity" and cin == cout
        linear = psi is None  # HOCPConv without BN and activation is eq. 15's linear CP convolution
        self.conv = HOCPConv(cin, cout, 3, dim=3, rank=rank, norm=not linear,
                             activation=None if linear else activation, psi=PSI[1] if linear else psi,
                             skip=skip is not None and not self.identity, backend=backend)

    def forward(self, x):
        y = self.conv(x)
        return y + x if self.identity else y
