"""Numba CPU kernels of FCNN Alg. 4 with k×k kernels over column tiles: one k×k tap at a time as a 1×1 gather.

`out = Σ_{u,v} W_{u,v} · shift_{u,v}(x)`, W_{u,v} the sparse (m × m) matrix of tap (u, v) with p entries per row
(output j, input idx[j, i]). The flattened (image, pixel) index is cut into tiles of TP columns (a tile may span
rows and images, so small feature maps such as Model G's 11×11 or 5×5 still give full vectors); per tap the
shifted input tile of all m channels is packed into a contiguous (m, TP) block (zero where the shift leaves the
H×W grid: the zero padding), and the p neighbours of every output are summed from it as in the k = 1 kernel.
Packing costs m·TP per tap, the gather m·p·TP: 1/p of it. The per-plane kernels of `_cpu_fcnn`
(`topo_forward_kxk`) stay the 'same'-padding path; these run the explicit paddings (Models G, H, J).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._cpu_core import chunk_range
from ._cpu_fcnn import _copy_columns, _topo_tile

TP = 512  # columns per tile (TPXX)

_JIT = dict(fastmath=True, cache=True, nogil=True)
_PJIT = dict(parallel=True, **_JIT)


@njit(**_JIT)
def _runs(c0, nt, H, W, runs):
    """Cut columns c0 … c0+nt-1 of the flat (N·H·W) index into row runs: runs[r] = (n, y, x0, col, length).
    Returns the number of runs."""
    HW = H * W
    col = 0
    r = 0
    while col < nt:
        q = c0 + col
        n = q // HW
        rem = q - n * HW
        y = rem // W
        x0 = rem - y * W
        length = min(nt - col, W - x0)
        runs[r, 0], runs[r, 1], runs[r, 2], runs[r, 3], runs[r, 4] = n, y, x0, col, length
        r += 1
        col += length
    return r


@njit(**_JIT)
def _pack_tap(x, xt, runs, nr, dy, dx):
    """xt[c, col] = x[n, c, y + dy, x + dx] for every column of the tile (zero outside the H×W grid)."""
    N, m, H, W = x.shape
    for r in range(nr):
        n, y, x0, col, length = runs[r, 0], runs[r, 1], runs[r, 2], runs[r, 3], runs[r, 4]
        yy = y + dy
        a = max(0, -(x0 + dx))  # first offset of the run whose source column is inside the row
        b = min(length, W - (x0 + dx))  # one past the last
        if yy < 0 or yy >= H or b <= a:
            xt[:, col:col + length] = 0
            continue
        for c in range(m):
            dst = xt[c, col:col + length]
            src = x[n, c, yy]
            for t in range(a):
                dst[t] = 0
            for t in range(a, b):
                dst[t] = src[x0 + dx + t]
            for t in range(b, length):
                dst[t] = 0


@njit(**_PJIT)
def topo_forward_taps(x, idx, wt, out, oy, ox):
    """out[n, j, y, x'] = Σ_{i,u,v} wt[u, v, j, i] · x[n, idx[j, i], y+u-oy, x'+v-ox] (zero outside the H×W
    grid): FCNN Alg. 4 with kernel origin (oy, ox), tap by tap over (m, TP) tiles. wt (k, k, m, p)."""
    N, m, H, W = x.shape
    k = wt.shape[0]
    total = N * H * W
    tiles = (total + TP - 1) // TP
    o3 = out.reshape((N, m, H * W))
    for tile in prange(tiles):
        c0 = tile * TP
        nt = min(TP, total - c0)
        runs = np.empty((TP, 5), np.int64)
        nr = _runs(c0, nt, H, W, runs)
        xt = np.empty((m, TP), x.dtype)
        ot = np.zeros((m, TP), x.dtype)
        for u in range(k):
            for v in range(k):
                _pack_tap(x, xt, runs, nr, u - oy, v - ox)
                _topo_tile(xt, idx, wt[u, v], ot, nt, True)
        _copy_columns(o3, ot, c0, nt, False)


@njit(**_PJIT)
def topo_wgrad_taps(x, gy, idx, gw, oy, ox, n_chunks):
    """gw[chunk, u, v, j, i] = Σ over the chunk's columns of gy[n, j, y, x'] · x[n, idx[j, i], y+u-oy, x'+v-ox]:
    the weight gradient of `topo_forward_taps`, partial sums per chunk of tiles (summed by the caller)."""
    N, m, H, W = x.shape
    k = gw.shape[1]
    p = idx.shape[1]
    total = N * H * W
    tiles = (total + TP - 1) // TP
    g3 = gy.reshape((N, m, H * W))
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, tiles)
        runs = np.empty((TP, 5), np.int64)
        xt = np.empty((m, TP), x.dtype)
        gt = np.empty((m, TP), x.dtype)
        for tile in range(lo, hi):
            c0 = tile * TP
            nt = min(TP, total - c0)
            nr = _runs(c0, nt, H, W, runs)
            _copy_columns(g3, gt, c0, nt, True)
            for u in range(k):
                for v in range(k):
                    _pack_tap(x, xt, runs, nr, u - oy, v - ox)
                    acc = gw[c, u, v]
                    for j in range(m):
                        g = gt[j, :nt]
                        for i in range(p):
                            xi = xt[idx[j, i], :nt]
                            s = g[0] * xi[0]  # in the data's dtype (a float64 sum of float32 does not vectorize)
                            for t in range(1, nt):
                                s += g[t] * xi[t]
                            acc[j, i] += s


# ---------------------------------------------------------------- on a padded plane: no packing
TPV = 512  # columns per tile of one image's padded plane


@njit(**_JIT)
def _gather_taps(xs, idx, wt, j, a, base, nt, rs, cs):
    """a[:nt] += Σ_{i,u,v} wt[u, v, j, i] · xs[idx[j, i], base + u·rs + v·cs + t]: xs (m, columns) padded planes
    in which tap (u, v) is the constant shift u·rs + v·cs (row and column strides); 8 neighbours per pass (one
    load/store of a per 8 FMAs)."""
    k = wt.shape[0]
    p = idx.shape[1]
    p8 = p - p % 8
    for u in range(k):
        for v in range(k):
            off = base + u * rs + v * cs
            wj = wt[u, v, j]
            for i in range(0, p8, 8):
                w0, w1, w2, w3 = wj[i], wj[i + 1], wj[i + 2], wj[i + 3]
                w4, w5, w6, w7 = wj[i + 4], wj[i + 5], wj[i + 6], wj[i + 7]
                x0, x1 = xs[idx[j, i], off:off + nt], xs[idx[j, i + 1], off:off + nt]
                x2, x3 = xs[idx[j, i + 2], off:off + nt], xs[idx[j, i + 3], off:off + nt]
                x4, x5 = xs[idx[j, i + 4], off:off + nt], xs[idx[j, i + 5], off:off + nt]
                x6, x7 = xs[idx[j, i + 6], off:off + nt], xs[idx[j, i + 7], off:off + nt]
                for t in range(nt):
                    a[t] += ((w0 * x0[t] + w1 * x1[t]) + (w2 * x2[t] + w3 * x3[t])) + \
                            ((w4 * x4[t] + w5 * x5[t]) + (w6 * x6[t] + w7 * x7[t]))
            for i in range(p8, p):
                wi = wj[i]
                xi = xs[idx[j, i], off:off + nt]
                for t in range(nt):
                    a[t] += wi * xi[t]


@njit(**_PJIT)
def topo_forward_valid(xp, idx, wt, out, rs, cs, L):
    """out[n, j, q] = Σ_{i,u,v} wt[u, v, j, i] · xp[n, idx[j, i], q + u·rs + v·cs] for q < L: FCNN Alg. 4 as a
    'valid' correlation of zero-padded planes. Batch first, xp (N, m, Hp·Wp): rs = Wp, cs = 1, output pixel
    (y, x') at q = y·Wp + x', L = (H'-1)·Wp + W' (the k-1 columns between rows are not outputs). Batch last
    (small maps: long vectors), xp (1, m, Hp·Wp·N): rs = Wp·N, cs = N, L = ((H'-1)·Wp + W')·N. wt (k, k, m, p)."""
    N, m = xp.shape[0], xp.shape[1]
    per = (L + TPV - 1) // TPV
    for item in prange(N * per):
        n = item // per
        q0 = (item - n * per) * TPV
        nt = min(TPV, L - q0)
        for j in range(m):
            a = out[n, j, q0:q0 + nt]
            a[:] = 0
            _gather_taps(xp[n], idx, wt, j, a, q0, nt, rs, cs)


@njit(**_PJIT)
def topo_wgrad_valid(xp, gyp, idx, gw, rs, cs, L, n_chunks):
    """gw[chunk, u, v, j, i] = Σ_n Σ_{q < L} gyp[n, j, q] · xp[n, idx[j, i], q + u·rs + v·cs], the chunk's share
    of the tiles: the weight gradient of `topo_forward_valid` (gyp on the output grid, zero between rows)."""
    N = xp.shape[0]
    m, p = idx.shape
    k = gw.shape[1]
    per = (L + TPV - 1) // TPV
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N * per)
        for item in range(lo, hi):
            n = item // per
            q0 = (item - n * per) * TPV
            nt = min(TPV, L - q0)
            for u in range(k):
                for v in range(k):
                    off = q0 + u * rs + v * cs
                    acc = gw[c, u, v]
                    for j in range(m):
                        g = gyp[n, j, q0:q0 + nt]
                        for i in range(p):
                            xi = xp[n, idx[j, i], off:off + nt]
                            s = g[0] * xi[0]  # in the data's dtype (a float64 sum of float32 does not vectorize)
                            for t in range(1, nt):
                                s += g[t] * xi[t]
                            acc[j, i] += s
