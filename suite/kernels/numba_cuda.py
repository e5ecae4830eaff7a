"""`backend="numba-cuda"`: Numba CUDA kernels wrapped in `torch.autograd.Function`s.

CUDA tensors are handed to the kernels through `__cuda_array_interface__` (`numba.cuda.as_cuda_array`)
and launched on torch's current stream of the tensor's device (`cuda.external_stream`), so they order
correctly with surrounding torch work. Outputs and scratch are torch tensors on the same device.

Under `NUMBA_ENABLE_CUDASIM=1` (set before numba is imported) the same kernels run in Numba's CUDA
simulator on CPU tensors (their numpy views): slow, for tests on tiny shapes only.

Supported: float32/float64 tensors on a CUDA device (or CPU under the simulator); anything else raises
ValueError. The FCNN ops (single-basis step/stack, basis_conv2d, topological_conv) run the kernels of
`_cuda_fcnn` (design and the bytes/launch budget in its docstring) with their GEMMs in cuBLAS through
torch, launched by `_cuda_launch.Launch`; their accumulators have the data's dtype. The CP convolution
below still uses `_cuda_kernels` (float64 scalar accumulators).
"""
from __future__ import annotations

import math

import torch
from numba import cuda

from . import _cuda_fcnn as F
from . import _cuda_kernels as G
from . import _cuda_topo as T
from ._cuda_launch import Launch, grid_cap, sm_count, stride_blocks
from ._cuda_launch import current as launch_limits
from ._cuda_reduce import sum_rows
from ._shared import check_tensors, cudasim, register_backend, topology_tables

DEVICE = "cpu" if cudasim() else "cuda"  # the simulator runs the kernels on host memory
THREADS = 128
MAX_BLOCKS = 4096


def check(op: str, **tensors: torch.Tensor) -> None:
    """ValueError unless every tensor is a float32/float64 tensor on a CUDA device (CPU under the simulator)."""
    if cudasim():
        hint = "CPU tensor under NUMBA_ENABLE_CUDASIM=1 (the simulator runs on host memory)"
    else:
        hint = "CUDA tensor (use backend='numba' for CPU tensors, or set NUMBA_ENABLE_CUDASIM=1 to simulate)"
    check_tensors(op, "numba-cuda", DEVICE, hint, **tensors)
    if not cudasim() and not cuda.is_available():
        raise ValueError(f"{op} backend='numba-cuda': Numba finds no usable CUDA device/driver")


class _Launcher:
    """Wraps device arrays and the stream of one op call (x decides device and stream)."""

    def __init__(self, x: torch.Tensor):
        self.sim = cudasim()
        if self.sim:
            self.stream = 0
        else:
            torch_stream = torch.cuda.current_stream(x.device)
            self.stream = cuda.external_stream(torch_stream.cuda_stream)

    def a(self, t: torch.Tensor):
        t = t.detach()
        if not t.is_contiguous():
            t = t.contiguous()
        return t.numpy() if self.sim else cuda.as_cuda_array(t)

    def flat(self, kernel, total: int, *args):
        blocks = max(1, min(MAX_BLOCKS, math.ceil(total / THREADS)))
        kernel[blocks, THREADS, self.stream](*args)

    def tiles(self, kernel, P: int, M: int, N: int, *args):
        grid = (math.ceil(P / G.TILE), math.ceil(M / G.TILE), N)
        kernel[grid, (G.TILE, G.TILE), self.stream](*args)


def _empty(shape, like: torch.Tensor) -> torch.Tensor:
    return torch.empty(shape, dtype=like.dtype, device=like.device)


def _gemm(L: _Launcher, A: torch.Tensor, B3: torch.Tensor, R3=None, bias=None, relu=False) -> torch.Tensor:
    """C[n] = A @ B3[n] (+ R3[n] + bias[:, None]) (then ReLU); B3 (N, K, P)."""
    N, _, P = B3.shape
    M = A.shape[0]
    C = _empty((N, M, P), B3)
    mode = 0 if R3 is None else 1
    R3 = C.new_zeros((1, 1, 1)) if R3 is None else R3  # never alias C: the simulator copies arguments back
    bias = C.new_zeros(1) if bias is None else bias
    L.tiles(G.gemm_batched, P, M, N, L.a(A.contiguous()), L.a(B3), L.a(C), L.a(R3), L.a(bias), mode, relu)
    return C


def _gemm_nt(L: _Launcher, A3: torch.Tensor, B3: torch.Tensor) -> torch.Tensor:
    """Σ_n A3[n] @ B3[n]ᵀ, A3 (N, M, P), B3 (N, Q, P) → (M, Q)."""
    C = _empty((A3.shape[1], B3.shape[1]), A3)
    L.flat(G.gemm_nt_batched, C.numel(), L.a(A3), L.a(B3), L.a(C))
    return C


# ---------------------------------------------------------------- FCNN (Alg. 2–4): _cuda_fcnn.py kernels + cuBLAS
_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}


def _dw_kernels(x: torch.Tensor, k: int):
    return F.dw_kernels(_DTYPE_NAMES[x.dtype], k, launch_limits().threads)


def _elementwise(L: Launch, work: int) -> tuple[int, int]:
    threads = launch_limits().elementwise
    return stride_blocks(work, threads, L.device), threads


def _strips(x: torch.Tensor) -> int:
    """Work items of the depthwise kernels: strips of _cuda_fcnn.PX pixels of each row of each plane."""
    N, C, H, W = x.shape
    return N * C * H * math.ceil(W / F.PX)


def _chunks(L: Launch, work: int, outputs: int) -> int:
    """Blocks per output of a two-pass reduction over `work` elements: the grid cap shared among the
    outputs, at least 1, at most what one pass of the work needs."""
    threads = launch_limits().threads
    return max(1, min(grid_cap(L.device) // max(1, outputs), math.ceil(work / threads)))


def _sum_partials(L: Launch, part: torch.Tensor) -> torch.Tensor:
    out = _empty((part.shape[1],), part)
    L(sum_rows, *_elementwise(L, part.shape[1]), part, out)
    return out


def _dummy(like: torch.Tensor) -> torch.Tensor:
    """A placeholder array argument the kernel does not read (never an alias: the simulator copies back)."""
    return _empty((1, 1, 1), like)


def _dw_backward(L: Launch, x, w, gG, gz, mult: int, add_gz: bool, part, col0: int):
    """gx of the depthwise conv (plus gz when the residual is x) and its weight-gradient partials
    (into part[:, col0:]) from gG (C·mult, N, H·W)."""
    m = x.shape[1]
    K = _dw_kernels(x, w.shape[-1])
    gx = torch.empty_like(x)
    L(K.dw_input_grad, *_elementwise(L, _strips(x)), gG, w, gx, gz, mult, int(add_gz))
    L(K.dw_weight_grad, (part.shape[0], m * mult), launch_limits().threads, gG, x, part, mult, col0)
    return gx


def _step_forward(x, basis, projection, bias, res):
    """relu(res + projection·(x ⋆ₘ basis) + bias): dw_forward → G (m, N, H·W), cuBLAS bmm, fused epilogue."""
    L = Launch(x)
    N, m, H, W = x.shape
    n = projection.shape[0]
    K = _dw_kernels(x, basis.shape[-1])
    g = _empty((m, N, H * W), x)
    L(K.dw_forward, *_elementwise(L, _strips(x)), x, basis.contiguous(), g, 1)
    z = torch.bmm(projection.contiguous().expand(N, n, m), g.transpose(0, 1))
    r = _dummy(x) if res is None else res.contiguous().reshape(N, n, H * W)
    L(K.step_epilogue, *_elementwise(L, z.numel()), z, r, bias.contiguous(), int(res is not None))
    return z.reshape(N, n, H, W), g


def _step_backward(x, basis, projection, out, g, gy, res_mode: int):
    """(gx, gbasis, gprojection, gbias, gz); res_mode 0: no residual, 1: the residual is x (its gradient
    gz is added into gx), 2: a residual tensor (gz returned NCHW)."""
    L = Launch(x)
    N, m, H, W = x.shape
    n, k = projection.shape[0], basis.shape[-1]
    K = _dw_kernels(x, k)
    chunks = _chunks(L, _strips(x) // m, max(n, m))
    part = _empty((chunks, n + m * k * k), x)  # [bias partials | basis-gradient partials]
    gz_cm = _empty((n, N, H * W), x)
    gz = _empty((N, n, H * W), x) if res_mode == 2 else _dummy(x)
    L(K.relu_grad_sum, (chunks, n), launch_limits().threads, gy.reshape(N, n, H * W), out.reshape(N, n, H * W),
      gz_cm, gz, part, 0, int(res_mode == 2))
    gproj = torch.mm(gz_cm.view(n, -1), g.view(m, -1).t())
    gG = torch.mm(projection.t(), gz_cm.view(n, -1)).view(m, N, H * W)
    gx = _dw_backward(L, x, basis.contiguous(), gG, gz_cm, 1, res_mode == 1, part, n)
    sums = _sum_partials(L, part)
    gz = gz.reshape(N, n, H, W) if res_mode == 2 else None
    return gx, sums[n:].view(m, k, k), gproj, sums[:n], gz


class SingleBasisStep(torch.autograd.Function):
    """FCNN Alg. 3's step relu(res + projection·(x ⋆ₘ basis) + bias); res None, x itself or a tensor.
    Saves G = x ⋆ₘ basis (channel-major) for the projection's gradient instead of recomputing it."""

    @staticmethod
    def forward(ctx, x, basis, projection, bias, res):
        check("single_basis_step", x=x, basis=basis, projection=projection, bias=bias,
              **({} if res is None else {"residual": res}))
        res_mode = 0 if res is None else 1 if res is x else 2
        x = x.contiguous()
        out, g = _step_forward(x, basis, projection, bias, x if res_mode == 1 else res)
        ctx.res_mode = res_mode
        ctx.save_for_backward(x, basis, projection, out, g)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, basis, projection, out, g = ctx.saved_tensors
        gx, gbasis, gproj, gbias, gz = _step_backward(x, basis, projection, out, g, gy.contiguous(), ctx.res_mode)
        return gx, gbasis, gproj, gbias, gz  # res_mode 1: x's residual gradient is already in gx


class BasisConv2d(torch.autograd.Function):
    """FCNN Alg. 2: depthwise with b bases per channel into G (m·b, N, H·W), then the projection (cuBLAS)."""

    @staticmethod
    def forward(ctx, x, bases, projection):
        check("basis_conv2d", x=x, bases=bases, projection=projection)
        L = Launch(x)
        x = x.contiguous()
        N, m, H, W = x.shape
        b, k, n = bases.shape[1], bases.shape[2], projection.shape[0]
        g = _empty((m * b, N, H * W), x)
        L(_dw_kernels(x, k).dw_forward, *_elementwise(L, _strips(x)), x, bases.reshape(m * b, k, k).contiguous(),
          g, b)
        out = torch.bmm(projection.reshape(n, m * b).contiguous().expand(N, n, m * b), g.transpose(0, 1))
        ctx.save_for_backward(x, bases, projection, g)
        return out.reshape(N, n, H, W)

    @staticmethod
    def backward(ctx, gy):
        x, bases, projection, g = ctx.saved_tensors
        L = Launch(x)
        N, m, H, W = x.shape
        b, k, n = bases.shape[1], bases.shape[2], projection.shape[0]
        gy_cm = gy.reshape(N, n, H * W).transpose(0, 1).contiguous()  # (n, N, H·W): both GEMMs over K = N·H·W
        gproj = torch.mm(gy_cm.view(n, -1), g.view(m * b, -1).t())
        gG = torch.mm(projection.reshape(n, m * b).t(), gy_cm.view(n, -1)).view(m * b, N, H * W)
        part = _empty((_chunks(L, _strips(x) // m, m * b), m * b * k * k), x)
        gx = _dw_backward(L, x, bases.reshape(m * b, k, k).contiguous(), gG, _dummy(x), b, False, part, 0)
        return gx, _sum_partials(L, part).view(bases.shape), gproj.view(projection.shape)


_TOPO_DEVICE_TABLES: dict = {}


def _topo_plan(table_key, table, k: int, x: torch.Tensor, L: Launch, origin: tuple):
    """The tiling of `_cuda_topo.topo_plan` with its tables on x's device (both cached)."""
    N, _, H, W = x.shape
    min_blocks = 2 * sm_count(L.device)
    key = (table_key, k, N, H, W, x.element_size(), min_blocks, str(x.device), origin)
    hit = _TOPO_DEVICE_TABLES.get(key)
    if hit is None:
        plan = T.topo_plan(table, k, N, H, W, x.element_size(), min_blocks, origin)
        src, lidx = (torch.from_numpy(t).to(x.device) for t in (plan.src, plan.lidx))
        hit = _TOPO_DEVICE_TABLES[key] = (plan, src, lidx)
    return hit


def _inverse_index(grid, neighbors, inv, device):
    """(inv, arange(p)[None, :]) on `device`, made once: the index of the inverse table's weights."""
    key = (grid, neighbors, "inverse-index", str(device))
    hit = _TOPO_DEVICE_TABLES.get(key)
    if hit is None:
        hit = _TOPO_DEVICE_TABLES[key] = (torch.from_numpy(inv).to(device),
                                          torch.arange(inv.shape[1], device=device)[None, :])
    return hit


def _topo_gather(L: Launch, x, w, hit, flip: bool, origin: tuple) -> torch.Tensor:
    plan, src, lidx = hit
    N, m, H, W = x.shape
    k = w.shape[-1]
    kern = T.topo_kernels(_DTYPE_NAMES[x.dtype], k, launch_limits().threads, plan.rp).topo_forward
    tiles = math.ceil(N * H * W / plan.tp) if k == 1 else N * math.ceil(H * W / plan.tp)
    out = torch.empty_like(x)
    L(kern, (tiles, plan.groups), launch_limits().threads, x.view(N, m, H * W), w, src, lidx,
      out.view(N, m, H * W), plan.tj, plan.halo, W, int(flip), *origin, shared=plan.shared_fwd)
    return out


class TopologicalConv(torch.autograd.Function):
    """FCNN Alg. 4 as register-blocked gathers over each output group's staged neighbours (wrap-around on
    the grid); the input gradient gathers over the inverse table with rotated taps. `origin` (oy, ox): the
    kernel's origin on the H×W grid (None: 'same', k // 2; `_shared.topology_plane` for explicit padding)."""

    @staticmethod
    def forward(ctx, x, weight, grid, origin=None):
        check("topological_conv", x=x, weight=weight)
        L = Launch(x)
        x = x.contiguous()
        s = len(grid)
        neighbors = tuple(weight.shape[s:2 * s])
        m, p, k = x.shape[1], math.prod(neighbors), weight.shape[-1]
        origin = (k // 2, k // 2) if origin is None else tuple(origin)
        idx, _ = topology_tables(tuple(grid), neighbors)
        w = weight.reshape(m, p, k, k).contiguous()
        out = _topo_gather(L, x, w, _topo_plan((tuple(grid), neighbors, "idx"), idx, k, x, L, origin), False, origin)
        ctx.save_for_backward(x, w)
        ctx.origin = origin
        ctx.table_key = (tuple(grid), neighbors)
        ctx.weight_shape = weight.shape
        return out

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        L = Launch(x)
        grid, neighbors = ctx.table_key
        N, m, H, W = x.shape
        p, k = w.shape[1], w.shape[-1]
        idx, inv = topology_tables(grid, neighbors)
        gy = gy.contiguous()
        w_inv = w[_inverse_index(grid, neighbors, inv, x.device)].contiguous()  # w_inv[c, i] = w[inv[c, i], i]
        oy, ox = ctx.origin
        adjoint = (k - 1 - oy, k - 1 - ox)  # rotated taps, mirrored origin
        gx = _topo_gather(L, gy, w_inv, _topo_plan((grid, neighbors, "inv"), inv, k, x, L, adjoint), True, adjoint)
        plan, src, lidx = _topo_plan((grid, neighbors, "idx"), idx, k, x, L, ctx.origin)
        kern = T.topo_kernels(_DTYPE_NAMES[x.dtype], k, launch_limits().threads, plan.rp).topo_wgrad
        threads = launch_limits().threads
        slices = T.wgrad_slices(plan, p, k, threads)
        tiles = math.ceil(N * H * W / plan.tp) if k == 1 else N * math.ceil(H * W / plan.tp)
        chunks = max(1, min(tiles, grid_cap(L.device) // (plan.groups * slices)))
        part = _empty((chunks, m * p * k * k), x)
        L(kern, (chunks, plan.groups * slices), threads, x.view(N, m, H * W), gy.view(N, m, H * W), src, lidx,
          part, plan.tj, plan.halo, W, slices, oy, ox, shared=plan.shared_wgrad)
        return gx, _sum_partials(L, part).view(ctx.weight_shape), None, None


# ---------------------------------------------------------------- HO-CP N-D CP convolution (eq. 14–15)
from . import _env  # noqa: E402  (the numba-cuda/numpy compatibility check at first use)
from .numba_cuda_hocp import CPConv  # noqa: E402  (its own module: slab kernels in _cuda_hocp)

register_backend("numba-cuda", device=DEVICE, step=SingleBasisStep, basis=BasisConv2d, topo=TopologicalConv, cp=CPConv,
                 check=check, available=_env.cuda_backend_usable, prepare=_env.require_numba_cuda)
