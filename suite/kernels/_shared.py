"""What the Numba CPU and CUDA backends share: tensor checks, the argument-reshaping wrappers around
their `torch.autograd.Function`s, the single-basis stack over steps, bias folding, residual handling,
the topology tables, and their registration in `suite.ops.registry`.

A backend provides four autograd Functions with the same signatures:
`SingleBasisStep(x, basis, projection, bias, res)` (built by `step_function` from the backend's forward
and backward), `BasisConv2d(x, bases, projection)`, `TopologicalConv(x, weight, grid, origin)` (origin
(oy, ox) of the kernel on one H×W grid, None for 'same'; `topology_plane`) and
`CPConv(x, channel_in, channel_out, *spatial)`; `register_backend` turns them into the ops' contract.
"""
from __future__ import annotations

import functools
import os
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from suite.ops import neighbor_index, register

from . import _warm

SUPPORTED_DTYPES = (torch.float32, torch.float64)


def cudasim() -> bool:
    """Whether Numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1, set before numba is imported)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def check_tensors(op: str, backend: str, device: str, device_hint: str, **tensors: torch.Tensor) -> None:
    """ValueError unless every tensor is a float32/float64 tensor on `device`, all of one dtype."""
    first = next(iter(tensors.values())).dtype
    for name, t in tensors.items():
        if t.dtype != first:
            raise ValueError(f"{op} backend={backend!r}: {name} must have the dtype of the other tensors ({first}), "
                             f"got {t.dtype}")
        if t.dtype not in SUPPORTED_DTYPES:
            raise ValueError(f"{op} backend={backend!r}: {name} must be float32 or float64, got {t.dtype}; "
                             "use backend='torch' (or 'auto') for other dtypes")
        if t.device.type != device:
            raise ValueError(f"{op} backend={backend!r}: {name} must be a {device_hint}, got device {t.device}")


def fold_bias(projection: torch.Tensor, bias1, bias2) -> torch.Tensor:
    """P·(dw + b1) + b2 = P·dw + (P·b1 + b2): the one bias (n,) a fused step adds."""
    bias = bias2 if bias2 is not None else projection.new_zeros(projection.shape[0])
    return bias if bias1 is None else bias + projection @ bias1


def residual_tensor(x, residual):
    """The tensor a step adds before its ReLU: x for residual=True, None for False, else the tensor."""
    if isinstance(residual, torch.Tensor):
        return residual
    return x if residual else None


@lru_cache(maxsize=64)
def topology_tables(grid: tuple, neighbors: tuple):
    """(idx, inv): idx[j, i] = source channel of output j's neighbor i ((j + i) mod grid, row-major);
    inv[c, i] = the output j with idx[j, i] = c (each neighbor offset is a bijection of the grid)."""
    idx = neighbor_index(grid, neighbors).numpy().astype(np.int64)
    m, p = idx.shape
    inv = np.empty_like(idx)
    inv[idx, np.arange(p)[None, :]] = np.arange(m)[:, None]
    return idx, inv


def _axis_plane(n: int, k: int, before: int, after: int):
    """One spatial axis of `topology_plane`: (pad_before, pad_after, origin, output length)."""
    out = n + before + after - k + 1
    if out < n:  # the output is shorter than the input: run on the input's length and crop
        return 0, 0, before, out
    origin = min(before, k - 1)  # the output is as long as the padded plane: pad the rest explicitly
    return before - origin, after - (k - 1 - origin), origin, out


def topology_plane(H: int, W: int, k: int, pads) -> tuple:
    """Alg. 4 with an explicit zero padding pads = (left, right, top, bottom) as the kernels' one-grid form:
    out[y, x] = Σ_{u,v} w[u, v]·xs[y+u-oy, x+v-ox] on xs = F.pad(x, plane_pads), zero outside xs, then the
    first H'×W' outputs. Returns (plane_pads, (oy, ox), (H', W')). Where the output is at least as large as
    the input the plane is the output (no wasted pixels: k = 2 with padding 1 pads one side by 1 and puts
    the origin at 1); where it is smaller (k = 2, padding 0) the plane is x itself and the last row and
    column are cropped (the kernels' price for not having a separate output grid)."""
    top, bottom, oy, ho = _axis_plane(H, k, pads[2], pads[3])
    left, right, ox, wo = _axis_plane(W, k, pads[0], pads[1])
    return (left, right, top, bottom), (oy, ox), (ho, wo)


def padded_topological(topo, x: torch.Tensor, weight: torch.Tensor, grid: tuple, pads) -> torch.Tensor:
    """`topo` (a backend's TopologicalConv) with an explicit zero padding: pad x to the plane, run the kernel at
    the plane's origin, crop (torch ops around the Function, so autograd pads/crops the gradients)."""
    k = weight.shape[-1]
    plane_pads, origin, (ho, wo) = topology_plane(x.shape[2], x.shape[3], k, pads)
    xs = F.pad(x, plane_pads) if any(plane_pads) else x
    out = topo.apply(xs, weight, grid, origin)
    if (ho, wo) != tuple(out.shape[2:]):
        out = out[:, :, :ho, :wo].contiguous()
    return out


def step_function(forward: Callable, backward: Callable, check: Callable) -> type:
    """The autograd Function of one fused single-basis step, relu(res + projection·(x ⋆ₘ basis) + bias)
    with res None or a tensor (N, n, H, W), from a backend's `forward(x, basis, projection, bias, res)
    -> out` and `backward(x, basis, projection, out, gy) -> (gx, gbasis, gprojection, gbias, gz)`
    (gz = gy·[out > 0], also the residual's gradient)."""

    class SingleBasisStep(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, basis, projection, bias, res):
            check("single_basis_step", x=x, basis=basis, projection=projection, bias=bias,
                  **({} if res is None else {"residual": res}))
            x = x.contiguous()
            out = forward(x, basis, projection, bias, res)
            ctx.has_res = res is not None
            ctx.save_for_backward(x, basis, projection, out)
            return out

        @staticmethod
        def backward(ctx, gy):
            gx, gbasis, gproj, gbias, gz = backward(*ctx.saved_tensors, gy)
            return gx, gbasis, gproj, gbias, (gz if ctx.has_res else None)

    return SingleBasisStep


def register_backend(backend: str, *, device: str, step, basis, topo, cp, check: Callable,
                     available: Callable[[], bool] | None = None, not_auto=(),
                     prepare: Callable[[], None] | None = None, topo_padded=None) -> None:
    """Register the five kernel ops of one backend (autograd Functions `step`, `basis`, `topo`, `cp`) in
    `suite.ops.registry`. `check(op, **tensors)` is the backend's tensor check; `not_auto`: ops that
    `backend="auto"` must not pick on this backend; `prepare()` runs before every call (cheap after the
    first: e.g. the environment check that turns a known-bad numba-cuda/numpy pair into one clear error).
    `topo_padded`: an autograd Function `(x, weight, grid, pads)` for topological_conv's explicit paddings (else
    `topo` runs them on a padded or cropped plane, `padded_topological`)."""

    def reg(op):
        def deco(fn):
            @functools.wraps(fn)
            def run(*args):
                if prepare is not None:
                    prepare()
                out = fn(*args)
                _warm.mark_call(backend, op, args[0].dtype, out)
                return out

            return register(op, backend, device=device, dtypes=SUPPORTED_DTYPES, auto=op not in not_auto,
                            available=available,
                            compiled=lambda x, grad: _warm.compiled(backend, op, x.dtype, grad))(run)

        return deco

    @reg("single_basis_step")
    def single_basis_step(x, basis, projection, bias1, bias2, residual):
        return step.apply(x, basis, projection, fold_bias(projection, bias1, bias2), residual_tensor(x, residual))

    @reg("single_basis_stack")
    def single_basis_stack(x, bases, projections):
        """FCNN Alg. 3: O = x; O = relu(O + projections[i]·(O ⋆ₘ bases[i])) for each i (fused steps)."""
        check("single_basis_stack", x=x, bases=bases, projections=projections)
        bias = x.new_zeros(bases.shape[1])
        out = x
        for i in range(bases.shape[0]):
            out = step.apply(out, bases[i], projections[i], bias, out)
        return out

    @reg("basis_conv2d")
    def basis_conv2d(x, bases, projection):
        return basis.apply(x, bases, projection)

    @reg("topological_conv")
    def topological_conv(x, weight, grid, pads=None):
        grid = tuple(int(d) for d in grid)
        if pads is None:
            return topo.apply(x, weight, grid, None)
        if topo_padded is not None:
            return topo_padded.apply(x, weight, grid, tuple(pads))
        return padded_topological(topo, x, weight, grid, pads)

    @reg("cp_conv")
    def cp_conv(x, channel_in, spatial, channel_out):
        return cp.apply(x, channel_in, channel_out, *spatial)
