"""The side-by-side comparisons, defined once: each `Case` is one shape (a group) and its forms (the members).

`suite.bench.compare` times them with pytest-benchmark; `python -m suite.bench` drives that run and turns its
JSON into the table with the targets; the memory probe (`python -m suite.bench --memory-child KEY`) rebuilds
a case by its key (`suite.bench.catalog`). Shapes come from `suite.bench.shapes`. This module holds the
operator cases; `suite.bench.model_cases` the models and training steps.

Member names say what each form is: ``ours`` (our kernel, `backend="numba"`), ``fact: ...`` (the same
factorized operator in PyTorch, tltorch's `FactorizedConv` included for the CP conv), ``dense: ...`` (the
dense PyTorch layer it replaces); for models ``ours: ...`` (Model L's forms) and ``base: ...`` (ResNet-18's);
for training steps ``ours: auto`` and ``base: torch``; ``bound: ...`` is not a form but the part of the operator
that limits every form (the single-basis step's projection GEMM alone), timed to say what a target can reach.
A member is a zero-argument callable, or ``(fn, args)`` or ``(fn, args, options)`` for a form built by
`torch.compile` (under the run's compile budget, `suite.bench.compiler.Compiler`; `options` are inductor
settings, e.g. `FREEZING`).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from suite import ops
from suite.bench.compiler import FREEZING

__all__ = ["FREEZING", "Case", "cp_case", "single_basis_case", "topological_case", "tltorch_forms"]


@dataclass
class Case:
    """One benchmark shape: `make()` -> {member: zero-argument callable or (fn, args[, options]) to torch.compile}."""

    kind: str  # "op", "model" or "train"
    group: str
    label: str
    make: Callable[[], dict]
    macs: int = 0  # the papers' multiplication count of the factorized operator (op cases)
    dense_macs: int = 0
    input_bytes: int = 0
    info: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.group} | {self.label}"


def _cl_copy(module):
    """A channels-last copy of `module` (each compiled form gets its own, so compilations never share one)."""
    return copy.deepcopy(module).to(memory_format=torch.channels_last)


def _cl(t):
    return t.contiguous(memory_format=torch.channels_last if t.ndim == 4 else torch.channels_last_3d)


# ---------------------------------------------------------------- operators
def single_basis_case(N, C, H, k=3) -> Case:
    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(N, C, H, H, generator=g)
        basis = torch.randn(C, k, k, generator=g) / k
        proj = torch.randn(C, C, generator=g) / math.sqrt(C)
        dense_w = torch.randn(C, C, k, k, generator=g) / math.sqrt(C * k * k)
        dw, pw = basis.unsqueeze(1), proj[:, :, None, None]
        xc, dwc, pwc, dense_c = _cl(x), _cl(dw), _cl(pw), _cl(dense_w)
        x2d = xc.permute(0, 2, 3, 1).reshape(-1, C)  # the (N·H·W, C) rows of the channels-last layout (a view)

        def fact(x_, dw_, pw_):
            return torch.relu_(x_ + F.conv2d(F.conv2d(x_, dw_, padding=k // 2, groups=C), pw_))

        def dense(x_, w_):
            return torch.relu_(F.conv2d(x_, w_, padding=k // 2))

        return {"ours": lambda: ops.single_basis_stack(x, basis[None], proj[None], backend="numba"),
                "fact: eager NCHW": lambda: fact(x, dw, pw), "fact: eager channels_last": lambda: fact(xc, dwc, pwc),
                "fact: compile": (fact, (x, dw, pw)), "fact: compile channels_last": (fact, (xc, dwc, pwc)),
                "dense: eager NCHW": lambda: dense(x, dense_w),
                "dense: eager channels_last": lambda: dense(xc, dense_c),
                "dense: compile channels_last": (dense, (xc, dense_c)),
                # not a form of the step: its projection alone (the GEMM every form does), as a channels-last 1x1
                # conv and as one sgemm; the best factorized form / this bounds what any step with a GEMM no
                # faster than torch's can reach
                "bound: projection GEMM only (channels_last 1x1)": lambda: F.conv2d(xc, pwc),
                "bound: projection GEMM only (mm)": lambda: torch.mm(x2d, proj.t())}

    hw = H * H
    return Case("op", "single-basis step relu(x + P·dw3x3(x))", f"N={N} C={C} H=W={H}", make,
                N * hw * C * (k * k + C), N * hw * C * C * k * k, N * C * hw * 4, {"C": C, "H": H})


def topological_case(N, C, H, grid, neighbors) -> Case:
    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(N, C, H, H, generator=g)
        w = torch.randn(*grid, *neighbors, 1, 1, generator=g) / math.sqrt(math.prod(neighbors))
        dense_w = torch.randn(C, C, 1, 1, generator=g) / math.sqrt(C)
        idx = ops.neighbor_index(grid, neighbors)
        m, p = idx.shape
        wflat = w.reshape(m, p, 1, 1)
        gather_idx = idx.reshape(-1)
        xc, dense_c = _cl(x), _cl(dense_w)

        def gather_grouped(x_):  # the reference: gather the neighbors, grouped 1×1 conv
            return F.conv2d(x_[:, gather_idx], wflat, groups=m)

        grid_offsets = torch.cartesian_prod(*(torch.arange(c) for c in neighbors)).reshape(p, -1)
        offs = [tuple(int(o) for o in off) for off in grid_offsets]
        wg = w.reshape(*grid, p)

        def rolled(x_):  # Alg. 4 literally: Σ_i w[:, i] · roll(x, -i) on the channel grid
            xs = x_.reshape(N, *grid, H, H)
            out = torch.zeros_like(xs)
            dims = tuple(range(1, 1 + len(grid)))
            for i, off in enumerate(offs):
                out += wg[..., i].reshape(1, *grid, 1, 1) * torch.roll(xs, [-o for o in off], dims)
            return out.reshape(N, C, H, H)

        return {"ours": lambda: ops.topological_conv(x, w, grid, backend="numba"),
                "fact: eager gather+grouped NCHW": lambda: gather_grouped(x),
                "fact: eager gather+grouped channels_last": lambda: gather_grouped(xc),
                "fact: eager roll": lambda: rolled(x), "fact: compile gather+grouped": (gather_grouped, (x,)),
                "dense: eager NCHW": lambda: F.conv2d(x, dense_w),
                "dense: eager channels_last": lambda: F.conv2d(xc, dense_c),
                "dense: compile channels_last": (F.conv2d, (xc, dense_c))}

    p = math.prod(neighbors)
    return Case("op", "topological 1x1 (FCNN Table 3, 2-D grid)",
                f"N={N} C={C} H=W={H} grid={'x'.join(map(str, grid))} nb={'x'.join(map(str, neighbors))}", make,
                N * H * H * C * p, N * H * H * C * C, N * C * H * H * 4, {"C": C, "H": H})


def tltorch_forms(x, u_in, spatial, u_out, padding) -> dict:
    """tltorch's CP `FactorizedConv` (TensorLy-Torch, by an HO-CP author) on the very same factors, in its
    'factorized' and 'reconstructed' forward modes; {} when tltorch (a bench extra) is not installed."""
    try:
        import tltorch
    except ImportError:
        return {}
    forms = {}
    for impl in ("factorized", "reconstructed"):
        factors = [torch.nn.Parameter(f.clone()) for f in (u_out, u_in, *spatial)]
        cp = tltorch.factorized_tensors.CPTensor(torch.nn.Parameter(torch.ones(u_in.shape[1])), factors)
        layer = tltorch.FactorizedConv.from_factorization(cp, implementation=impl, padding=padding)
        forms[f"fact: tltorch FactorizedConv {impl}"] = (lambda layer_: lambda: layer_(x))(layer)
    return forms


def cp_case(N, C, R, dims, K=3) -> Case:
    T = C

    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(N, C, *dims, generator=g)
        u_in = torch.randn(C, R, generator=g) / math.sqrt(C)
        spatial = [torch.randn(K, R, generator=g) / math.sqrt(K) for _ in dims]
        u_out = torch.randn(T, R, generator=g) / math.sqrt(R)
        dense_w = torch.randn(T, C, *([K] * len(dims)), generator=g) / math.sqrt(C * K ** len(dims))
        xc, dense_c = _cl(x), _cl(dense_w)
        w_in = u_in.t().reshape(R, C, 1, 1, 1)
        w_out = u_out.reshape(T, R, 1, 1, 1)
        w_modes = []
        for d in range(3):
            shape = [R, 1, 1, 1, 1]
            shape[2 + d] = K
            w_modes.append(spatial[d].t().reshape(shape))
        pads = [(K // 2, 0, 0), (0, K // 2, 0), (0, 0, K // 2)]

        def conv_chain(x_, wi, wm, wo):  # 1×1×1 conv → three depthwise 1-D convs → 1×1×1 conv
            h = F.conv3d(x_, wi)
            for w_, pad in zip(wm, pads):
                h = F.conv3d(h, w_, padding=pad, groups=R)
            return F.conv3d(h, wo)

        def dense(x_, w_):
            return F.conv3d(x_, w_, padding=K // 2)

        wic, wmc, woc = _cl(w_in), [_cl(w) for w in w_modes], _cl(w_out)
        return {"ours": lambda: ops.cp_conv(x, u_in, spatial, u_out, backend="numba"),
                "fact: eager einsum (suite.ops reference)":
                    lambda: ops.cp_conv(x, u_in, spatial, u_out, backend="torch"),
                "fact: eager conv3d chain NCDHW": lambda: conv_chain(x, w_in, w_modes, w_out),
                "fact: eager conv3d chain channels_last": lambda: conv_chain(xc, wic, wmc, woc),
                "fact: compile conv3d chain": (conv_chain, (x, w_in, w_modes, w_out)),
                **tltorch_forms(x, u_in, spatial, u_out, K // 2),
                "dense: eager NCDHW": lambda: dense(x, dense_w),
                "dense: eager channels_last": lambda: dense(xc, dense_c),
                "dense: compile channels_last": (dense, (xc, dense_c))}

    V = math.prod(dims)
    return Case("op", "HO-CP 3-D CP conv (K=3, T=C)", f"N={N} C={C} R={R} D,H,W={','.join(map(str, dims))}", make,
                N * V * (C * R + R * K * len(dims) + R * T), N * V * C * T * K ** len(dims), N * C * V * 4,
                {"C": C, "R": R})

