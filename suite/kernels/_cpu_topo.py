"""Numba CPU kernels of FCNN Alg. 4 with an explicit zero padding and any k (Models G, H, J: k = 2, padding 0
then 1), as a 'valid' correlation of the zero-padded planes.

`out = Σ_{u,v} W_{u,v} · shift_{u,v}(x_padded)`, W_{u,v} the sparse (m × m) matrix of tap (u, v) with p entries per
row (output j, input idx[j, i]). On padded planes laid out as rows of stride Wp every tap is one constant shift
u·Wp + v of the flat plane, so the p·k² source vectors of an output are plain slices: no per-tap packing, no
boundary tests, and the gather sums 8 of them per pass as the k = 1 kernel does (`_cpu_fcnn._topo_tile`).
Output pixel (y, x') sits at y·Wp + x' (the k-1 columns between rows are computed into a scratch and dropped).
Small planes run batch last, (m, Hp, Wp, N): a tap is then the shift u·Wp·N + v·N and vectors run over the batch.
The 'same'-padding path (odd k) stays the per-plane `_cpu_fcnn.topo_forward_kxk`.
"""
from __future__ import annotations

from numba import njit, prange

from ._cpu_core import chunk_range

_JIT = dict(fastmath=True, cache=True, nogil=True)
_PJIT = dict(parallel=True, **_JIT)


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
