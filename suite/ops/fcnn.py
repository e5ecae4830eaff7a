"""FCNN (Factorized Convolutional Neural Networks) operators, pure torch: the reference.

Algorithms 2, 3 and 4 of the paper, written for NCHW tensors and cross-correlation with stride 1 and
zero 'same' padding (odd k), as the paper's Algorithm 1 assumes; Alg. 4 also takes an explicit zero padding
with any k (Model A's k = 2 pairs in Models G, H, J).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import _checks as c
from .registry import call, register


def _check_kernels(x, name, t, dims, layout):
    """Check x (N, m, H, W) and the k×k kernels `t` of shape `dims` (None: any; -1: m = x's channels,
    last two: k, k with k odd) named as `layout`. Returns m."""
    c.check_tensor("x", x, 4, "shape (N, m, H, W)")
    m = x.shape[1]
    c.check_tensor(name, t)
    expected = tuple(m if d == -1 else d for d in dims)
    c.check_dims(name, t, expected, f"{layout} with m = {m} (x channels)")
    if t.shape[-1] != t.shape[-2]:
        c.fail(name, f"square kernels {layout} with m = {m}", c.shape_of(t))
    c.check_odd_kernel(name, (t.shape[-1],))
    return m


def _check_projection(x, name, t, dims, layout, **others):
    """Check the channel projection `t` (shape `dims`, described as `layout`), then that every tensor
    has x's dtype and device."""
    c.check_tensor(name, t)
    c.check_dims(name, t, dims, layout)
    c.check_same(x, **others, **{name: t})


def _check_basis_conv2d(x, bases, projection):
    m = _check_kernels(x, "bases", bases, (-1, None, None, None), "(m, b, k, k)")
    b = bases.shape[1]
    _check_projection(x, "projection", projection, (None, m, b), f"(n, m, b) = (n, {m}, {b})", bases=bases)


@register("basis_conv2d", "torch", dtypes=None)
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
    return call("basis_conv2d", backend, x, bases, projection)


def _check_single_basis_stack(x, bases, projections):
    m = _check_kernels(x, "bases", bases, (None, -1, None, None), "(b, m, k, k)")
    b = bases.shape[0]
    _check_projection(x, "projections", projections, (b, m, m), f"(b, m, m) = ({b}, {m}, {m}) as [out, in]",
                      bases=bases)


@register("single_basis_stack", "torch", dtypes=None)
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
    return call("single_basis_stack", backend, x, bases, projections)


def _check_single_basis_step(x, basis, projection, bias1, bias2, residual):
    m = _check_kernels(x, "basis", basis, (-1, None, None), "(m, k, k)")
    c.check_tensor("projection", projection)
    c.check_dims("projection", projection, (None, m), f"(n, m) = (n, {m}) as [out, in]")
    n = projection.shape[0]
    others = {"basis": basis, "projection": projection}
    for name, b, size in (("bias1", bias1, m), ("bias2", bias2, n)):
        if b is not None:
            c.check_tensor(name, b)
            c.check_dims(name, b, (size,), f"({size},) or None")
            others[name] = b
    if isinstance(residual, torch.Tensor):
        c.check_tensor("residual", residual)
        expected = (x.shape[0], n, *x.shape[2:])
        c.check_dims("residual", residual, expected, f"(N, n, H, W) = {expected}")
        others["residual"] = residual
    elif residual is not True and residual is not False:
        c.fail("residual", "True, False or a tensor (N, n, H, W)", repr(residual))
    elif residual and n != m:
        c.fail("projection", f"(m, m) = ({m}, {m}) for residual=True (the identity needs n = m)",
               c.shape_of(projection))
    c.check_same(x, **others)


@register("single_basis_step", "torch", dtypes=None)
def single_basis_step_reference(x, basis, projection, bias1, bias2, residual):
    m, k, _ = basis.shape
    g = F.conv2d(x, basis.unsqueeze(1), padding=k // 2, groups=m)  # x ⋆ₘ basis
    if bias1 is not None:
        g = g + bias1.view(1, -1, 1, 1)
    return step_output(F.conv2d(g, projection[:, :, None, None]), x, bias2, residual)


def step_output(y, x, bias2, residual):
    """relu(y + bias2 + R), the end of one Alg. 3 step: R = x (residual=True), nothing (False) or the tensor."""
    if bias2 is not None:
        y = y + bias2.view(1, -1, 1, 1)
    if isinstance(residual, torch.Tensor):
        y = y + residual
    elif residual:
        y = y + x
    return torch.relu(y)


def single_basis_step(x, basis, projection, *, bias1=None, bias2=None, residual=True, backend="auto"):
    """One step of FCNN Alg. 3 with BatchNorm folded into biases, fused by the kernels.

    ``relu(R + projection · (x ⋆ₘ basis + bias1) + bias2)`` with x (N, m, H, W), basis (m, k, k) (odd k),
    projection (n, m) as [out, in], bias1 (m,) or None, bias2 (n,) or None, and R = x for
    ``residual=True`` (needs n = m), nothing for False, or a tensor (N, n, H, W) (Model L's pair adds its
    input). A BN after the depthwise conv folds into basis/bias1, one after the projection into
    projection/bias2 (`suite.layers.fusion`).
    """
    c.check_backend(backend)
    _check_single_basis_step(x, basis, projection, bias1, bias2, residual)
    return call("single_basis_step", backend, x, basis, projection, bias1, bias2, residual)


def _check_topological_conv(x, weight, grid, padding="same"):
    """Check the op's arguments; returns (grid, neighbors, pads) with pads (left, right, top, bottom) or None
    for 'same' (odd k)."""
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
    pads = topology_pads(padding, k)
    if pads is None:
        c.check_odd_kernel("weight", (k,))
    else:
        left, right, top, bottom = pads
        H, W = x.shape[2] + top + bottom - k + 1, x.shape[3] + left + right - k + 1
        if H < 1 or W < 1:
            c.fail("padding", f"a padding that leaves an output of at least 1×1 for a {k}×{k} kernel on "
                   f"{tuple(x.shape[2:])} maps", f"{padding!r} (output {H}×{W})")
    c.check_same(x, weight=weight)
    return grid, neighbors, pads


def topology_pads(padding, k: int):
    """Normalize `topological_conv`'s padding to (left, right, top, bottom) (F.pad's order), or None for
    'same' with odd k (the op's original contract, which its kernels run as before). An int p pads every
    side by p, a pair (p_h, p_w) pads top/bottom by p_h and left/right by p_w, a 4-tuple is
    (left, right, top, bottom). An explicit padding equal to 'same' (odd k, k // 2 everywhere) is None too."""
    if isinstance(padding, str):
        if padding != "same":
            c.fail("padding", "'same', an int, (pad_h, pad_w) or (left, right, top, bottom) of ints >= 0",
                   repr(padding))
        return None
    try:
        vals = (padding,) if isinstance(padding, int) else tuple(padding)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            raise TypeError
    except TypeError:
        vals = ()
    if len(vals) not in (1, 2, 4) or any(v < 0 for v in vals):
        c.fail("padding", "'same', an int, (pad_h, pad_w) or (left, right, top, bottom) of ints >= 0",
               repr(padding))
    pads = vals * 4 if len(vals) == 1 else (vals[1], vals[1], vals[0], vals[0]) if len(vals) == 2 else vals
    return None if k % 2 == 1 and pads == (k // 2,) * 4 else tuple(pads)


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


@register("topological_conv", "torch", dtypes=None)
def topological_conv_reference(x, weight, grid, pads=None):
    s = len(grid)
    neighbors = tuple(weight.shape[s : 2 * s])
    m, p, k = math.prod(grid), math.prod(neighbors), weight.shape[-1]
    idx = neighbor_index(grid, neighbors).to(x.device)
    if pads is not None:  # explicit zero padding first (on m channels, not the m·p gathered ones), then 'valid'
        x = F.pad(x, pads)
    gathered = x[:, idx.reshape(-1)]  # (N, m·p, H, W): the neighbors of output channel j sit at j·p … j·p+p-1
    return F.conv2d(gathered, weight.reshape(m, p, k, k), padding=k // 2 if pads is None else 0, groups=m)


def topological_conv(x, weight, grid, *, padding="same", backend="auto"):
    """FCNN Algorithm 4, convolution with topological connections, for any number s of grid dims.

    x (N, m, H, W) with m = prod(grid), weight (*grid, *neighbors, k, k) →  (N, m, H', W'):
    ``out[:, j] = Σ_{i < neighbors} Σ_{u,v} weight[j, i, u, v] · x[:, (j + i) mod grid, y+u-top, x+v-left]``
    (wrap-around at the grid's borders; channel index = row-major flattening of the grid index; x is zero
    outside its H×W). ``padding="same"`` (default): odd k, k // 2 on every side, H' = H, W' = W. Otherwise an
    explicit zero padding for any k ≥ 1 (Model A's pairs: k = 2 with 0, then 1): an int, (pad_h, pad_w) or
    (left, right, top, bottom); H' = H + top + bottom - k + 1, W' likewise. Cost: H'·W'·m·Π c_i·k².
    """
    c.check_backend(backend)
    grid, _, pads = _check_topological_conv(x, weight, grid, padding)
    if pads is None:  # the 'same' contract: the registered implementations' 3-argument form, as before
        return call("topological_conv", backend, x, weight, grid)
    return call("topological_conv", backend, x, weight, grid, pads)
