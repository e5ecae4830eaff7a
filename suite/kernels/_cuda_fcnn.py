"""Numba CUDA kernels of the FCNN operators (Algorithms 2, 3 and 4), for `backend="numba-cuda"`.

Design (measured baseline: ../shared/measurements/gpu-h200-2026-12-04.md, H200, float32, N = 32,
FCNN Table 1's stages C128 H36, C256 H18, C512 H6). At these shapes one activation tensor
(N·C·H·W floats) is 2.4–21 MB and every op is bound by memory traffic, launch count and host
overhead, not by its arithmetic, except the 1×1 projection: 2·N·H·W·m·n = 1.4 GFLOP at C128 H36, a GEMM
that cuBLAS runs at ~50 TFLOP/s in float32 and a hand-written Numba tile (the old kernel: 16×16 tiles,
float64 accumulators) at a tenth of that. So:

- The projection and its gradients are cuBLAS calls through torch on the same stream (numba_cuda.py).
  The depthwise output G = x ⋆ₘ basis is written channel-major, (m·b, N, H·W): the forward GEMM reads
  it as a strided batch (torch.bmm, batch stride H·W, no copy), and both backward GEMMs become single
  2-D GEMMs over K = N·H·W (gP = gz·Gᵀ, gG = Pᵀ·gz) with no per-image partial products to add up.
- Numba does what cuBLAS/cuDNN lack: the depthwise k×k (`dw_forward`, `dw_input_grad`, taps unrolled:
  k is a compile-time constant of each kernel family; a thread computes a strip of PX = 4 pixels of a
  row from one k × (PX+k-1) window in registers, so the index arithmetic and its 64-bit divisions are
  paid once per strip), the fused epilogue relu(P·G + bias + residual)
  in place (`step_epilogue`), the ReLU mask with the bias gradient (`relu_grad_sum`), the depthwise
  weight gradient (`dw_weight_grad`) and the topological gathers (`topo_forward`, `topo_wgrad`).
- Every sum over N·H·W is a two-pass parallel reduction (_cuda_reduce.py): blocks stride over N·H·W,
  registers, then a shared-memory tree, one partial per (block, output), then `sum_rows`. The old
  kernels gave one thread one weight and looped it over N·H·W (7.4 of 13.8 ms of the step's backward).
- Accumulators have the data's dtype (ZERO below is a float32 constant in float32 kernels).

Single-basis step relu(res + P·(x ⋆ₘ basis) + bias), C128 H36 (21 MB per activation), forward:
dw_forward reads x, writes G (42 MB); bmm reads G, writes z (42 MB, 1.4 GFLOP); step_epilogue reads z
and the residual, writes out (63 MB): 147 MB ≈ 37 µs at ~4 TB/s plus the GEMM's ~30 µs, 3 launches
(torch's eager dw + 1×1 + add + ReLU: 0.145 ms). Backward: relu_grad_sum (gy, out → gz, bias partials;
63 MB), two GEMMs (gP, gG), dw_input_grad (gG, gz → gx; 63 MB), dw_weight_grad (gG, x; 42 MB),
sum_rows: 4 Numba launches + 2 cuBLAS. basis_conv2d is the same with b outputs per channel and no
epilogue (2 launches forward; backward: gy to channel-major, 2 GEMMs, 3 Numba launches).

Topological 1×1 (Alg. 4), out[n, j] = Σ_i w[j, i]·x[n, idx[j, i]]: a gather, p = m/4 neighbours per
output at Table 3's grids (170 M multiply-adds at C128 H36, the reads are the cost). A block owns a
group of `tj` output channels × a tile of TP = 32·RP pixels; the group's source channels (the union of
its neighbours, `topo_plan`) are staged in shared memory once per tile (rows padded to an odd stride:
no bank conflicts), then each warp computes whole output rows with RP pixels per lane in registers
(per neighbour: one weight and one index load, broadcast across the warp, and RP shared loads). x is
read once per group (not once per neighbour as the old per-element gather did), out written once:
~42 MB per call. The input gradient is the same gather over the inverse table (flipped taps). The
weight gradient stages the group's gy rows too and gives each thread its own (output, neighbour, tap)
entries, summed over the tile in registers (two shared loads per multiply-add), one partial per
(block, entry), then `sum_rows`. k×k kernels stage a flat halo of r·W + r pixels (tiles stay inside an
image); k = 1 tiles run across image borders. Lane l owns tile positions l + 32·r: their image and pixel
are decoded once per tile and serve the staging, the gy rows and the writes.

Measured on an H200 (docs/gpu-fcnn-kernels.md): the first version of these kernels (commit 22daa09)
took 0.24–0.52 ms forward and 1.2–1.6 ms forward+backward at all three stages, nearly independent of
the shape: per-launch host cost, not the kernels, dominated. Later changes (strips, the per-lane decode,
the launch path's stream, the dispatcher fallback without a sync per tensor) are not measured on a GPU.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

import numpy as np
from numba import cuda

from ._cuda_reduce import block_sum

SHARED_BUDGET = 46 * 1024  # bytes of dynamic shared memory per block (48 KiB without opt-in)
EMAX = 16  # weight-gradient entries per thread per slice of `topo_wgrad`
PX = 4  # pixels of a row per thread in the depthwise kernels: one window load, 1/PX of the index arithmetic


# ---------------------------------------------------------------- depthwise k×k (Alg. 2/3) and the step
@cache
def dw_kernels(dtype: str, k: int, threads: int) -> SimpleNamespace:
    """The depthwise / single-basis kernels for one dtype ("float32", "float64"), kernel size k (taps
    unrolled) and reduction block size `threads` (a power of two)."""
    ZERO = np.dtype(dtype).type(0)
    K, R, KK, T = k, k // 2, k * k, threads
    WIN = PX + k - 1  # columns of a strip's window

    @cuda.jit(device=True)
    def load_window(win, src, n, c, y, x0, H, W):
        """win[u, t] = src[n, c, y+u-r, x0+t-r] (zero outside the map): the k rows × (PX+k-1) columns a strip
        of PX pixels starting at (y, x0) reads."""
        for u in range(K):
            yy = y + u - R
            for t in range(WIN):
                xv = x0 + t - R
                win[u, t] = src[n, c, yy, xv] if yy >= 0 and yy < H and xv >= 0 and xv < W else ZERO

    @cuda.jit(device=True)
    def strip(e, C, H, SW):
        """(n, c, y, x0) of strip e of an (N, C, H, SW strips of PX pixels) map."""
        row = e // SW
        x0 = (e - row * SW) * PX
        nc = row // H
        y = row - nc * H
        n = nc // C
        return n, nc - n * C, y, x0

    @cuda.jit
    def dw_forward(x, w, g, mult):
        """g[c·mult+i, n, p] = (x[n, c] ⋆ w[c·mult+i])[p] (zero 'same' padding); x (N, C, H, W),
        w (C·mult, k, k), g (C·mult, N, H·W) channel-major (any strides). A thread computes a strip of PX
        pixels of a row from one k × (PX+k-1) window in registers."""
        win = cuda.local.array((K, WIN), dtype=x.dtype)
        acc = cuda.local.array(PX, dtype=x.dtype)
        N, C, H, W = x.shape
        SW = (W + PX - 1) // PX
        start, step = cuda.grid(1), cuda.gridsize(1)
        for e in range(start, N * C * H * SW, step):
            n, c, y, x0 = strip(e, C, H, SW)
            load_window(win, x, n, c, y, x0, H, W)
            for i in range(mult):
                co = c * mult + i
                for q in range(PX):
                    acc[q] = ZERO
                for u in range(K):
                    for v in range(K):
                        wv = w[co, u, v]
                        for q in range(PX):
                            acc[q] += wv * win[u, q + v]
                for q in range(PX):
                    if x0 + q < W:
                        g[co, n, y * W + x0 + q] = acc[q]

    @cuda.jit
    def step_epilogue(z, res, bias, has_res):
        """z = relu(z + bias[:, None] (+ res)) in place; z, res (N, n, H·W)."""
        N, n, HW = z.shape
        start, step = cuda.grid(1), cuda.gridsize(1)
        for e in range(start, N * n * HW, step):
            bo = e // HW
            p = e - bo * HW
            b = bo // n
            o = bo - b * n
            v = z[b, o, p] + bias[o]
            if has_res:
                v += res[b, o, p]
            z[b, o, p] = max(ZERO, v)

    @cuda.jit
    def relu_grad_sum(gy, out, gz_cm, gz, part, col0, write_nchw):
        """gz = gy·[out > 0] into gz_cm (n, N, H·W) (and gz (N, n, H·W) if write_nchw); part[chunk,
        col0 + o] = Σ of channel o's gz over the chunk's share of N·H·W. grid (chunks, n), T threads."""
        buf = cuda.shared.array(T, dtype=gy.dtype)
        N, _, HW = gy.shape
        o = cuda.blockIdx.y
        t = cuda.threadIdx.x
        s = ZERO
        for e in range(cuda.blockIdx.x * T + t, N * HW, cuda.gridDim.x * T):
            b = e // HW
            p = e - b * HW
            v = gy[b, o, p] if out[b, o, p] > ZERO else ZERO
            gz_cm[o, b, p] = v
            if write_nchw:
                gz[b, o, p] = v
            s += v
        total = block_sum(buf, s, T)
        if t == 0:
            part[cuda.blockIdx.x, col0 + o] = total

    @cuda.jit
    def dw_input_grad(gG, w, gx, gz, mult, add_gz):
        """gx[n, c] = Σ_i gG[c·mult+i, n] ⋆ rot180(w[c·mult+i]) (+ gz[c, n] when add_gz: the residual
        x's own gradient); gG (C·mult, N, H·W) any strides, gx (N, C, H, W), gz (C, N, H·W). Strips of
        PX pixels as in dw_forward."""
        win = cuda.local.array((K, WIN), dtype=gx.dtype)
        acc = cuda.local.array(PX, dtype=gx.dtype)
        N, C, H, W = gx.shape
        SW = (W + PX - 1) // PX
        start, step = cuda.grid(1), cuda.gridsize(1)
        for e in range(start, N * C * H * SW, step):
            n, c, y, x0 = strip(e, C, H, SW)
            for q in range(PX):
                acc[q] = ZERO
            for i in range(mult):
                co = c * mult + i
                # win[u, t] = gG[co, n, y-u+r, x0+t-r]: pixel x0+q, tap (u, v) reads t = q - v + k - 1
                for u in range(K):
                    yy = y - u + R
                    for t in range(WIN):
                        xv = x0 + t - R
                        win[u, t] = gG[co, n, yy * W + xv] if yy >= 0 and yy < H and xv >= 0 and xv < W else ZERO
                for u in range(K):
                    for v in range(K):
                        wv = w[co, u, v]
                        for q in range(PX):
                            acc[q] += wv * win[u, q + K - 1 - v]
            for q in range(PX):
                xx = x0 + q
                if xx < W:
                    s = acc[q]
                    if add_gz:
                        s += gz[c, n, y * W + xx]
                    gx[n, c, y, xx] = s

    @cuda.jit
    def dw_weight_grad(gG, x, part, mult, col0):
        """part[chunk, col0 + co·k² + u·k + v] = Σ over the chunk's share of (n, y, x) of gG[co, n, y, x] ·
        x[n, co // mult, y+u-r, x+v-r]: k² register accumulators per thread over strips of PX pixels (one
        k × (PX+k-1) window of x each), then block sums. grid (chunks, C·mult), T threads."""
        buf = cuda.shared.array(T, dtype=x.dtype)
        acc = cuda.local.array(KK, dtype=x.dtype)
        win = cuda.local.array((K, WIN), dtype=x.dtype)
        gv = cuda.local.array(PX, dtype=x.dtype)
        N, _, H, W = x.shape
        SW = (W + PX - 1) // PX
        co = cuda.blockIdx.y
        c = co // mult
        t = cuda.threadIdx.x
        for q in range(KK):
            acc[q] = ZERO
        for e in range(cuda.blockIdx.x * T + t, N * H * SW, cuda.gridDim.x * T):
            n, _, y, x0 = strip(e, 1, H, SW)
            for q in range(PX):
                gv[q] = gG[co, n, y * W + x0 + q] if x0 + q < W else ZERO
            load_window(win, x, n, c, y, x0, H, W)
            for u in range(K):
                for v in range(K):
                    a = acc[u * K + v]
                    for q in range(PX):
                        a += gv[q] * win[u, q + v]
                    acc[u * K + v] = a
        for q in range(KK):
            total = block_sum(buf, acc[q], T)
            if t == 0:
                part[cuda.blockIdx.x, col0 + co * KK + q] = total

    return SimpleNamespace(dw_forward=dw_forward, step_epilogue=step_epilogue, relu_grad_sum=relu_grad_sum,
                           dw_input_grad=dw_input_grad, dw_weight_grad=dw_weight_grad)


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


def topo_plan(table: np.ndarray, k: int, N: int, H: int, W: int, itemsize: int, min_blocks: int) -> TopoPlan:
    """The cheapest tiling whose x and gy tiles fit SHARED_BUDGET. Cost per output element, in shared-load
    units: 4·s/tj for staging (a global load and a shared store per staged value, s/tj staged values per
    output) plus p·(2 + rp)/rp for the gather (per neighbour a weight and an index load, broadcast, and rp
    shared loads for rp outputs), times min_blocks/blocks when the forward grid would leave SMs idle."""
    m, p = table.shape
    r = k // 2
    halo = r * W + r
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
    K, R, KK, T, RP = k, k // 2, k * k, threads, rp
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
    def topo_forward(x, w, src, lidx, out, tj, halo, width, flip):
        """out[n, j, p] = Σ_i Σ_{u,v} w[j, i, u, v]·x[n, src[g, lidx[j, i]], p + (u-r)·W + v-r] for the
        group g = blockIdx.y of outputs g·tj … g·tj+tj-1 and the pixel tile blockIdx.x; `flip` rotates w by
        180° (the input gradient over the inverse table). x, out (N, m, H·W). Each warp computes whole
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
                                shift = (u - R) * width + v - R
                                for r_ in range(RP):
                                    col = xcol[r_] + v - R
                                    if col >= 0 and col < width:
                                        acc[r_] += wv * buf[base + 32 * r_ + shift]
                for r_ in range(RP):
                    if pix_ok[r_]:
                        out[pix_n[r_], j, pix_p[r_]] = acc[r_]

    @cuda.jit
    def topo_wgrad(x, gy, src, lidx, part, tj, halo, width, slices):
        """part[chunk, (j·p + i)·k² + tap] = Σ over the chunk's tiles of gy[n, j, q]·x[n, src[g, lidx[j, i]],
        q + shift(tap)] for the group g = blockIdx.y // slices (outputs g·tj … g·tj+tj-1); each thread
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
                        xb = lidx[j, i] * ld + halo + (u - R) * width + v - R
                        gb = gbase + jl * gld
                        a = acc[q]
                        if K == 1:
                            for qq in range(TP):
                                a += buf[gb + qq] * buf[xb + qq]
                        else:
                            cc = col0
                            for qq in range(TP):
                                col = cc + v - R
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
