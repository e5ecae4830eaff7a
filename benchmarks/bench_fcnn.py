"""FCNN operators (Alg. 2, 3, 4) against the dense 2-D convolutions they replace.

Shapes (suite/bench/shapes.py): the stages of FCNN Table 1 at N = 32, (C, H) = (128, 36), (256, 18),
(512, 6), plus 'small' (N = 2, C = 16, H = 8) for CI's quick run. Inputs are float32, NCHW.
"""
import torch
import torch.nn.functional as F

from ._common import BACKENDS, SHAPES, _OpBenchmark

K = SHAPES.FCNN_KERNEL
N = SHAPES.FCNN_BATCH
STAGES = {"small": SHAPES.SMALL_2D, **{f"N{N}-C{c}-H{h}": (N, c, h) for c, h in SHAPES.FCNN_STAGES}}


def _grid_label(grid) -> str:
    return "x".join(map(str, grid))


def _dense_conv(spec, device, k):
    """The dense k×k conv C -> C with 'same' padding on an input of the benchmark's shape."""
    n, c, h = spec[:3]
    x = torch.randn(n, c, h, h, device=device)
    w = torch.randn(c, c, k, k, device=device) / (c * k * k) ** 0.5

    def call():
        return F.conv2d(x, w, padding=k // 2)

    return call


class SingleBasisStep(_OpBenchmark):
    """FCNN Alg. 3 with one basis: relu(x + projection · (x ⋆ₘ basis)), vs the dense 3×3 conv.
    Multiplications per position: C·k² (depthwise) + C² (projection)."""

    OP = "single_basis_stack"
    SHAPES = STAGES
    params = [list(SHAPES), BACKENDS]

    def inputs(self, spec, device):
        n, c, h = spec
        x = torch.randn(n, c, h, h, device=device)
        bases = torch.randn(1, c, K, K, device=device) / K
        projections = torch.randn(1, c, c, device=device) / c**0.5
        return [x, bases, projections]

    def dense(self, spec, device):
        return _dense_conv(spec, device, K)

    def flops(self, spec):
        n, c, h = spec
        return 2 * n * h * h * (c * K * K + c * c)


class BasisConv(_OpBenchmark):
    """FCNN Alg. 2 with b = 4 bases of 3×3 (model C), m = n = C, vs the dense 3×3 conv.
    Multiplications: h·w·b·m·(k² + n) per image (FCNN Sec. 3.1)."""

    OP = "basis_conv2d"
    B = 4
    SHAPES = STAGES
    params = [list(SHAPES), BACKENDS]

    def inputs(self, spec, device):
        n, c, h = spec
        x = torch.randn(n, c, h, h, device=device)
        bases = torch.randn(c, self.B, K, K, device=device) / K
        projection = torch.randn(c, c, self.B, device=device) / (c * self.B) ** 0.5
        return [x, bases, projection]

    def dense(self, spec, device):
        return _dense_conv(spec, device, K)

    def flops(self, spec):
        n, c, h = spec
        return 2 * n * h * h * self.B * c * (K * K + c)


class Topological1x1(_OpBenchmark):
    """FCNN Alg. 4, 1×1 topological connections on the 2-D grids of FCNN Table 3 (d1×d2 channels,
    c1×c2 neighbours: a quarter of the dense 1×1 conv's multiplications), vs the dense 1×1 conv."""

    OP = "topological_conv"
    SHAPES = {
        "small": (*SHAPES.SMALL_2D, *SHAPES.SMALL_GRID_2D),
        **{f"N{N}-C{c}-H{h}-grid{_grid_label(SHAPES.FCNN_GRIDS_2D[c][0])}": (N, c, h, *SHAPES.FCNN_GRIDS_2D[c])
           for c, h in SHAPES.FCNN_STAGES},
    }
    params = [list(SHAPES), BACKENDS]

    def inputs(self, spec, device):
        n, c, h, grid, neighbors = spec
        x = torch.randn(n, c, h, h, device=device)
        p = neighbors[0] * neighbors[1]
        weight = torch.randn(*grid, *neighbors, 1, 1, device=device) / p**0.5
        return [x, weight, grid]

    def dense(self, spec, device):
        return _dense_conv(spec, device, 1)

    def flops(self, spec):
        n, c, h, _, neighbors = spec
        return 2 * n * h * h * c * neighbors[0] * neighbors[1]
