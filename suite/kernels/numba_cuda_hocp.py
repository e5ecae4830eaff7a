"""`backend="numba-cuda"` for `cp_conv`: HO-CP eq. 14–15 as cuBLAS GEMMs (torch, same stream) around the
slab kernels of `_cuda_hocp`, wrapped in a `torch.autograd.Function`.

Forward, per slab of S mode-0 planes (all images at once):
    h  = U_Cᵀ · x[planes lo − K_0//2 … hi + K_0//2)      one strided-batched GEMM into the slab buffer
    h ← ⋆₀ U^(K_0) ⋆₁ … ⋆_{n-1} U^(K_{n-1}) (h)           one kernel launch (modes fused, in place)
    y[planes lo … hi) = U_T · h[:S]                        one GEMM written straight into the output
Backward, per slab: h1 = U_Cᵀx and g2 = U_Tᵀgy with the halo (two GEMMs), one kernel (h3 = S(h1),
g1 = Sᵀ(g2), the filter gradients as reductions), then gU_T += gy·h3ᵀ, gx = U_C·g1, gU_C += x·g1ᵀ (GEMMs).

Memory: the forward's only large scratch is the slab buffer, sized so that it stays within
`MEMORY_FACTOR` × the input's bytes (the backward's two buffers within `MEMORY_FACTOR` × (x + gy)); a slab
always holds at least one output plane. Precision: the GEMMs follow torch's matmul settings (TF32 flag) like
the torch reference's einsums; autocast does not apply inside (the kernels compute in the tensors' dtype).

Tests shrink `GRID_CAP` (blocks per launch), `SLAB_PLANES` (output planes per slab) and `SHARED_BYTES`
(dynamic shared memory per block; a plane beyond it runs on a global scratch) to force every path on tiny
shapes under the simulator.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from numba import cuda

from . import _cuda_hocp as K
from . import _env
from ._shared import check_tensors, cudasim

GRID_CAP = 8192  # blocks per launch (items loop grid-stride)
SLAB_PLANES: int | None = None  # None: as many as the memory bound allows
SHARED_BYTES = 48 * 1024  # dynamic shared memory a block may use without opting in
MEMORY_FACTOR = 2.0
_streams: dict[int, object] = {}


def check(op: str, **tensors: torch.Tensor) -> None:
    """ValueError unless every tensor is a float32/float64 tensor on a CUDA device (CPU under the simulator)
    and this environment's numba-cuda works (`_env.require_numba_cuda`)."""
    _env.require_numba_cuda()
    if cudasim():
        device, hint = "cpu", "CPU tensor under NUMBA_ENABLE_CUDASIM=1 (the simulator runs on host memory)"
    else:
        device, hint = "cuda", "CUDA tensor (use backend='numba' for CPU tensors, or set NUMBA_ENABLE_CUDASIM=1)"
    check_tensors(op, "numba-cuda", device, hint, **tensors)
    if not cudasim() and not cuda.is_available():
        raise ValueError(f"{op} backend='numba-cuda': Numba finds no usable CUDA device/driver")


def _stream(x: torch.Tensor):
    """Numba's handle of torch's current stream on x's device (cached per stream), or 0 under the simulator."""
    if cudasim():
        return 0
    ptr = torch.cuda.current_stream(x.device).cuda_stream
    stream = _streams.get(ptr)
    if stream is None:
        stream = _streams[ptr] = cuda.external_stream(ptr)
    return stream


def _dev(t: torch.Tensor):
    """The kernel's view of a contiguous tensor (writes reach the tensor)."""
    return t.numpy() if cudasim() else cuda.as_cuda_array(t)


def _threads(Q: int) -> int:
    """A power of two from 32 to 256, about one thread per plane value."""
    return min(256, max(32, 1 << (Q - 1).bit_length()))


def _filters(spatial, dtype) -> torch.Tensor:
    """(n, R, Kmax): mode d's filter transposed into f[d, :, :K_d]."""
    kmax = max(f.shape[0] for f in spatial)
    f = spatial[0].new_zeros((len(spatial), spatial[0].shape[1], kmax))
    for d, s in enumerate(spatial):
        f[d, :, : s.shape[0]] = s.t()
    return f


def _slab_planes(D0: int, K0: int, buffers: int, plane_bytes: int, budget: float) -> int:
    """Output planes per slab: `buffers` slab buffers of S + K0 − 1 planes each within `budget` bytes."""
    if SLAB_PLANES is not None:
        return max(1, min(D0, SLAB_PLANES))
    fits = int(budget // (buffers * plane_bytes)) - (K0 - 1)
    return max(1, min(D0, fits))


def _no_autocast(x: torch.Tensor):
    device = "cpu" if x.device.type == "cpu" else "cuda"
    return torch.autocast(device, enabled=False) if torch.is_autocast_enabled(device) else contextlib.nullcontext()


class _Launch:
    """Grid, block, shared memory or global scratch of the slab kernels for one call."""

    def __init__(self, x: torch.Tensor, N: int, R: int, Q: int, slots: int, budget: float):
        self.stream = _stream(x)
        self.threads = _threads(Q)
        self.blocks = max(1, min(GRID_CAP, N * R))
        row = slots * Q + self.threads
        self.shared = row * x.element_size()
        self.scratch = None
        if self.shared > SHARED_BYTES:  # one row of global scratch per block, within the budget
            self.blocks = max(1, min(self.blocks, int(budget // (row * x.element_size()))))
            self.scratch = _dev(torch.empty((self.blocks, row), dtype=x.dtype, device=x.device))
            self.shared = 0
        self.zero = np.float32(0) if x.dtype == torch.float32 else np.float64(0)

    def run(self, shared_kernel, global_kernel, *args):
        if self.scratch is None:
            shared_kernel[self.blocks, self.threads, self.stream, self.shared](*args, self.zero)
        else:
            global_kernel[self.blocks, self.threads, self.stream, 0](*args, self.zero, self.scratch)


def _slabs(D0: int, S: int, r0: int):
    """(lo, hi, a, b, b_lo, b_hi) per slab: output planes lo…hi, input planes a…b with the halo, and where
    they land in the slab buffer (buffer plane i = volume plane lo − r0 + i)."""
    for lo in range(0, D0, S):
        hi = min(D0, lo + S)
        a, b = max(0, lo - r0), min(D0, hi + r0)
        yield lo, hi, a, b, a - (lo - r0), b - (lo - r0)


def _planes(t: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """(N, C, (b − a)·Q) view of planes a…b of t (N, C, D0, Q)."""
    return t[:, :, a:b].flatten(2)


def _mix(u: torch.Tensor, t3: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """u (M, K) applied to every image of t3 (N, K, P): one strided-batched GEMM (into `out` when given)."""
    return torch.bmm(u.expand(t3.shape[0], *u.shape), t3, out=out)


class CPConv(torch.autograd.Function):
    """HO-CP eq. 15 on slabs of mode-0 planes (module doc)."""

    @staticmethod
    def forward(ctx, x, channel_in, channel_out, *spatial):
        check("cp_conv", x=x, channel_in=channel_in, channel_out=channel_out,
              **{f"spatial[{d}]": f for d, f in enumerate(spatial)})
        with _no_autocast(x):
            out = _forward(x.contiguous(), channel_in, channel_out, spatial)
        ctx.save_for_backward(x, channel_in, channel_out, *spatial)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, channel_in, channel_out, *spatial = ctx.saved_tensors
        with _no_autocast(x):
            return _backward(x.contiguous(), gy.contiguous(), channel_in, channel_out, spatial)


def _forward(x, channel_in, channel_out, spatial):
    N, C, dims = x.shape[0], x.shape[1], tuple(x.shape[2:])
    R, T = channel_in.shape[1], channel_out.shape[0]
    D0, Q, K0 = dims[0], math.prod(dims[1:]), spatial[0].shape[0]
    r0 = K0 // 2
    budget = MEMORY_FACTOR * x.numel() * x.element_size()
    S = _slab_planes(D0, K0, 1, N * R * Q * x.element_size(), budget)
    h = torch.empty((N, R, S + K0 - 1, Q), dtype=x.dtype, device=x.device)
    x4 = x.reshape(N, C, D0, Q)
    out = torch.empty((N, T, *dims), dtype=x.dtype, device=x.device)
    out4 = out.view(N, T, D0, Q)
    u_in_t, u_out = channel_in.t(), channel_out.contiguous()
    f, ks = _filters(spatial, x.dtype), tuple(int(t.shape[0]) for t in spatial)
    launch = _Launch(x, N, R, Q, 2, budget / 2)
    hd, fd = _dev(h), _dev(f)
    for lo, hi, a, b, b_lo, b_hi in _slabs(D0, S, r0):
        _mix(u_in_t, _planes(x4, a, b), _planes(h, b_lo, b_hi))
        launch.run(K.cp_forward_shared, K.cp_forward_global, hd, fd, ks, dims, hi - lo, b_lo, b_hi)
        _mix(u_out, _planes(h, 0, hi - lo), _planes(out4, lo, hi))
    return out


def _backward(x, gy, channel_in, channel_out, spatial):
    N, C, dims = x.shape[0], x.shape[1], tuple(x.shape[2:])
    T, R = channel_out.shape
    D0, Q, K0 = dims[0], math.prod(dims[1:]), spatial[0].shape[0]
    r0 = K0 // 2
    budget = MEMORY_FACTOR * (x.numel() + gy.numel()) * x.element_size()
    S = _slab_planes(D0, K0, 2, N * R * Q * x.element_size(), budget)
    L = S + K0 - 1
    h = torch.empty((N, R, L, Q), dtype=x.dtype, device=x.device)
    g = torch.empty_like(h)
    x4, gy4 = x.reshape(N, C, D0, Q), gy.reshape(N, T, D0, Q)
    gx = torch.empty_like(x)
    gx4 = gx.view(N, C, D0, Q)
    gu_in = x.new_zeros((C, R))
    gu_out = x.new_zeros((T, R))
    f, ks = _filters(spatial, x.dtype), tuple(int(t.shape[0]) for t in spatial)
    gf = torch.zeros_like(f)
    launch = _Launch(x, N, R, Q, K0 + 2, budget / 2)
    hd, gd, fd, gfd = _dev(h), _dev(g), _dev(f), _dev(gf)
    u_in_t, u_out_t = channel_in.t(), channel_out.t()
    for lo, hi, a, b, b_lo, b_hi in _slabs(D0, S, r0):
        _mix(u_in_t, _planes(x4, a, b), _planes(h, b_lo, b_hi))
        _mix(u_out_t, _planes(gy4, a, b), _planes(g, b_lo, b_hi))
        launch.run(K.cp_backward_shared, K.cp_backward_global, hd, gd, fd, ks, dims, gfd, hi - lo, b_lo, b_hi)
        h3, g1 = _planes(h, 0, hi - lo), _planes(g, 0, hi - lo)
        gu_out += torch.bmm(_planes(gy4, lo, hi), h3.transpose(1, 2)).sum(0)
        _mix(channel_in, g1, _planes(gx4, lo, hi))
        gu_in += torch.bmm(_planes(x4, lo, hi), g1.transpose(1, 2)).sum(0)
    gspatial = [gf[d, :, :k].t().contiguous() for d, k in enumerate(ks)]
    return (gx, gu_in, gu_out, *gspatial)
