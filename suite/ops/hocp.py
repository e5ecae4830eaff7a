"""HO-CP (Efficient N-Dimensional Convolutions via Higher-Order Factorization) operators, pure torch.

CP convolution (eq. 14/15) and Tucker convolution (eq. 12) for any number n ≥ 1 of spatial dims,
cross-correlation with stride 1 and zero 'same' padding (odd kernel sizes).
"""
from __future__ import annotations

import torch

from . import _checks as c
from ._conv import conv_along, conv_nd
from .registry import call, register


def _check_input(x, channel_in, rank: str):
    """Check x (N, C, D_0..D_{n-1}) and channel_in (C, rank). Returns (n, R)."""
    c.check_tensor("x", x)
    if x.ndim < 3:
        c.fail("x", "shape (N, C, D_0, ..., D_{n-1}) with n >= 1 spatial dims", f"{x.ndim}-D tensor of {c.shape_of(x)}")
    C = x.shape[1]
    c.check_tensor("channel_in", channel_in)
    c.check_dims("channel_in", channel_in, (C, None), f"(C, {rank}) with C = {C} (x channels)")
    return x.ndim - 2, channel_in.shape[1]


def _check_cp(x, channel_in, spatial, channel_out):
    n, R = _check_input(x, channel_in, "R")
    if isinstance(spatial, torch.Tensor) or not isinstance(spatial, (list, tuple)):
        c.fail("spatial", f"a list of {n} tensors of shape (K_d, R)", type(spatial).__name__)
    if len(spatial) != n:
        c.fail("spatial", f"a list of {n} tensors (K_d, R), one per spatial dim of x", f"{len(spatial)} tensors")
    for d, f in enumerate(spatial):
        c.check_tensor(f"spatial[{d}]", f)
        c.check_dims(f"spatial[{d}]", f, (None, R), f"(K_{d}, R) with R = {R}")
        c.check_odd_kernel(f"spatial[{d}]", (f.shape[0],))
    c.check_tensor("channel_out", channel_out)
    c.check_dims("channel_out", channel_out, (None, R), f"(T, R) with R = {R}")
    c.check_same(x, channel_in=channel_in, channel_out=channel_out,
                 **{f"spatial[{d}]": f for d, f in enumerate(spatial)})


@register("cp_conv", "torch", dtypes=None)
def cp_conv_reference(x, channel_in, spatial, channel_out):
    h = torch.einsum("cr,nc...->nr...", channel_in, x)  # X ×₀ U^(C): 1×1 conv C → R
    for d, factor in enumerate(spatial):
        h = conv_along(h, factor, d)  # ⋆_d U^(K_d): depthwise 1-D conv along mode d
    return torch.einsum("tr,nr...->nt...", channel_out, h)  # ×₀ U^(T): 1×1 conv R → T


def cp_conv(x, channel_in, spatial, channel_out, *, backend="auto"):
    """HO-CP eq. 14–15, higher-order CP convolution for any number n ≥ 1 of spatial dims.

    x (N, C, D_0..D_{n-1}), channel_in (C, R), spatial: n tensors (K_d, R), channel_out (T, R).
    Equals the dense N-D convolution with kernel
    ``W[t, c, k_0, ...] = Σ_r channel_out[t, r] · channel_in[c, r] · Π_d spatial[d][k_d, r]``,
    computed as a 1×1 conv to R channels, one depthwise 1-D conv per mode, and a 1×1 conv to T.
    """
    c.check_backend(backend)
    _check_cp(x, channel_in, spatial, channel_out)
    return call("cp_conv", backend, x, channel_in, list(spatial), channel_out)


def _check_tucker(x, core, channel_in, channel_out):
    n, RC = _check_input(x, channel_in, "R_C")
    c.check_tensor("core", core)
    c.check_dims("core", core, (None, RC) + (None,) * n,
                 f"(R_T, R_C, K_0..K_{n - 1}) with R_C = {RC} and {n} kernel dims")
    c.check_odd_kernel("core", core.shape[2:])
    c.check_tensor("channel_out", channel_out)
    c.check_dims("channel_out", channel_out, (None, core.shape[0]), f"(T, R_T) with R_T = {core.shape[0]}")
    c.check_same(x, core=core, channel_in=channel_in, channel_out=channel_out)


@register("tucker_conv", "torch", dtypes=None)
def tucker_conv_reference(x, core, channel_in, channel_out):
    h = torch.einsum("cr,nc...->nr...", channel_in, x)  # X ×₀ U^(C)
    h = conv_nd(h, core)  # ⋆ G: a small dense conv R_C → R_T
    return torch.einsum("tr,nr...->nt...", channel_out, h)  # ×₀ U^(T)


def tucker_conv(x, core, channel_in, channel_out, *, backend="auto"):
    """HO-CP eq. 12, Tucker convolution ((X ×₀ U^(C)) ⋆ G) ×₀ U^(T) for any n ≥ 1 spatial dims.

    x (N, C, D_0..), core (R_T, R_C, K_0..), channel_in (C, R_C), channel_out (T, R_T). Equals the dense
    convolution with kernel ``W[t, c, k...] = Σ_{a,b} core[a, b, k...] · channel_out[t, a] · channel_in[c, b]``.
    """
    c.check_backend(backend)
    _check_tucker(x, core, channel_in, channel_out)
    return call("tucker_conv", backend, x, core, channel_in, channel_out)


def cp_kernel(channel_in, spatial, channel_out) -> torch.Tensor:
    """The dense kernel (T, C, K_0, ...) that a CP convolution equals (eq. 14)."""
    letters = "abdefghijklmnopqsuvwxyz"[: len(spatial)]
    spec = ",".join(["tr", "cr"] + [f"{s}r" for s in letters]) + "->tc" + letters
    return torch.einsum(spec, channel_out, channel_in, *spatial)


def tucker_kernel(core, channel_in, channel_out) -> torch.Tensor:
    """The dense kernel (T, C, K_0, ...) that a Tucker convolution equals (eq. 7/12)."""
    return torch.einsum("ab...,ta,cb->tc...", core, channel_out, channel_in)
