"""`backend="numba-cuda"`: Numba CUDA kernels wrapped in `torch.autograd.Function`s.

CUDA tensors are handed to the kernels through `__cuda_array_interface__` (`numba.cuda.as_cuda_array`)
and launched on torch's current stream of the tensor's device (`cuda.external_stream`), so they order
correctly with surrounding torch work. Outputs and scratch are torch tensors on the same device.

Under `NUMBA_ENABLE_CUDASIM=1` (set before numba is imported) the same kernels run in Numba's CUDA
simulator on CPU tensors (their numpy views): slow, for tests on tiny shapes only.

Supported: float32/float64 tensors on a CUDA device (or CPU under the simulator); anything else raises
ValueError. Note: accumulators are float64 scalars inside the kernels (exact, slower for float32 on GPUs).
"""
from __future__ import annotations

import math

import torch
from numba import cuda

from . import _cuda_kernels as G
from ._shared import check_tensors, cudasim, register_backend, step_function, topology_tables

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


def _dw(L: _Launcher, x: torch.Tensor, w: torch.Tensor, mult: int, flip=False) -> torch.Tensor:
    out = _empty((x.shape[0], w.shape[0], *x.shape[2:]), x)
    L.flat(G.dw_expand, out.numel(), L.a(x), L.a(w), L.a(out), mult, flip)
    return out


def _dw_project_backward(L: _Launcher, x, w, proj, gz3, mult: int):
    """Gradients (gx, gw, gproj) of proj (n, m·mult) · dw(x, w) (`mult` k×k kernels w per input channel of x)
    from the output gradient gz3 (N, n, H·W)."""
    N, m, H, W = x.shape
    g = _dw(L, x, w, mult)
    gproj = _gemm_nt(L, gz3, g.reshape(N, m * mult, H * W))
    gG = _gemm(L, proj.t().contiguous(), gz3).reshape(N, m * mult, H, W)
    gx = _empty(x.shape, x)
    L.flat(G.dw_reduce_flipped, gx.numel(), L.a(gG), L.a(w), L.a(gx), mult)
    gw = _empty(w.shape, x)
    L.flat(G.dw_wgrad, gw.numel(), L.a(gG), L.a(x), L.a(gw), mult)
    return gx, gw, gproj


# ---------------------------------------------------------------- single-basis step (FCNN Alg. 3)
def _step_forward(x, basis, projection, bias, res):
    """relu(res + projection · (x ⋆ₘ basis) + bias), fused in one tiled kernel (res may be None)."""
    L = _Launcher(x)
    N, m, H, W = x.shape
    out = _empty((N, projection.shape[0], H, W), x)
    ra = x.new_zeros((1, 1, 1, 1)) if res is None else res  # never alias `out` (see _gemm)
    L.tiles(G.single_basis_fused, H * W, projection.shape[0], N, L.a(x), L.a(basis), L.a(projection), L.a(bias),
            L.a(ra), L.a(out), res is not None)
    return out


def _step_backward(x, basis, projection, out, gy):
    L = _Launcher(x)
    N, m, H, W = x.shape
    n_out = projection.shape[0]
    gz = _empty(out.shape, out)
    L.flat(G.relu_mask, gz.numel(), L.a(gy.contiguous()).reshape(-1), L.a(out).reshape(-1), L.a(gz).reshape(-1))
    gz3 = gz.reshape(N, n_out, H * W)
    gbias = _empty((n_out,), x)
    L.flat(G.channel_sum, n_out, L.a(gz3), L.a(gbias))
    gx, gbasis, gproj = _dw_project_backward(L, x, basis, projection, gz3, 1)
    return gx, gbasis, gproj, gbias, gz


SingleBasisStep = step_function(_step_forward, _step_backward, check)


# ---------------------------------------------------------------- basis convolution (FCNN Alg. 2)
class BasisConv2d(torch.autograd.Function):
    """FCNN Alg. 2: depthwise with b bases per channel, then a 1×1 projection (tiled GEMM)."""

    @staticmethod
    def forward(ctx, x, bases, projection):
        check("basis_conv2d", x=x, bases=bases, projection=projection)
        L = _Launcher(x)
        x = x.contiguous()
        N, m, H, W = x.shape
        b, k = bases.shape[1], bases.shape[2]
        g = _dw(L, x, bases.reshape(m * b, k, k).contiguous(), b)
        out = _gemm(L, projection.reshape(projection.shape[0], m * b), g.reshape(N, m * b, H * W))
        ctx.save_for_backward(x, bases, projection)
        return out.reshape(N, projection.shape[0], H, W)

    @staticmethod
    def backward(ctx, gy):
        x, bases, projection = ctx.saved_tensors
        L = _Launcher(x)
        N, m, H, W = x.shape
        b, k = bases.shape[1], bases.shape[2]
        n_out = projection.shape[0]
        w = bases.reshape(m * b, k, k).contiguous()
        gy3 = gy.contiguous().reshape(N, n_out, H * W)
        gx, gw, gproj = _dw_project_backward(L, x, w, projection.reshape(n_out, m * b), gy3, b)
        return gx, gw.reshape(bases.shape), gproj.reshape(projection.shape)


# ---------------------------------------------------------------- topological connections (FCNN Alg. 4)
class TopologicalConv(torch.autograd.Function):
    """FCNN Alg. 4 as a gather over each output channel's neighbors (wrap-around on the grid)."""

    @staticmethod
    def forward(ctx, x, weight, grid):
        check("topological_conv", x=x, weight=weight)
        L = _Launcher(x)
        x = x.contiguous()
        s = len(grid)
        neighbors = tuple(weight.shape[s:2 * s])
        m, p, k = x.shape[1], math.prod(neighbors), weight.shape[-1]
        idx, inv = (torch.from_numpy(t).to(x.device) for t in topology_tables(tuple(grid), neighbors))
        w = weight.reshape(m, p, k, k).contiguous()
        out = _empty(x.shape, x)
        L.flat(G.topo_gather, out.numel(), L.a(x), L.a(idx), L.a(w), L.a(out), False)
        ctx.save_for_backward(x, weight, idx, inv)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, weight, idx, inv = ctx.saved_tensors
        L = _Launcher(x)
        m, p = idx.shape
        k = weight.shape[-1]
        w = weight.reshape(m, p, k, k)
        w_inv = w[inv, torch.arange(p, device=x.device)[None, :]].contiguous()
        gy = gy.contiguous()
        gx = _empty(x.shape, x)
        L.flat(G.topo_gather, gx.numel(), L.a(gy), L.a(inv), L.a(w_inv), L.a(gx), True)
        gw = _empty((m, p, k, k), x)
        L.flat(G.topo_wgrad, gw.numel(), L.a(x), L.a(gy), L.a(idx), L.a(gw))
        return gx, gw.reshape(weight.shape), None


# ---------------------------------------------------------------- HO-CP N-D CP convolution (eq. 14–15)
from . import _env  # noqa: E402  (the numba-cuda/numpy compatibility check at first use)
from .numba_cuda_hocp import CPConv  # noqa: E402  (its own module: slab kernels in _cuda_hocp)

register_backend("numba-cuda", device=DEVICE, step=SingleBasisStep, basis=BasisConv2d, topo=TopologicalConv, cp=CPConv,
                 check=check, available=_env.cuda_backend_usable, prepare=_env.require_numba_cuda)
