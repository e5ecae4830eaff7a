"""Numba CUDA kernels of FCNN Algorithm 4 (topological connections), for `backend="numba-cuda"`: the
register-blocked gather (`topo_forward`, also the input gradient over the inverse table), its weight
gradient (`topo_wgrad`) and the tiling that sizes both (`topo_plan`). The design and its byte budget are in
`_cuda_fcnn`'s docstring, beside the other FCNN kernels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

import numpy as np
from numba import cuda

SHARED_BUDGET = 46 * 1024  # bytes of dynamic shared memory per block (48 KiB without opt-in)
EMAX = 16  # weight-gradient entries per thread per slice of `topo_wgrad`


# ---------------------------------------------------------------- topological connections (Alg. 4)
@dataclass(frozen=True)
class TopoPlan:
    """How `topo_forward`/`topo_wgrad` tile one (table, k, H, W, dtype): output groups of `tj` channels,
    pixel tiles of `tp` = 32·rp, the staged source channels src (groups, s) and each (output, neighbour)'s
    row in them lidx (m, p); `shared` bytes per block (x tile + gy tile)."""

    tj: int
    rp: int
    halo: int
    src: np.ndarray
    lidx: np.ndarray
    shared_fwd: int
    shared_wgrad: int

    @property
    def tp(self) -> int:
        return 32 * self.rp

    @property
    def groups(self) -> int:
        return self.src.shape[0]


def _group_tables(table: np.ndarray, tj: int):
    """src (G, S): the sorted union of the sources of outputs g·tj … g·tj+tj-1 (padded with its first
    entry); lidx (m, p): the row of table[j, i] in its group's src."""
    m, p = table.shape
    groups = [np.unique(table[j0:j0 + tj]) for j0 in range(0, m, tj)]
    s = max(len(u) for u in groups)
    src = np.empty((len(groups), s), dtype=np.int32)
    lidx = np.empty((m, p), dtype=np.int32)
    for g, u in enumerate(groups):
        src[g, :len(u)] = u
        src[g, len(u):] = u[0]
        j0 = g * tj
        lidx[j0:j0 + tj] = np.searchsorted(u, table[j0:j0 + tj])
    return src, lidx


def _row_stride(length: int) -> int:
    """An odd row stride ≥ length: rows of the staged tiles then start in different shared-memory banks."""
    return length | 1


def topo_plan(table: np.ndarray, k: int, N: int, H: int, W: int, itemsize: int, min_blocks: int,
              origin: tuple | None = None) -> TopoPlan:
    """The cheapest tiling whose x and gy tiles fit SHARED_BUDGET. Cost per output element, in shared-load
    units: 4·s/tj for staging (a global load and a shared store per staged value, s/tj staged values per
    output) plus p·(2 + rp)/rp for the gather (per neighbour a weight and an index load, broadcast, and rp
    shared loads for rp outputs), times min_blocks/blocks when the forward grid would leave SMs idle.
    `origin` (oy, ox): the kernel's origin on the H×W grid (None: 'same', k // 2); the staged halo reaches
    the farther of its two sides, so the input gradient (origin k-1-oy, k-1-ox) has the same halo."""
    m, p = table.shape
    oy, ox = (k // 2, k // 2) if origin is None else origin
    halo = max(oy, k - 1 - oy) * W + max(ox, k - 1 - ox)
    best = None
    for rp in (4, 2, 1):
        tp = 32 * rp
        if k > 1 and rp > 1 and tp // 2 >= H * W:
            continue  # a k×k tile stays inside one image: no wider than the image
        tiles = math.ceil(N * H * W / tp) if k == 1 else N * math.ceil(H * W / tp)
        tj = 1
        while True:
            tj_ = min(tj, m)
            src, lidx = _group_tables(table, tj_)
            x_bytes = src.shape[1] * _row_stride(tp + 2 * halo) * itemsize
            wgrad = x_bytes + tj_ * (tp + 1) * itemsize
            blocks = tiles * src.shape[0]
            cost = (4 * src.shape[1] / tj_ + p * (2 + rp) / rp) * max(1.0, min_blocks / blocks)
            if wgrad <= SHARED_BUDGET and (best is None or cost < best[0] - 1e-9):
                best = (cost, TopoPlan(tj_, rp, halo, src, lidx, x_bytes, wgrad))
            if tj >= m:
                break
            tj *= 2
    if best is None:
        raise ValueError(f"topological_conv backend='numba-cuda': a {k}×{k} kernel on {H}×{W} maps needs a halo of "
                         f"{halo} pixels per staged channel, more than {SHARED_BUDGET} bytes of shared memory; "
                         "use backend='torch'")
    return best[1]


@cache
def topo_kernels(dtype: str, k: int, threads: int, rp: int) -> SimpleNamespace:
    """The topological gather and its weight gradient for one dtype, kernel size k, block size `threads`
    (a multiple of 32) and pixel tile 32·rp (rp pixels per lane in registers). Lane l of every warp owns
    tile positions l + 32·r (r < rp): their image and pixel are decoded once per tile (the only integer
    divisions), then serve the staging of k = 1 tiles, the gy rows of the weight gradient and the writes."""
    ZERO = np.dtype(dtype).type(0)
    K, KK, T, RP = k, k * k, threads, rp
    TP = 32 * rp
    NW = threads // 32

    @cuda.jit(device=True)
    def tile_origin(tile, HW):
        """(n, p0): k = 1 tiles run over the flat N·H·W range (n = 0, p0 flat); k×k tiles stay in one image."""
        if K == 1:
            return 0, tile * TP
        per_image = (HW + TP - 1) // TP
        n = tile // per_image
        return n, (tile - n * per_image) * TP

    @cuda.jit(device=True)
    def lane_pixels(pix_n, pix_p, pix_ok, n, p0, N, HW):
        """pix_*[r] = image, pixel and validity of this lane's tile position lane + 32·r."""
        lane = cuda.threadIdx.x % 32
        for r_ in range(RP):
            q = p0 + lane + 32 * r_
            if K == 1:
                nn = q // HW
                pix_n[r_] = nn
                pix_p[r_] = q - nn * HW
                pix_ok[r_] = 1 if q < N * HW else 0
            else:
                pix_n[r_] = n
                pix_p[r_] = q
                pix_ok[r_] = 1 if q < HW else 0

    @cuda.jit(device=True)
    def stage_sources(buf, x, src, g, n, p0, halo, ld, pix_n, pix_p, pix_ok):
        """buf[l·ld + q] = x[·, src[g, l], p0 - halo + q] (zero outside the image), q < TP + 2·halo: one warp
        per staged row (coalesced), rows strided over the warps."""
        _, _, HW = x.shape
        lane = cuda.threadIdx.x % 32
        for l_ in range(cuda.threadIdx.x // 32, src.shape[1], NW):
            c = src[g, l_]
            row = l_ * ld
            if K == 1:
                for r_ in range(RP):
                    buf[row + lane + 32 * r_] = x[pix_n[r_], c, pix_p[r_]] if pix_ok[r_] else ZERO
            else:
                for off in range(lane, TP + 2 * halo, 32):
                    pp = p0 - halo + off
                    buf[row + off] = x[n, c, pp] if pp >= 0 and pp < HW else ZERO

    @cuda.jit
    def topo_forward(x, w, src, lidx, out, tj, halo, width, flip, oy, ox):
        """out[n, j, p] = Σ_i Σ_{u,v} w[j, i, u, v]·x[n, src[g, lidx[j, i]], p + (u-oy)·W + v-ox] for the
        group g = blockIdx.y of outputs g·tj … g·tj+tj-1 and the pixel tile blockIdx.x, zero outside the
        H×W grid (origin oy = ox = k // 2: 'same' padding); `flip` rotates w by 180° (the input gradient over
        the inverse table, called with origin k-1-oy, k-1-ox). x, out (N, m, H·W). Each warp computes whole
        output rows, rp pixels per lane in registers."""
        buf = cuda.shared.array(0, dtype=x.dtype)
        acc = cuda.local.array(RP, dtype=x.dtype)
        pix_n = cuda.local.array(RP, dtype=np.int64)
        pix_p = cuda.local.array(RP, dtype=np.int64)
        pix_ok = cuda.local.array(RP, dtype=np.int64)
        xcol = cuda.local.array(RP, dtype=np.int64)
        N, m, HW = x.shape
        P = lidx.shape[1]
        g = cuda.blockIdx.y
        ld = (TP + 2 * halo) | 1
        lane = cuda.threadIdx.x % 32
        n, p0 = tile_origin(cuda.blockIdx.x, HW)
        lane_pixels(pix_n, pix_p, pix_ok, n, p0, N, HW)
        if K > 1:
            for r_ in range(RP):
                xcol[r_] = (p0 + lane + 32 * r_) % width
        stage_sources(buf, x, src, g, n, p0, halo, ld, pix_n, pix_p, pix_ok)
        cuda.syncthreads()
        for jl in range(cuda.threadIdx.x // 32, tj, NW):
            j = g * tj + jl
            if j < m:
                for r_ in range(RP):
                    acc[r_] = ZERO
                for i in range(P):
                    base = lidx[j, i] * ld + halo + lane
                    for u in range(K):
                        for v in range(K):
                            wv = w[j, i, K - 1 - u, K - 1 - v] if flip else w[j, i, u, v]
                            if K == 1:
                                for r_ in range(RP):
                                    acc[r_] += wv * buf[base + 32 * r_]
                            else:
                                shift = (u - oy) * width + v - ox
                                for r_ in range(RP):
                                    col = xcol[r_] + v - ox
                                    if col >= 0 and col < width:
                                        acc[r_] += wv * buf[base + 32 * r_ + shift]
                for r_ in range(RP):
                    if pix_ok[r_]:
                        out[pix_n[r_], j, pix_p[r_]] = acc[r_]

    @cuda.jit
    def topo_wgrad(x, gy, src, lidx, part, tj, halo, width, slices, oy, ox):
        """part[chunk, (j·p + i)·k² + tap] = Σ over the chunk's tiles of gy[n, j, q]·x[n, src[g, lidx[j, i]],
        q + (u-oy)·W + v-ox] for the group g = blockIdx.y // slices (outputs g·tj … g·tj+tj-1); each thread
        owns EMAX entries of the slice blockIdx.y % slices, summed in registers over each staged tile.
        grid (chunks, groups·slices)."""
        buf = cuda.shared.array(0, dtype=x.dtype)
        acc = cuda.local.array(EMAX, dtype=x.dtype)
        pix_n = cuda.local.array(RP, dtype=np.int64)
        pix_p = cuda.local.array(RP, dtype=np.int64)
        pix_ok = cuda.local.array(RP, dtype=np.int64)
        N, m, HW = x.shape
        P = lidx.shape[1]
        S = src.shape[1]
        g = cuda.blockIdx.y // slices
        e0 = (cuda.blockIdx.y - g * slices) * T * EMAX
        ld = (TP + 2 * halo) | 1
        gld = TP + 1
        gbase = S * ld
        entries = tj * P * KK
        t = cuda.threadIdx.x
        lane = t % 32
        for q in range(EMAX):
            acc[q] = ZERO
        tiles = (N * HW + TP - 1) // TP if K == 1 else N * ((HW + TP - 1) // TP)
        for tile in range(cuda.blockIdx.x, tiles, cuda.gridDim.x):
            n, p0 = tile_origin(tile, HW)
            lane_pixels(pix_n, pix_p, pix_ok, n, p0, N, HW)
            stage_sources(buf, x, src, g, n, p0, halo, ld, pix_n, pix_p, pix_ok)
            for jl in range(t // 32, tj, NW):
                j = g * tj + jl
                for r_ in range(RP):
                    ok = pix_ok[r_] and j < m
                    buf[gbase + jl * gld + lane + 32 * r_] = gy[pix_n[r_], j, pix_p[r_]] if ok else ZERO
            cuda.syncthreads()
            col0 = p0 % width if K > 1 else 0
            for q in range(EMAX):
                e = e0 + t + q * T
                if e < entries:
                    jl = e // (P * KK)
                    rem = e - jl * P * KK
                    i = rem // KK
                    tap = rem - i * KK
                    u = tap // K
                    v = tap - u * K
                    j = g * tj + jl
                    if j < m:
                        xb = lidx[j, i] * ld + halo + (u - oy) * width + v - ox
                        gb = gbase + jl * gld
                        a = acc[q]
                        if K == 1:
                            for qq in range(TP):
                                a += buf[gb + qq] * buf[xb + qq]
                        else:
                            cc = col0
                            for qq in range(TP):
                                col = cc + v - ox
                                if col >= 0 and col < width:
                                    a += buf[gb + qq] * buf[xb + qq]
                                cc += 1
                                if cc == width:
                                    cc = 0
                        acc[q] = a
            cuda.syncthreads()
        for q in range(EMAX):
            e = e0 + t + q * T
            if e < entries and g * tj + e // (P * KK) < m:
                part[cuda.blockIdx.x, g * tj * P * KK + e] = acc[q]

    return SimpleNamespace(topo_forward=topo_forward, topo_wgrad=topo_wgrad, tp=TP)


def wgrad_slices(plan: TopoPlan, p: int, k: int, threads: int) -> int:
    """Slices of a group's tj·p·k² weight-gradient entries, EMAX per thread each."""
    return math.ceil(plan.tj * p * k * k / (threads * EMAX))
