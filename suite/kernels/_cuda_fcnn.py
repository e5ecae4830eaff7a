"""Numba CUDA kernels of the FCNN operators (Algorithms 2, 3 and 4), for `backend="numba-cuda"`; the
topological kernels (Alg. 4) live in `_cuda_topo`, the design of all of them is here.

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

from functools import cache
from types import SimpleNamespace

import numpy as np
from numba import cuda

from ._cuda_reduce import block_sum

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
