"""FCNN (Factorized Convolutional Neural Networks) operators, pure torch: the reference.

Algorithms 2, 3 and 4 of the paper, written for NCHW tensors and cross-correlation with stride 1 and
zero 'same' padding (odd k), as the paper's Algorithm 1 assumes.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import _checks as c
from ._dispatch import select


def _check_basis_conv2d(x, bases, projection):
    c.check_tensor("x", x, 4, "shape (N, m, H, W)")
    m = x.shape[1]
    c.check_tensor("bases", bases)
    c.check_dims("bases", bases, (m, None, None, None), f"(m, b, k, k) with m = {m} (x channels)")
    b, k, k2 = bases.shape[1:]
    if k != k2:
        c.fail("bases", f"square kernels (m, b, k, k) with m = {m}", c.shape_of(bases))
    c.check_odd_kernel("bases", (k,))
    c.check_tensor("projection", projection)
    c.check_dims("projection", projection, (None, m, b), f"(n, m, b) = (n, {m}, {b})")
    c.check_same(x, bases=bases, projection=projection)


def basis_conv2d_reference(x, bases, projection):
    m, b, k, _ = bases.shape
    # G[:, j*b + i] = x[:, j] ⋆ bases[j, i]: a depthwise conv with b outputs per input channel.
    g = F.conv2d(x, bases.reshape(m * b, 1, k, k), padding=k // 2, groups=m)
    # out[:, l] = Σ_{j,i} projection[l, j, i] G[:, j*b + i]: a 1×1 conv.
    return F.conv2d(g, projection.reshape(projection.shape[0], m * b, 1, 1))


def basis_conv2d(x, bases, projection, *, backend="auto"):
    """FCNN Algorithm 2, convolutional layer with bases.

    x (N, m, H, W), bases (m, b, k, k), projection (n, m, b) →  (N, n, H, W) with
    ``G[:, j, i] = x[:, j] ⋆ bases[j, i]`` and ``out[:, l] = Σ_j Σ_i projection[l, j, i] · G[:, j, i]``.
    With b = k² it can express any standard k×k convolution; it costs h·w·b·m·(k² + n) multiplications.
    """
    c.check_backend(backend)
    _check_basis_conv2d(x, bases, projection)
    return select("basis_conv2d", backend, x, basis_conv2d_reference)(x, bases, projection)


def _check_single_basis_stack(x, bases, projections):
    c.check_tensor("x", x, 4, "shape (N, m, H, W)")
    m = x.shape[1]
    c.check_tensor("bases", bases)
    c.check_dims("bases", bases, (None, m, None, None), f"(b, m, k, k) with m = {m} (x channels)")
    b, _, k, k2 = bases.shape
    if k != k2:
        c.fail("bases", f"square kernels (b, m, k, k) with m = {m}", c.shape_of(bases))
    c.check_odd_kernel("bases", (k,))
    c.check_tensor("projections", projections)
    c.check_dims("projections", projections, (b, m, m), f"(b, m, m) = ({b}, {m}, {m}) as [out, in]")
    c.check_same(x, bases=bases, projections=projections)


def single_basis_stack_reference(x, bases, projections):
    b, m, k, _ = bases.shape
    out = x
    for i in range(b):
        g = F.conv2d(out, bases[i].unsqueeze(1), padding=k // 2, groups=m)  # ⋆ₘ: one basis per channel
        out = torch.relu(out + F.conv2d(g, projections[i].unsqueeze(-1).unsqueeze(-1)))
    return out


def single_basis_stack(x, bases, projections, *, backend="auto"):
    """FCNN Algorithm 3, convolutional layer as stacked single-basis layers.

    x (N, m, H, W), bases (b, m, k, k), projections (b, m, m) as [out, in].
    ``O = x``; for each i: ``O = relu(O + projections[i] · (O ⋆ₘ bases[i]))`` where ⋆ₘ is the depthwise
    (in-channel) convolution with one k×k basis per channel.
    """
    c.check_backend(backend)
    _check_single_basis_stack(x, bases, projections)
    return select("single_basis_stack", backend, x, single_basis_stack_reference)(x, bases, projections)


def _check_topological_conv(x, weight, grid):
    c.check_tensor("x", x, 4, "shape (N, m, H, W)")
    try:
        if isinstance(grid, (str, bytes)):
            raise TypeError
        grid = tuple(int(d) for d in grid)
    except (TypeError, ValueError):
        c.fail("grid", "a sequence of positive ints (d_1, ..., d_s)", repr(grid))
    if len(grid) == 0 or any(d < 1 for d in grid):
        c.fail("grid", "a non-empty sequence of positive ints (d_1, ..., d_s)", repr(grid))
    m, s = x.shape[1], len(grid)
    if math.prod(grid) != m:
        c.fail("grid", f"dims whose product equals the {m} channels of x", f"{grid} (product {math.prod(grid)})")
    c.check_tensor("weight", weight)
    expected = f"(*grid, *neighbors, k, k) = ({', '.join(map(str, grid))}, c_1..c_{s}, k, k)"
    if weight.ndim != 2 * s + 2 or tuple(weight.shape[:s]) != grid:
        c.fail("weight", expected, c.shape_of(weight))
    neighbors = tuple(weight.shape[s : 2 * s])
    if any(ci < 1 or ci > d for ci, d in zip(neighbors, grid)):
        c.fail("weight", f"{expected} with 1 <= c_i <= d_i", f"neighbors {neighbors} for grid {grid}")
    k, k2 = weight.shape[-2:]
    if k != k2:
        c.fail("weight", f"{expected} with a square k×k kernel", c.shape_of(weight))
    c.check_odd_kernel("weight", (k,))
    c.check_same(x, weight=weight)
    return grid, neighbors


def neighbor_index(grid, neighbors) -> torch.Tensor:
    """(m, prod(neighbors)) source channel of each (output channel j, neighbor i): (j + i) mod grid,
    with channels the row-major flattening of the grid index."""
    out_idx = torch.arange(math.prod(grid)).reshape(grid)
    coords = torch.stack(torch.meshgrid(*(torch.arange(d) for d in grid), indexing="ij"), -1).reshape(-1, len(grid))
    offs = torch.stack(torch.meshgrid(*(torch.arange(c) for c in neighbors), indexing="ij"), -1).reshape(-1, len(grid))
    src = (coords[:, None, :] + offs[None, :, :]) % torch.tensor(grid)
    return out_idx[tuple(src.unbind(-1))]


def topology_kernel(weight, grid, index=None) -> torch.Tensor:
    """Alg. 4 as a dense (m, m, k, k) kernel: zero except where output j connects to input (j + i) mod grid.
    `index` is `neighbor_index(grid, neighbors)` when the caller keeps it cached."""
    s = len(grid)
    neighbors = tuple(weight.shape[s : 2 * s])
    m, p, k = math.prod(grid), math.prod(neighbors), weight.shape[-1]
    idx = (neighbor_index(grid, neighbors) if index is None else index).to(weight.device)
    rows = torch.arange(m, device=weight.device).repeat_interleave(p)
    dense = weight.new_zeros(m, m, k, k)
    return dense.index_put((rows, idx.reshape(-1)), weight.reshape(m * p, k, k), accumulate=True)


def topological_conv_reference(x, weight, grid):
    s = len(grid)
    neighbors = tuple(weight.shape[s : 2 * s])
    m, p, k = math.prod(grid), math.prod(neighbors), weight.shape[-1]
    idx = neighbor_index(grid, neighbors).to(x.device)
    gathered = x[:, idx.reshape(-1)]  # (N, m·p, H, W): the neighbors of output channel j sit at j·p … j·p+p-1
    return F.conv2d(gathered, weight.reshape(m, p, k, k), padding=k // 2, groups=m)


def topological_conv(x, weight, grid, *, backend="auto"):
    """FCNN Algorithm 4, convolution with topological connections, for any number s of grid dims.

    x (N, m, H, W) with m = prod(grid), weight (*grid, *neighbors, k, k) →  (N, m, H, W):
    ``out[:, j] = Σ_{i < neighbors} Σ_{u,v} weight[j, i, u, v] · x[:, (j + i) mod grid, y+u, x+v]``
    (wrap-around at the grid's borders; channel index = row-major flattening of the grid index).
    """
    c.check_backend(backend)
    grid, _ = _check_topological_conv(x, weight, grid)
    return select("topological_conv", backend, x, topological_conv_reference)(x, weight, grid)
