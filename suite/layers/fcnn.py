"""FCNN layers (Factorized Convolutional Neural Networks): nn.Modules over `suite.ops`.

Each layer documents its algorithm, reports its exact multiply-accumulates (`macs`) as the paper counts
them, and, where linear, its equivalent dense kernel (`to_dense`).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from ._init import kaiming_variance, normal_, param


def _area(spatial) -> int:
    h, w = spatial
    return int(h) * int(w)


class BasisConv2d(nn.Module):
    """FCNN Alg. 2: convolution with b bases per input channel, then a linear channel projection.

    bases (m, b, k, k), projection (n, m, b); costs h·w·b·m·(k² + n) multiplications (Section 2.2).
    ``norm=True`` puts a BatchNorm on the b·m basis responses G before the projection (FCNN Sec. 3: "batch
    normalization after each convolutional layer", the bases being one), as `SingleBasisConv2d` does after
    its basis; the layer then computes G with a grouped conv (BN needs G) instead of the fused op.
    """

    def __init__(self, in_channels: int, out_channels: int, *, num_bases: int, kernel_size: int,
                 bias: bool = False, norm: bool = False, backend: str = "auto"):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd size ('same' padding), got {kernel_size}")
        m, n, b, k = in_channels, out_channels, num_bases, kernel_size
        self.in_channels, self.out_channels, self.num_bases, self.kernel_size, self.backend = m, n, b, k, backend
        self.bases = param(m, b, k, k)
        self.projection = param(n, m, b)
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None
        self.bn = nn.BatchNorm2d(m * b) if norm else None
        self.reset_parameters()

    def reset_parameters(self):
        # Var(W) = b · Var(bases) · Var(projection) = b · 1/k² · 2/(m b) = 2/(m k²): Kaiming of the dense conv.
        normal_(self.bases, 1.0 / self.kernel_size**2)
        normal_(self.projection, kaiming_variance(self.in_channels * self.num_bases))

    def forward(self, x):
        if self.bn is None:
            y = ops.basis_conv2d(x, self.bases, self.projection, backend=self.backend)
        else:
            m, b, k = self.in_channels, self.num_bases, self.kernel_size
            g = self.bn(F.conv2d(x, self.bases.reshape(m * b, 1, k, k), padding=k // 2, groups=m))  # G[:, j·b + i]
            y = torch.einsum("nchw,oc->nohw", g, self.projection.reshape(self.out_channels, m * b))
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    def to_dense(self) -> torch.Tensor:
        """(n, m, k, k) kernel with W[l, j] = Σ_i projection[l, j, i] · bases[j, i]."""
        if self.bn is not None:
            raise ValueError("to_dense: the layer has BatchNorm between bases and projection and is not a linear conv")
        return torch.einsum("lji,jiuv->ljuv", self.projection, self.bases)

    def macs(self, spatial) -> int:
        return _area(spatial) * self.num_bases * self.in_channels * (self.kernel_size**2 + self.out_channels)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, num_bases={self.num_bases}, kernel_size={self.kernel_size}, "
                f"norm={self.bn is not None}")


class SingleBasisConv2d(nn.Module):
    """One step of FCNN Alg. 3: a single k×k basis per channel, a 1×1 projection, residual, ReLU.

    ``y = relu(R + BN(P · BN(x ⋆ₘ basis)))`` — FCNN Section 3: "batch normalization after each
    convolutional layer and before the ReLU layer". R is x (the identity residual), nothing, or the
    `shortcut` tensor passed to `forward` (Model L's pair adds its own input). With ``norm=False`` it is
    exactly ``suite.ops.single_basis_step``. When ``out_channels != channels`` (Model L's n → n/2 layers)
    there is no identity to add and the residual is off by default. ``topology=(grid, neighbors)`` makes
    the projection FCNN Alg. 4 (`TopologicalConv2d`, 1×1; Model K) instead of a dense 1×1.
    """

    def __init__(self, channels: int, *, kernel_size: int = 3, out_channels: int | None = None,
                 norm: bool = True, residual: bool | None = None, topology=None, backend: str = "auto"):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd size ('same' padding), got {kernel_size}")
        out_channels = channels if out_channels is None else out_channels
        residual = (out_channels == channels) if residual is None else residual
        if residual and out_channels != channels:
            raise ValueError("residual: an identity residual needs out_channels == channels, "
                             f"got {channels} -> {out_channels}")
        if topology is not None and out_channels != channels:
            raise ValueError(f"out_channels: a topological projection keeps the {channels} channels, "
                             f"got {out_channels}")
        self.channels, self.out_channels, self.kernel_size = channels, out_channels, kernel_size
        self.residual, self.backend, self.topology = residual, backend, topology
        self.basis = param(channels, kernel_size, kernel_size)
        if topology is None:
            self.projection = param(out_channels, channels)
        else:
            self.projection = TopologicalConv2d(*topology, kernel_size=1, backend=backend)
        self.bn1 = nn.BatchNorm2d(channels) if norm else None
        self.bn2 = nn.BatchNorm2d(out_channels) if norm else None
        self.reset_parameters()

    def reset_parameters(self):
        normal_(self.basis, 1.0 / self.kernel_size**2)
        if self.topology is None:
            normal_(self.projection, kaiming_variance(self.channels))

    def forward(self, x, shortcut=None):
        residual = self.residual if shortcut is None else shortcut
        if self.bn1 is None and self.topology is None:
            return ops.single_basis_step(x, self.basis, self.projection, residual=residual, backend=self.backend)
        k = self.kernel_size
        g = F.conv2d(x, self.basis.unsqueeze(1), padding=k // 2, groups=self.channels)
        if self.bn1 is not None:
            g = self.bn1(g)
        y = F.conv2d(g, self.projection[:, :, None, None]) if self.topology is None else self.projection(g)
        if self.bn2 is not None:
            y = self.bn2(y)
        if isinstance(residual, torch.Tensor):
            return torch.relu(residual + y)
        return torch.relu(x + y if residual else y)

    def macs(self, spatial) -> int:
        if self.topology is not None:
            return _area(spatial) * self.channels * self.kernel_size**2 + self.projection.macs(spatial)
        return _area(spatial) * self.channels * (self.kernel_size**2 + self.out_channels)

    def extra_repr(self):
        return (f"{self.channels}, out_channels={self.out_channels}, kernel_size={self.kernel_size}, "
                f"residual={self.residual}, norm={self.bn1 is not None}")


class TopologicalConv2d(nn.Module):
    """FCNN Alg. 4: each output channel sees only its `neighbors` window of the channel grid (wrap-around).

    weight (*grid, *neighbors, k, k); channels = prod(grid); costs h·w·m·prod(neighbors)·k² multiplications,
    a fraction prod(neighbors)/m of the dense layer's.
    """

    def __init__(self, grid, neighbors, *, kernel_size: int = 1, bias: bool = False, backend: str = "auto"):
        super().__init__()
        grid, neighbors = tuple(int(d) for d in grid), tuple(int(c) for c in neighbors)
        if len(grid) != len(neighbors) or any(not 1 <= c <= d for c, d in zip(neighbors, grid)):
            raise ValueError(f"neighbors: expected {len(grid)} ints with 1 <= c_i <= d_i for grid {grid}, "
                             f"got {neighbors}")
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd size ('same' padding), got {kernel_size}")
        self.grid, self.neighbors, self.kernel_size, self.backend = grid, neighbors, kernel_size, backend
        self.channels = math.prod(grid)
        self.weight = param(*grid, *neighbors, kernel_size, kernel_size)
        self.bias = nn.Parameter(torch.zeros(self.channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        normal_(self.weight, kaiming_variance(math.prod(self.neighbors) * self.kernel_size**2))

    def forward(self, x):
        y = ops.topological_conv(x, self.weight, self.grid, backend=self.backend)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    def to_dense(self) -> torch.Tensor:
        """(m, m, k, k) dense kernel: zero except where output j connects to input (j + i) mod grid."""
        return ops.topology_kernel(self.weight, self.grid)

    def macs(self, spatial) -> int:
        return _area(spatial) * self.channels * math.prod(self.neighbors) * self.kernel_size**2

    def extra_repr(self):
        return f"grid={self.grid}, neighbors={self.neighbors}, kernel_size={self.kernel_size}"
