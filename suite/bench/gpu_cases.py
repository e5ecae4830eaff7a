"""The operator cases of the GPU run: each is one shape of one `suite.ops` op and the forms that compute it.

Per case: ``ours: <backend>`` for every backend registered for the op in `suite.ops.registry` that fits the
device (iterated, so a new backend appears without a change here; backends that are not Numba kernels, such
as the reconstructed-dense one, also in TF32, since they follow the user's precision flags), ``auto``, the op's
torch reference in NCHW and channels-last and under torch.compile (channels-last) — PyTorch's factorized
forms —, for the CP conv also PyTorch's conv3d chain and TensorLy-Torch's `FactorizedConv` (factorized and
reconstructed), and the dense layer it replaces in float32 (NCHW, channels-last), TF32 and bf16 autocast.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from suite import ops
from suite.bench import shapes as S
from suite.bench.forms import Form, to_cl


@dataclass
class GpuCase:
    group: str
    op: str  # the suite.ops op
    label: str  # the shape
    make: Callable[[str], list[Form]]  # device -> forms
    macs: int  # the papers' multiplication count of the factorized operator
    dense_macs: int
    bytes: int  # minimum forward traffic: x read, output written, weights read (float32)
    info: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.group} | {self.label}"


def _public(op: str, backend: str) -> Callable:
    """The public op on `backend`, called with the registry's positional arguments."""
    if op == "single_basis_step":
        return lambda x, basis, proj, b1, b2, res: ops.single_basis_step(x, basis, proj, bias1=b1, bias2=b2,
                                                                         residual=res, backend=backend)
    if backend not in ops.BACKENDS:  # registered, not (yet) accepted by the public ops' argument check
        from suite.ops import registry

        return lambda *args: registry.call(op, backend, *args)
    return lambda *args: getattr(ops, op)(*args, backend=backend)


def registered_forms(op: str, args: tuple, device: str) -> list[Form]:
    """``ours: <backend>`` for every registered backend of `op` that fits x (TF32 too where it is not Numba),
    then ``auto``; ``fact:`` the torch reference NCHW / channels-last / compiled."""
    from suite.ops import registry

    x, device_type = args[0], torch.device(device).type
    forms = []
    for backend, impl in registry.implementations(op).items():
        if backend == "torch" or impl.device not in (None, device_type):
            continue
        if not impl.fits(x):
            forms.append(Form(f"ours: {backend}", None, skip=f"{backend} is not available on this machine"))
            continue
        forms.append(Form(f"ours: {backend}", _public(op, backend), args, candidate=impl.auto))
        if not backend.startswith("numba"):
            forms.append(Form(f"ours: {backend} tf32", _public(op, backend), args, mode="tf32"))
    reference = registry.implementations(op)["torch"].fn
    cl_args = tuple(to_cl(a) if isinstance(a, torch.Tensor) else a for a in args)
    return forms + [Form("auto", _public(op, "auto"), args),
                    Form("fact: torch backend NCHW", _public(op, "torch"), args, candidate=True),
                    Form("fact: torch backend channels_last", _public(op, "torch"), cl_args),
                    Form("fact: compile channels_last", reference, cl_args, compile=True)]


def dense_forms(conv: Callable, x: torch.Tensor, w: torch.Tensor, bias=None) -> list[Form]:
    """The dense layer: float32 NCHW and channels-last, TF32 and bf16 autocast (channels-last)."""
    xc, wc = to_cl(x), to_cl(w)
    args = (x, w) if bias is None else (x, w, bias)
    cl = (xc, wc) if bias is None else (xc, wc, bias)
    return [Form("dense: fp32 NCHW", conv, args), Form("dense: fp32 channels_last", conv, cl),
            Form("dense: tf32 channels_last", conv, cl, mode="tf32"),
            Form("dense: bf16 autocast channels_last", conv, cl, mode="bf16")]


def _randn(g, *shape, scale=1.0, device="cpu"):
    return (torch.randn(*shape, generator=g) * scale).to(device)


def single_basis_case(N, C, H, k=3) -> GpuCase:
    """The fused single-basis step (FCNN Alg. 3 with BatchNorm folded): relu(x + P·(x ⋆ₘ basis + b1) + b2)."""

    def make(device):
        g = torch.Generator().manual_seed(0)
        x = _randn(g, N, C, H, H, device=device)
        basis, proj = _randn(g, C, k, k, scale=1 / k, device=device), _randn(g, C, C, scale=C**-0.5, device=device)
        b1, b2 = _randn(g, C, scale=0.1, device=device), _randn(g, C, scale=0.1, device=device)
        dense_w = _randn(g, C, C, k, k, scale=(C * k * k) ** -0.5, device=device)

        def dense(x_, w_, b_):  # the k×k conv + BN (folded into the bias) + ReLU it replaces
            return torch.relu(F.conv2d(x_, w_, b_, padding=k // 2))

        return registered_forms("single_basis_step", (x, basis, proj, b1, b2, True), device) + \
            dense_forms(dense, x, dense_w, b2)

    hw = H * H
    return GpuCase("single-basis step (fused)", "single_basis_step", f"N={N} C={C} H=W={H}", make,
                   N * hw * C * (k * k + C), N * hw * C * C * k * k, 4 * (2 * N * C * hw + C * (k * k + C)),
                   {"C": C, "H": H})


def basis_conv_case(N, C, H, b, k=3) -> GpuCase:
    """FCNN Alg. 2, m = n = C, b bases per channel."""

    def make(device):
        g = torch.Generator().manual_seed(0)
        x = _randn(g, N, C, H, H, device=device)
        bases = _randn(g, C, b, k, k, scale=1 / k, device=device)
        proj = _randn(g, C, C, b, scale=(C * b) ** -0.5, device=device)
        dense_w = _randn(g, C, C, k, k, scale=(C * k * k) ** -0.5, device=device)
        return registered_forms("basis_conv2d", (x, bases, proj), device) + \
            dense_forms(lambda x_, w_: F.conv2d(x_, w_, padding=k // 2), x, dense_w)

    hw = H * H
    return GpuCase(f"basis_conv2d (b={b})", "basis_conv2d", f"N={N} C={C} H=W={H}", make,
                   N * hw * C * b * (k * k + C), N * hw * C * C * k * k, 4 * (2 * N * C * hw + C * b * (k * k + C)),
                   {"C": C, "H": H, "b": b})


def topological_case(N, C, H, grid, neighbors) -> GpuCase:
    """FCNN Alg. 4, 1×1, a 2-D channel grid with the Table 3 neighbourhoods."""

    def make(device):
        g = torch.Generator().manual_seed(0)
        x = _randn(g, N, C, H, H, device=device)
        w = _randn(g, *grid, *neighbors, 1, 1, scale=math.prod(neighbors) ** -0.5, device=device)
        dense_w = _randn(g, C, C, 1, 1, scale=C**-0.5, device=device)
        return registered_forms("topological_conv", (x, w, tuple(grid)), device) + \
            dense_forms(F.conv2d, x, dense_w)

    p, hw = math.prod(neighbors), H * H
    shape = f"N={N} C={C} H=W={H} grid={'x'.join(map(str, grid))} nb={'x'.join(map(str, neighbors))}"
    return GpuCase("topological 1x1 (Table 3 grid)", "topological_conv", shape, make, N * hw * C * p,
                   N * hw * C * C, 4 * (2 * N * C * hw + C * p), {"C": C, "H": H})


def cp_case(N, C, R, dims, K=3) -> GpuCase:
    """HO-CP eq. 14-15, 3-D, T = C."""
    T = C

    def make(device):
        from suite.bench.peers import conv3d_chain, tltorch_forms

        g = torch.Generator().manual_seed(0)
        x = _randn(g, N, C, *dims, device=device)
        u_in, u_out = _randn(g, C, R, scale=C**-0.5, device=device), _randn(g, T, R, scale=R**-0.5, device=device)
        spatial = [_randn(g, K, R, scale=K**-0.5, device=device) for _ in dims]
        dense_w = _randn(g, T, C, *([K] * len(dims)), scale=(C * K ** len(dims)) ** -0.5, device=device)
        chain, chain_weights = conv3d_chain(u_in, spatial, u_out, K)
        return (registered_forms("cp_conv", (x, u_in, spatial, u_out), device)
                + [Form("fact: conv3d chain channels_last", chain, (to_cl(x), *map(to_cl, chain_weights)))]
                + tltorch_forms(x, u_in, spatial, u_out, K // 2)
                + dense_forms(lambda x_, w_: F.conv3d(x_, w_, padding=K // 2), x, dense_w))

    V = math.prod(dims)
    return GpuCase("HO-CP 3-D CP conv (K=3, T=C)", "cp_conv", f"N={N} C={C} R={R} D,H,W={','.join(map(str, dims))}",
                   make, N * V * (C * R + R * K * len(dims) + R * T), N * V * C * T * K ** len(dims),
                   4 * (N * V * (C + T) + R * (C + T + K * len(dims))), {"C": C, "R": R})


def op_cases(quick: bool, tiny: bool = False) -> list[GpuCase]:
    """Every operator case: FCNN stages x (single-basis step, basis_conv2d, topological), then HO-CP shapes.
    `tiny`: the CI shapes (a test drives the GPU run's code on the CPU with them)."""
    if tiny:
        (d, nb), (n2, c2, h2), (n3, c3, dims3) = S.SMALL_GRID_2D, S.SMALL_2D, S.SMALL_3D
        return [single_basis_case(n2, c2, h2), basis_conv_case(n2, c2, h2, 2), topological_case(n2, c2, h2, d, nb),
                cp_case(n3, c3, S.SMALL_CP_RANK, dims3)]
    stages = [S.GPU_QUICK_STAGE] if quick else list(S.FCNN_STAGES)
    ranks = [S.GPU_QUICK_CP] if quick else [(C, r) for C in S.HOCP_CHANNELS for r in S.HOCP_RANK_FACTORS]
    out = []
    for C, H in stages:
        out += [single_basis_case(S.FCNN_BATCH, C, H, S.FCNN_KERNEL),
                basis_conv_case(S.FCNN_BATCH, C, H, S.GPU_BASES, S.FCNN_KERNEL),
                topological_case(S.FCNN_BATCH, C, H, *S.FCNN_GRIDS_2D[C])]
    return out + [cp_case(S.HOCP_BATCH, C, r * C, S.HOCP_DIMS, S.HOCP_KERNEL) for C, r in ranks]
