"""`backend="reconstructed"`: every op as ONE dense convolution on the kernel rebuilt from its factors.

TensorLy-Torch's "reconstructed" form. It is the same operator (the papers' equivalences: HO-CP eq. 7/14,
FCNN Alg. 2–4 as dense kernels), differentiable through the rebuild, and can be the fastest form wherever
dense convolutions get the tensor cores. Plain torch ops only, so it follows the user's precision settings
(TF32 flags, autocast) exactly as the torch reference does, and `backend="auto"` measures it beside the
reference (also under autocast); it is never `auto`'s fixed choice (`suite.ops.registry.auto_backend`).

- `cp_conv`: `cp_kernel` (eq. 14) then `conv_nd`;  `tucker_conv`: `tucker_kernel` (eq. 7/12) then `conv_nd`.
- `basis_conv2d` (Alg. 2): `dense_from_bases`, W[l, j] = Σ_i projection[l, j, i] · bases[j, i], then conv2d.
- `single_basis_step` / `single_basis_stack` (Alg. 3): W = P·diag(basis), W[o, c] = P[o, c] · basis[c],
  one conv2d, then the biases, the residual and the ReLU.
- `topological_conv` (Alg. 4): the masked kernel `topology_kernel`, then conv2d.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._conv import conv_nd
from .fcnn import step_output, topology_kernel
from .hocp import cp_kernel, tucker_kernel
from .registry import register

BACKEND = "reconstructed"


def dense_from_bases(bases: torch.Tensor, projection: torch.Tensor) -> torch.Tensor:
    """FCNN Alg. 2 as a dense (n, m, k, k) kernel: W[l, j] = Σ_i projection[l, j, i] · bases[j, i]."""
    return torch.einsum("lji,jiuv->ljuv", projection, bases)


def single_basis_kernel(basis: torch.Tensor, projection: torch.Tensor) -> torch.Tensor:
    """P·diag(basis): the dense (n, m, k, k) kernel of `projection · (x ⋆ₘ basis)`."""
    return projection[:, :, None, None] * basis[None]


@register("cp_conv", BACKEND, dtypes=None)
def cp_conv_reconstructed(x, channel_in, spatial, channel_out):
    return conv_nd(x, cp_kernel(channel_in, spatial, channel_out))


@register("tucker_conv", BACKEND, dtypes=None)
def tucker_conv_reconstructed(x, core, channel_in, channel_out):
    return conv_nd(x, tucker_kernel(core, channel_in, channel_out))


@register("basis_conv2d", BACKEND, dtypes=None)
def basis_conv2d_reconstructed(x, bases, projection):
    k = bases.shape[-1]
    return F.conv2d(x, dense_from_bases(bases, projection), padding=k // 2)


def _step(x, basis, projection, bias1, bias2, residual):
    k = basis.shape[-1]
    y = F.conv2d(x, single_basis_kernel(basis, projection), padding=k // 2)
    if bias1 is not None:
        y = y + (projection @ bias1).view(1, -1, 1, 1)
    return step_output(y, x, bias2, residual)


@register("single_basis_step", BACKEND, dtypes=None)
def single_basis_step_reconstructed(x, basis, projection, bias1, bias2, residual):
    return _step(x, basis, projection, bias1, bias2, residual)


@register("single_basis_stack", BACKEND, dtypes=None)
def single_basis_stack_reconstructed(x, bases, projections):
    out = x
    for i in range(bases.shape[0]):
        out = _step(out, bases[i], projections[i], None, None, True)
    return out


@register("topological_conv", BACKEND, dtypes=None)
def topological_conv_reconstructed(x, weight, grid, pads=None):
    k = weight.shape[-1]
    if pads is not None:
        return F.conv2d(F.pad(x, pads), topology_kernel(weight, tuple(grid)))
    return F.conv2d(x, topology_kernel(weight, tuple(grid)), padding=k // 2)
