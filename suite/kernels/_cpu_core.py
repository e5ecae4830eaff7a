"""Serial Numba building blocks shared by the CPU kernels (called inside `prange` bodies).

The 1×1 projections are GEMMs through `np.dot` (Numba calls SciPy's BLAS; the wrappers pin that BLAS to
one thread while a kernel runs, since the kernels parallelize over images/tiles themselves). Here: the
fused epilogue (residual + bias + ReLU on a GEMM's output tile) and depthwise 'same' cross-correlations
of one plane (k×k) or along one mode of an N-D block (1-D, HO-CP eq. 15), with their weight gradients.
Every function works for float32 and float64 (Numba specializes on the array dtype).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(fastmath=True, cache=True, nogil=True)


@njit(**_JIT)
def res_bias_relu(o, x, bias, residual, relu):
    """o (M×P) ← relu(o + residual·x + bias[:, None]) in place: the fused epilogue of a 1×1 projection,
    run on the output tile right after its GEMM (still in cache)."""
    M, P = o.shape
    for i in range(M):
        b = bias[i]
        for p in range(P):
            v = o[i, p] + b
            if residual:
                v += x[i, p]
            if relu and v < 0:
                v = 0
            o[i, p] = v


@njit(**_JIT)
def dw_plane(x, w, out, accumulate, flip):
    """out (H×W) (+)= x (H×W) ⋆ w (k×k), zero 'same' padding; `flip` uses w rotated by 180° (the
    adjoint of the cross-correlation, i.e. the input gradient)."""
    H, W = x.shape
    k = w.shape[0]
    r = k // 2
    if not accumulate:
        out[:, :] = 0
    for y in range(H):
        for u in range(k):
            yy = y + u - r
            if yy < 0 or yy >= H:
                continue
            for v in range(k):
                wv = w[k - 1 - u, k - 1 - v] if flip else w[u, v]
                off = v - r
                lo = max(0, -off)
                hi = min(W, W - off)
                for xx in range(lo, hi):
                    out[y, xx] += wv * x[yy, xx + off]


@njit(**_JIT)
def dw_plane_wgrad(g, x, gw):
    """gw (k×k) += Σ_{y,x} g[y, x] · x[y+u-r, x+v-r]: the gradient of `dw_plane` w.r.t. its kernel."""
    H, W = x.shape
    k = gw.shape[0]
    r = k // 2
    for u in range(k):
        for v in range(k):
            off = v - r
            lo = max(0, -off)
            hi = min(W, W - off)
            s = 0.0
            for y in range(max(0, r - u), min(H, H + r - u)):
                yy = y + u - r
                for xx in range(lo, hi):
                    s += g[y, xx] * x[yy, xx + off]
            gw[u, v] += s


@njit(**_JIT)
def conv_mode(src, dst, f, A, D, B, flip):
    """dst ← depthwise 1-D 'same' cross-correlation along one mode (HO-CP eq. 15).

    src, dst: (R, A·D·B) blocks viewed as (R, A, D, B), mode of length D; f: (R, K) per-channel filter.
    `flip` reverses the filter (adjoint). Vectorizes over B (or over D when B == 1).
    """
    R = src.shape[0]
    K = f.shape[1]
    rk = K // 2
    for r in range(R):
        for a in range(A):
            base = a * D * B
            for d in range(D):
                row = base + d * B
                for b in range(B):
                    dst[r, row + b] = 0
                for k in range(K):
                    dd = d + k - rk
                    if dd < 0 or dd >= D:
                        continue
                    fk = f[r, K - 1 - k] if flip else f[r, k]
                    srow = base + dd * B
                    for b in range(B):
                        dst[r, row + b] += fk * src[r, srow + b]


@njit(**_JIT)
def conv_mode_wgrad(g, z, gf, A, D, B):
    """gf (R, K) += Σ g[r, a, d, b] · z[r, a, d+k-rk, b]: gradient of `conv_mode` w.r.t. its filter."""
    R = g.shape[0]
    K = gf.shape[1]
    rk = K // 2
    for r in range(R):
        for k in range(K):
            s = 0.0
            for a in range(A):
                base = a * D * B
                for d in range(max(0, rk - k), min(D, D + rk - k)):
                    row = base + d * B
                    srow = base + (d + k - rk) * B
                    for b in range(B):
                        s += g[r, row + b] * z[r, srow + b]
            gf[r, k] += s


def chunks(items: int, threads: int) -> int:
    """How many static work chunks to use for `items` independent items."""
    return max(1, min(items, threads))


@njit(**_JIT)
def chunk_range(c, n_chunks, items):
    lo = (items * c) // n_chunks
    hi = (items * (c + 1)) // n_chunks
    return lo, hi


def scratch(shape, dtype):
    return np.empty(shape, dtype)
