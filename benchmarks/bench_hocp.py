"""HO-CP operators against the dense 3-D convolution they factorize.

Shapes: the HO-CP 3-D conv of issue [5/6], input (4, C, 16, 32, 32), C = 64 / 128, 3×3×3, T = C,
CP rank R = 3C / 6C; 'small' = (1, 8, 4, 8, 8), R = 16 for CI's quick run. Inputs are float32.
"""
import torch
import torch.nn.functional as F

from ._common import BACKENDS, _OpBenchmark

K = 3


def _dense_conv3d(spec, device):
    n, c, d = spec[:3]
    x = torch.randn(n, c, *d, device=device)
    w = torch.randn(c, c, K, K, K, device=device) / (c * K**3) ** 0.5

    def call():
        return F.conv3d(x, w, padding=K // 2)

    return call


class CPConv3d(_OpBenchmark):
    """HO-CP eq. 14-15 (Alg. 1) for n = 3: 1×1 C -> R, depthwise 1-D conv along each mode, 1×1 R -> T.
    Multiplications per position: C·R + 3·K·R + R·T."""

    OP = "cp_conv"
    SHAPES = {
        "small": (1, 8, (4, 8, 8), 16),
        "N4-C64-D16x32x32-R192": (4, 64, (16, 32, 32), 192),
        "N4-C64-D16x32x32-R384": (4, 64, (16, 32, 32), 384),
        "N4-C128-D16x32x32-R384": (4, 128, (16, 32, 32), 384),
        "N4-C128-D16x32x32-R768": (4, 128, (16, 32, 32), 768),
    }
    params = [list(SHAPES), BACKENDS]

    def inputs(self, spec, device):
        n, c, d, r = spec
        x = torch.randn(n, c, *d, device=device)
        channel_in = torch.randn(c, r, device=device) / c**0.5
        spatial = [torch.randn(K, r, device=device) / K**0.5 for _ in d]
        channel_out = torch.randn(c, r, device=device) / r**0.5
        return [x, channel_in, spatial, channel_out]

    def dense(self, spec, device):
        return _dense_conv3d(spec, device)

    def flops(self, spec):
        n, c, d, r = spec
        return 2 * n * d[0] * d[1] * d[2] * (c * r + len(d) * K * r + r * c)


class TuckerConv3d(_OpBenchmark):
    """HO-CP eq. 12 for n = 3 with ranks R_C = R_T = C/2: 1×1 C -> R_C, dense 3×3×3 core, 1×1 R_T -> T.
    Multiplications per position: C·R_C + R_T·R_C·K³ + R_T·T."""

    OP = "tucker_conv"
    SHAPES = {"small": (1, 8, (4, 8, 8), 4), "N4-C64-D16x32x32-R32": (4, 64, (16, 32, 32), 32)}
    params = [list(SHAPES), BACKENDS]

    def inputs(self, spec, device):
        n, c, d, r = spec
        x = torch.randn(n, c, *d, device=device)
        core = torch.randn(r, r, K, K, K, device=device) / (r * K**3) ** 0.5
        channel_in = torch.randn(c, r, device=device) / c**0.5
        channel_out = torch.randn(c, r, device=device) / r**0.5
        return [x, core, channel_in, channel_out]

    def dense(self, spec, device):
        return _dense_conv3d(spec, device)

    def flops(self, spec):
        n, c, d, r = spec
        return 2 * n * d[0] * d[1] * d[2] * (c * r + r * r * K**3 + r * c)
