"""N-D 'same' cross-correlation for any number of spatial dims (torch has only 1-3)."""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

_TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def same_padding(kernel_sizes) -> list[int]:
    return [k // 2 for k in kernel_sizes]


def conv_nd(x: torch.Tensor, weight: torch.Tensor, groups: int = 1, *, generic: bool = False) -> torch.Tensor:
    """Stride-1 zero-'same'-padded cross-correlation, x (N,C,*D), weight (T,C/groups,*K), K odd.

    torch's conv for n <= 3; a sum over kernel offsets for any n (also with ``generic=True``, for tests).
    """
    n = x.ndim - 2
    ks = weight.shape[2:]
    if n in _TORCH_CONV and not generic:
        return _TORCH_CONV[n](x, weight, padding=same_padding(ks), groups=groups)
    if groups != 1:
        raise NotImplementedError("grouped convolution is only needed for n <= 3")
    # Generic path: sum over kernel offsets of a channel contraction of the shifted input.
    pad = []
    for k in reversed(ks):
        pad += [k // 2, k // 2]
    xp = F.pad(x, pad)
    spatial = x.shape[2:]
    out = x.new_zeros((x.shape[0], weight.shape[0], *spatial))
    for offset in itertools.product(*(range(k) for k in ks)):
        window = xp[(slice(None), slice(None), *(slice(o, o + d) for o, d in zip(offset, spatial)))]
        out = out + torch.einsum("tc,nc...->nt...", weight[(slice(None), slice(None), *offset)], window)
    return out


def conv_along(x: torch.Tensor, kernel: torch.Tensor, dim: int) -> torch.Tensor:
    """Depthwise 1-D 'same' cross-correlation of x (N,R,*D) along spatial dim `dim` (0-based),
    channel r with kernel[:, r] (kernel shape (K, R))."""
    n = x.ndim - 2
    R, K = x.shape[1], kernel.shape[0]
    if n in _TORCH_CONV:
        shape = [R, 1] + [1] * n
        shape[2 + dim] = K
        w = kernel.t().reshape(shape)
        padding = [0] * n
        padding[dim] = K // 2
        return _TORCH_CONV[n](x, w, padding=padding, groups=R)
    # Move the mode to the end, fold the rest into the batch, 1-D depthwise conv, fold back.
    moved = x.movedim(2 + dim, -1)
    lead = moved.shape
    flat = moved.movedim(1, -2).reshape(-1, R, lead[-1])
    y = F.conv1d(flat, kernel.t().unsqueeze(1), padding=K // 2, groups=R)
    y = y.reshape(*[lead[0]], *lead[2:-1], R, lead[-1]).movedim(-2, 1)
    return y.movedim(-1, 2 + dim)
