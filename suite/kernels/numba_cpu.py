"""`backend="numba"`: Numba CPU kernels wrapped in `torch.autograd.Function`s.

Supported: CPU tensors of dtype float32 or float64 (all arguments the same dtype, as `suite.ops`
checks). Anything else raises ValueError naming the tensor and what is supported (`backend="auto"`
sends such tensors to the torch reference instead). Non-contiguous or channels-last inputs are
copied to contiguous NCHW first (a documented copy, never a wrong answer).

Importing this module registers the kernels in `suite.ops.registry` (`_shared.register_backend`).
"""
from __future__ import annotations

import math

import numba
import numpy as np
import torch

from . import _cpu_fcnn as K
from . import _cpu_hocp as H
from . import _cpu_topo as Tp
from ._cpu_core import chunks
from ._shared import check_tensors, register_backend, step_function, topology_tables


def check(op: str, **tensors: torch.Tensor) -> None:
    """ValueError unless every tensor is a CPU float32/float64 tensor, all of one dtype."""
    check_tensors(op, "numba", "cpu", "CPU tensor (use backend='numba-cuda' or 'auto' for CUDA tensors)", **tensors)


def _a(t: torch.Tensor) -> np.ndarray:
    """A C-contiguous numpy view (copy only if t is not contiguous NCHW)."""
    return t.detach().contiguous().numpy()


def _threads() -> int:
    return numba.get_num_threads()


class _SerialBlas:
    """Pin the BLAS libraries (SciPy's OpenBLAS, which Numba's np.dot calls) to one thread while a
    kernel runs: the kernels already run one BLAS call per prange thread, and nested BLAS threads would
    oversubscribe the cores. The previous thread counts are restored on exit."""

    _controllers = None

    def __enter__(self):
        if _SerialBlas._controllers is None:
            import scipy.linalg.cython_blas  # noqa: F401  (load the library Numba uses before scanning)
            from threadpoolctl import ThreadpoolController

            _SerialBlas._controllers = ThreadpoolController().select(user_api="blas").lib_controllers
        self.previous = [(c, c.num_threads) for c in _SerialBlas._controllers]
        for c, n in self.previous:
            if n != 1:
                c.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        for c, n in self.previous:
            if n != 1:
                c.set_num_threads(n)
        return False


serial_blas = _SerialBlas


# ---------------------------------------------------------------- single-basis step (FCNN Alg. 3)
def _step_forward(x, basis, projection, bias, res):
    """relu(res + projection · (x ⋆ₘ basis) + bias): one step of FCNN Alg. 3, fused.

    x (N, m, H, W), basis (m, k, k), projection (n, m) [out, in], bias (n,), res (N, n, H, W) or None
    (Alg. 3 passes res = x; Model L's pairs pass the pair's input).
    """
    out = torch.empty((x.shape[0], projection.shape[0], *x.shape[2:]), dtype=x.dtype)
    ra = out.numpy() if res is None else _a(res)  # not read when there is no residual
    with serial_blas():
        K.single_basis_forward(_a(x), _a(basis), _a(projection), _a(bias), ra, out.numpy(), res is not None,
                               chunks(x.shape[0], _threads()))
    return out


def _step_backward(x, basis, projection, out, gy):
    n_chunks = chunks(x.shape[0], _threads())
    m, n_out = x.shape[1], projection.shape[0]
    gx = torch.empty_like(x, memory_format=torch.contiguous_format)
    gz = torch.empty_like(out)
    gbasis = np.zeros((n_chunks, *basis.shape), _a(x).dtype)
    gproj = np.zeros((n_chunks, n_out, m), gbasis.dtype)
    gbias = np.zeros((n_chunks, n_out), gbasis.dtype)
    with serial_blas():
        K.single_basis_backward(_a(x), _a(out), _a(gy), _a(basis), _a(projection.t()), gx.numpy(), gz.numpy(),
                                gbasis, gproj, gbias, n_chunks)
    t = torch.from_numpy
    return gx, t(gbasis.sum(0)), t(gproj.sum(0)), t(gbias.sum(0)), gz


SingleBasisStep = step_function(_step_forward, _step_backward, check)


# ---------------------------------------------------------------- basis convolution (FCNN Alg. 2)
class BasisConv2d(torch.autograd.Function):
    """out[:, l] = Σ_{j,i} projection[l, j, i] · (x[:, j] ⋆ bases[j, i]): FCNN Alg. 2."""

    @staticmethod
    def forward(ctx, x, bases, projection):
        check("basis_conv2d", x=x, bases=bases, projection=projection)
        n_out = projection.shape[0]
        out = torch.empty((x.shape[0], n_out, *x.shape[2:]), dtype=x.dtype)
        with serial_blas():
            K.basis_forward(_a(x), _a(bases), _a(projection).reshape(n_out, -1), out.numpy(),
                            chunks(x.shape[0], _threads()))
        ctx.save_for_backward(x, bases, projection)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, bases, projection = ctx.saved_tensors
        n_chunks = chunks(x.shape[0], _threads())
        n_out = projection.shape[0]
        gx = torch.empty_like(x, memory_format=torch.contiguous_format)
        gbases = np.zeros((n_chunks, *bases.shape), _a(x).dtype)
        gproj = np.zeros((n_chunks, n_out, projection.shape[1] * projection.shape[2]), gbases.dtype)
        proj_t = np.ascontiguousarray(_a(projection).reshape(n_out, -1).T)
        with serial_blas():
            K.basis_backward(_a(x), _a(gy), _a(bases), proj_t, gx.numpy(), gbases, gproj, n_chunks)
        return gx, torch.from_numpy(gbases.sum(0)), torch.from_numpy(gproj.sum(0)).reshape(projection.shape)


# ---------------------------------------------------------------- topological connections (FCNN Alg. 4)
def _topo_apply(x: np.ndarray, idx, w: np.ndarray, flip: bool, oy: int, ox: int) -> torch.Tensor:
    out = np.empty_like(x)
    with serial_blas():
        if w.shape[-1] == 1:  # origin (0, 0): the only one a 1×1 kernel has
            K.topo_forward_1x1(x, idx, np.ascontiguousarray(w[:, :, 0, 0]), out)
        else:
            K.topo_forward_kxk(x, idx, w, out, flip, oy, ox)
    return torch.from_numpy(out)


class TopologicalConv(torch.autograd.Function):
    """out[:, j] = Σ_i Σ_{u,v} weight[j, i, u, v] · x[:, (j + i) mod grid, y+u-oy, x+v-ox]: FCNN Alg. 4 on
    one H×W grid with kernel origin (oy, ox) (None: 'same', k // 2; `_shared.topology_plane` turns any
    explicit padding into a padded or cropped plane and an origin)."""

    @staticmethod
    def forward(ctx, x, weight, grid, origin=None):
        check("topological_conv", x=x, weight=weight)
        s = len(grid)
        neighbors = tuple(weight.shape[s:2 * s])
        m, p, k = x.shape[1], math.prod(neighbors), weight.shape[-1]
        oy, ox = (k // 2, k // 2) if origin is None else origin
        idx, inv = topology_tables(tuple(grid), neighbors)
        w = _a(weight).reshape(m, p, k, k)
        ctx.save_for_backward(x, weight)
        ctx.tables, ctx.origin = (idx, inv), (oy, ox)
        return _topo_apply(_a(x), idx, w, False, oy, ox)

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        idx, inv = ctx.tables
        oy, ox = ctx.origin
        m, p = idx.shape
        k = weight.shape[-1]
        w = _a(weight).reshape(m, p, k, k)
        w_inv = np.ascontiguousarray(w[inv, np.arange(p)[None, :]])  # weight of the edge (inv[c,i] → c)
        gya = _a(gy)
        gx = _topo_apply(gya, inv, w_inv, True, k - 1 - oy, k - 1 - ox)  # the adjoint: rotated taps, mirrored origin
        gw = np.empty((m, p, k, k), w.dtype)
        with serial_blas():
            K.topo_wgrad(_a(x), gya, idx, gw, oy, ox)
        return gx, torch.from_numpy(gw).reshape(weight.shape), None, None


BATCH_LAST_MAX = 100  # padded planes of at most 10×10 run batch last (one image would give short vectors;
# larger planes keep one image per tile: batch last, a tap's shift of a row spans Wp·N columns and leaves cache)


class _Planes:
    """The layout `_cpu_topo.topo_forward_valid` runs for padded planes (N, m, Hp, Wp) and kernel size k: batch
    first (rows of one image: stride Wp, columns 1) or, for small planes, batch last ((m, Hp, Wp, N): every tap
    is still a constant shift, u·Wp·N + v·N, and vectors run over the batch)."""

    def __init__(self, N: int, Hp: int, Wp: int, k: int):
        self.N, self.Hp, self.Wp, self.Ho, self.Wo = N, Hp, Wp, Hp - k + 1, Wp - k + 1
        self.last = Hp * Wp <= BATCH_LAST_MAX and N > 1
        n = N if self.last else 1
        self.rs, self.cs, self.L = Wp * n, n, ((self.Ho - 1) * Wp + self.Wo) * n

    def to(self, t: torch.Tensor) -> np.ndarray:
        """t (N, m, h, Wp) as the kernel's (images, m, columns) array."""
        N, m = t.shape[:2]
        if self.last:
            return _a(t.permute(1, 2, 3, 0)).reshape(1, m, -1)
        return _a(t).reshape(N, m, -1)

    def output(self, m: int, dtype) -> np.ndarray:
        return np.empty((1, m, self.Ho * self.Wp * self.N) if self.last else (self.N, m, self.Ho * self.Wp), dtype)

    def back(self, buf: np.ndarray) -> torch.Tensor:
        """The kernel's output as (N, m, H', W')."""
        m = buf.shape[1]
        t = torch.from_numpy(buf)
        if self.last:
            t = t.view(m, self.Ho, self.Wp, self.N).permute(3, 0, 1, 2)
        else:
            t = t.view(self.N, m, self.Ho, self.Wp)
        return t[..., :self.Wo].contiguous()


def _valid(xpad: torch.Tensor, table, w: np.ndarray, k: int) -> torch.Tensor:
    """(N, m, Hp-k+1, Wp-k+1): Alg. 4 as a 'valid' correlation of the padded planes xpad (N, m, Hp, Wp) with the
    weights w (m, p, k, k) over `table` (`_cpu_topo.topo_forward_valid`)."""
    N, m, Hp, Wp = xpad.shape
    pl = _Planes(N, Hp, Wp, k)
    buf = pl.output(m, w.dtype)
    with serial_blas():
        Tp.topo_forward_valid(pl.to(xpad), table, np.ascontiguousarray(w.transpose(2, 3, 0, 1)), buf, pl.rs, pl.cs,
                              pl.L)
    return pl.back(buf)


class PaddedTopologicalConv(torch.autograd.Function):
    """FCNN Alg. 4 with an explicit zero padding pads = (left, right, top, bottom), any k: x zero-padded once,
    then a 'valid' correlation in which every tap is a constant shift of the padded planes (no per-tap packing,
    no cropped outputs). The input gradient is the same correlation of gy padded by k-1 minus each side's
    padding (negative: cropped) over the inverse table with rotated taps."""

    @staticmethod
    def forward(ctx, x, weight, grid, pads):
        check("topological_conv", x=x, weight=weight)
        s = len(grid)
        neighbors = tuple(weight.shape[s:2 * s])
        m, p, k = x.shape[1], math.prod(neighbors), weight.shape[-1]
        idx, inv = topology_tables(tuple(grid), neighbors)
        xpad = torch.nn.functional.pad(x.detach(), pads).contiguous()
        ctx.save_for_backward(xpad, weight)
        ctx.tables, ctx.pads = (idx, inv), pads
        return _valid(xpad, idx, _a(weight).reshape(m, p, k, k), k)

    @staticmethod
    def backward(ctx, gy):
        xpad, weight = ctx.saved_tensors
        idx, inv = ctx.tables
        m, p = idx.shape
        k = weight.shape[-1]
        w = _a(weight).reshape(m, p, k, k)
        w_inv = np.ascontiguousarray(w[inv, np.arange(p)[None, :]][:, :, ::-1, ::-1])  # edge inv[c,i] → c, rotated
        gy = gy.contiguous()
        gx = _valid(torch.nn.functional.pad(gy, tuple(k - 1 - q for q in ctx.pads)).contiguous(), inv, w_inv, k)
        N, _, Hp, Wp = xpad.shape
        pl = _Planes(N, Hp, Wp, k)
        gyp = torch.nn.functional.pad(gy, (0, k - 1))  # on the output grid of stride Wp, zero between rows
        xa = pl.to(xpad)
        n_chunks = chunks(-(-xa.shape[0] * pl.L // Tp.TPV), _threads())
        part = np.zeros((n_chunks, k, k, m, p), w.dtype)
        with serial_blas():
            Tp.topo_wgrad_valid(xa, pl.to(gyp), idx, part, pl.rs, pl.cs, pl.L, n_chunks)
        gw = np.ascontiguousarray(part.sum(0).transpose(2, 3, 0, 1))
        return gx, torch.from_numpy(gw).reshape(weight.shape), None, None


# ---------------------------------------------------------------- HO-CP N-D CP convolution (eq. 14–15)
def _centred(filters, kmax: int, dtype) -> np.ndarray:
    """(n, R, kmax): each (K_d, R) filter transposed and zero-padded symmetrically to kmax taps."""
    R = filters[0].shape[1]
    out = np.zeros((len(filters), R, kmax), dtype)
    for d, f in enumerate(filters):
        pad = (kmax - f.shape[0]) // 2
        out[d, :, pad:pad + f.shape[0]] = _a(f).T
    return out


class CPConv(torch.autograd.Function):
    """HO-CP eq. 15: 1×1 conv C → R, depthwise 1-D conv along every mode, 1×1 conv R → T, fused over
    D0-planes so the R-channel intermediate is never materialized whole."""

    @staticmethod
    def forward(ctx, x, channel_in, channel_out, *spatial):
        check("cp_conv", x=x, channel_in=channel_in, channel_out=channel_out,
                      **{f"spatial[{d}]": f for d, f in enumerate(spatial)})
        N, C, dims = x.shape[0], x.shape[1], tuple(x.shape[2:])
        T = channel_out.shape[0]
        Q = math.prod(dims[1:])
        xa = _a(x).reshape(N, C, dims[0], Q)
        dt = xa.dtype
        kmax = max([f.shape[0] for f in spatial[1:]], default=1)
        f_rest = _centred(spatial[1:], kmax, dt) if len(spatial) > 1 else np.zeros((0, channel_in.shape[1], 1), dt)
        dims_rest = np.array(dims[1:], np.int64)
        out = torch.empty((N, T, *dims), dtype=x.dtype)
        segments = max(1, min(dims[0], math.ceil(_threads() / N)))
        with serial_blas():
            H.cp_forward(xa, np.ascontiguousarray(_a(channel_in).T), np.ascontiguousarray(_a(spatial[0]).T), f_rest,
                         dims_rest, _a(channel_out), out.numpy().reshape(N, T, dims[0], Q), segments)
        ctx.save_for_backward(x, channel_in, channel_out, *spatial)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, channel_in, channel_out, *spatial = ctx.saved_tensors
        N, C, dims = x.shape[0], x.shape[1], tuple(x.shape[2:])
        T, R = channel_out.shape
        V = math.prod(dims)
        xa = _a(x).reshape(N, C, V)
        dt = xa.dtype
        kmax = max(f.shape[0] for f in spatial)
        f_all = _centred(spatial, kmax, dt)
        n_chunks = chunks(N, _threads())
        gx = torch.empty((N, C, *dims), dtype=x.dtype)
        gu_in = np.zeros((n_chunks, C, R), dt)
        gf = np.zeros((n_chunks, len(dims), R, kmax), dt)
        gu_out = np.zeros((n_chunks, T, R), dt)
        with serial_blas():
            H.cp_backward(xa, _a(gy).reshape(N, T, V), _a(channel_in), np.ascontiguousarray(_a(channel_in).T), f_all,
                          np.array(dims, np.int64), np.ascontiguousarray(_a(channel_out).T),
                          gx.numpy().reshape(N, C, V), gu_in, gf, gu_out, n_chunks)
        gf = gf.sum(0)
        gspatial = []
        for d, f in enumerate(spatial):
            pad = (kmax - f.shape[0]) // 2
            gspatial.append(torch.from_numpy(np.ascontiguousarray(gf[d, :, pad:pad + f.shape[0]].T)))
        return (gx, torch.from_numpy(gu_in.sum(0)), torch.from_numpy(gu_out.sum(0)), *gspatial)


# basis_conv2d's kernel trained models C/D about 4x slower than the torch form (1.4 s vs 0.35 s per batch
# of 96, local Table 2 profile), so `auto` keeps it on torch; backend="numba" still selects it.
register_backend("numba", device="cpu", step=SingleBasisStep, basis=BasisConv2d, topo=TopologicalConv, cp=CPConv,
                 check=check, not_auto=("basis_conv2d",), topo_padded=PaddedTopologicalConv)
