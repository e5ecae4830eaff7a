"""FCNN Alg. 4 with an explicit zero padding and any kernel size (Models G, H, J: Model A's k = 2 pairs)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from ._init import kaiming_variance, normal_, param


class PaddedTopologicalConv2d(nn.Module):
    """FCNN Alg. 4 with an explicit zero padding, for any kernel size (Models G, H, J use Model A's k = 2).

    Model A's pairs use k = 2 with no padding, then one pixel. The layer keeps Alg. 4's parameters, weight
    (*grid, *neighbors, k, k), and runs `suite.ops.topological_conv(..., padding=padding)`: output channel j
    sees only inputs (j + i) mod grid, at the topology's cost h'·w'·m·Π c_i·k² (`macs`), a fraction Π c_i / m
    of the dense layer's. `dense_forward` is the same function as one dense convolution with the masked
    kernel `to_dense()` (4× the work for Table 3's 2-D grids): the emulation these models ran before the op
    took even k, kept for checks and for timing the two against each other.
    """

    def __init__(self, grid, neighbors, *, kernel_size: int, padding: int = 0, backend: str = "auto"):
        super().__init__()
        grid, neighbors = tuple(int(d) for d in grid), tuple(int(n) for n in neighbors)
        if len(grid) != len(neighbors) or any(not 1 <= n <= d for n, d in zip(neighbors, grid)):
            raise ValueError(f"neighbors: expected {len(grid)} ints with 1 <= c_i <= d_i for grid {grid}, "
                             f"got {neighbors}")
        if kernel_size < 1 or padding < 0:
            raise ValueError(f"kernel_size/padding: expected kernel_size >= 1 and padding >= 0, "
                             f"got {kernel_size}, {padding}")
        self.grid, self.neighbors, self.kernel_size, self.padding = grid, neighbors, kernel_size, padding
        self.backend = backend
        self.channels = math.prod(grid)
        self.weight = param(*grid, *neighbors, kernel_size, kernel_size)
        self.register_buffer("index", ops.neighbor_index(grid, neighbors), persistent=False)
        normal_(self.weight, kaiming_variance(math.prod(neighbors) * kernel_size**2))

    def to_dense(self) -> torch.Tensor:
        """(m, m, k, k) kernel, zero except where output j connects to input (j + i) mod grid."""
        return ops.topology_kernel(self.weight, self.grid, self.index)

    def _check(self, x):
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"x: expected shape (N, {self.channels}, H, W), got {tuple(x.shape)}")

    def forward(self, x):
        self._check(x)
        return ops.topological_conv(x, self.weight, self.grid, padding=self.padding, backend=self.backend)

    def dense_forward(self, x):
        """The same output as `forward`, as a dense convolution with the masked kernel (the dense layer's cost)."""
        self._check(x)
        return F.conv2d(x, self.to_dense(), padding=self.padding)

    def macs(self, spatial) -> int:
        h, w = (int(s) + 2 * self.padding - self.kernel_size + 1 for s in spatial)
        return h * w * self.channels * math.prod(self.neighbors) * self.kernel_size**2

    def extra_repr(self):
        return f"grid={self.grid}, neighbors={self.neighbors}, kernel_size={self.kernel_size}, padding={self.padding}"
