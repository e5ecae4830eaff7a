"""HO-CP operators against the dense 3-D convolution they factorize.

Shapes (suite/bench/shapes.py): a 3-D conv on input (4, C, 16, 32, 32), C = 64 / 128, 3×3×3, T = C, CP rank
R = 3C / 6C; 'small' = (1, 8, 4, 8, 8), R = 16 for CI's quick run. Inputs are float32.
"""
import torch
import torch.nn.functional as F

from ._common import BACKENDS, SHAPES, _OpBenchmark

K = SHAPES.HOCP_KERNEL
N, DIMS = SHAPES.HOCP_BATCH, SHAPES.HOCP_DIMS


def _label(c: int, r: int) -> str:
    return f"N{N}-C{c}-D{'x'.join(map(str, DIMS))}-R{r}"


class _Conv3dBenchmark(_OpBenchmark):
    """A factorized 3-D conv C -> C vs the dense 3×3×3 Conv3d, on spec (N, C, (D, H, W), rank)."""

    def inputs(self, spec, device):
        n, c, d, r = spec
        x = torch.randn(n, c, *d, device=device)
        channel_in = torch.randn(c, r, device=device) / c**0.5
        channel_out = torch.randn(c, r, device=device) / r**0.5
        return [x, channel_in, channel_out, self.middle(c, r, len(d), device)]

    def dense(self, spec, device):
        n, c, d = spec[:3]
        x = torch.randn(n, c, *d, device=device)
        w = torch.randn(c, c, K, K, K, device=device) / (c * K**3) ** 0.5

        def call():
            return F.conv3d(x, w, padding=K // 2)

        return call


class CPConv3d(_Conv3dBenchmark):
    """HO-CP eq. 14-15 (Alg. 1) for n = 3: 1×1 C -> R, depthwise 1-D conv along each mode, 1×1 R -> T.
    Multiplications per position: C·R + 3·K·R + R·T."""

    OP = "cp_conv"
    SHAPES = {
        "small": (*SHAPES.SMALL_3D, SHAPES.SMALL_CP_RANK),
        **{_label(c, f * c): (N, c, DIMS, f * c) for c in SHAPES.HOCP_CHANNELS for f in SHAPES.HOCP_RANK_FACTORS},
    }
    params = [list(SHAPES), BACKENDS]

    def middle(self, c, r, n, device):
        return [torch.randn(K, r, device=device) / K**0.5 for _ in range(n)]

    def inputs(self, spec, device):
        x, channel_in, channel_out, spatial = super().inputs(spec, device)
        return [x, channel_in, spatial, channel_out]

    def flops(self, spec):
        n, c, d, r = spec
        return 2 * n * d[0] * d[1] * d[2] * (c * r + len(d) * K * r + r * c)


class TuckerConv3d(_Conv3dBenchmark):
    """HO-CP eq. 12 for n = 3 with ranks R_C = R_T = C/2: 1×1 C -> R_C, dense 3×3×3 core, 1×1 R_T -> T.
    Multiplications per position: C·R_C + R_T·R_C·K³ + R_T·T."""

    OP = "tucker_conv"
    SHAPES = {"small": (*SHAPES.SMALL_3D, SHAPES.SMALL_TUCKER_RANK),
              _label(64, 32): (N, 64, DIMS, 32)}
    params = [list(SHAPES), BACKENDS]

    def middle(self, c, r, n, device):
        return torch.randn(r, r, *(K,) * n, device=device) / (r * K**n) ** 0.5

    def inputs(self, spec, device):
        x, channel_in, channel_out, core = super().inputs(spec, device)
        return [x, core, channel_in, channel_out]

    def flops(self, spec):
        n, c, d, r = spec
        return 2 * n * d[0] * d[1] * d[2] * (c * r + r * r * K**3 + r * c)
