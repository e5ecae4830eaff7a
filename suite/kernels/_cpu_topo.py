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
                            s = 0.0
                            for t in range(nt):
                                s += g[t] * xi[t]
                            acc[j, i] += s
