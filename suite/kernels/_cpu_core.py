"""Serial Numba building blocks shared by the CPU kernels (called inside `prange` bodies).

A small register-blocked GEMM with fused epilogues (so a 1×1 projection, a residual, a bias and a ReLU
cost one pass over the output tile), a transposed-RHS GEMM for weight gradients, and depthwise 'same'
cross-correlations of one plane (k×k) or along one mode of an N-D block (1-D, HO-CP eq. 15).
Every function works for float32 and float64 (Numba specializes on the array dtype).
"""
from __future__ import annotations

import numpy as np
from numba import njit

MR = 4  # output rows per micro-tile (accumulators kept hot in L1/registers)
NR = 32  # output columns (pixels, contiguous) per micro-tile: 4 AVX2 float32 vectors

# Epilogue modes of `gemm`.
SET, ADD, RES_RELU = 0, 1, 2

_JIT = dict(fastmath=True, cache=True, nogil=True)


@njit(**_JIT)
def _store(C, R, bias, acc, o0, p0, mr, nr, mode, relu):
    for i in range(mr):
        for t in range(nr):
            v = acc[i, t]
            if mode == ADD:
                v += C[o0 + i, p0 + t]
            elif mode == RES_RELU:
                v += R[o0 + i, p0 + t] + bias[o0 + i]
            if relu and v < 0:
                v = 0
            C[o0 + i, p0 + t] = v


@njit(**_JIT)
def gemm(A, B, C, R, bias, acc, mode, relu):
    """C (M×P) ← epilogue(A (M×K) @ B (K×P)).

    mode SET: C = AB; ADD: C += AB; RES_RELU: C = AB + R + bias[:, None]. `relu` clamps at 0 afterwards.
    `acc` is an (MR, NR) scratch of C's dtype. B and C may be strided views (rows contiguous is fastest).
    """
    M, K = A.shape
    P = B.shape[1]
    for p0 in range(0, P, NR):
        nr = min(NR, P - p0)
        for o0 in range(0, M, MR):
            mr = min(MR, M - o0)
            acc[:, :] = 0
            if mr == MR and nr == NR:
                for k in range(K):
                    a0 = A[o0, k]
                    a1 = A[o0 + 1, k]
                    a2 = A[o0 + 2, k]
                    a3 = A[o0 + 3, k]
                    for t in range(NR):
                        b = B[k, p0 + t]
                        acc[0, t] += a0 * b
                        acc[1, t] += a1 * b
                        acc[2, t] += a2 * b
                        acc[3, t] += a3 * b
            else:
                for i in range(mr):
                    for k in range(K):
                        a = A[o0 + i, k]
                        for t in range(nr):
                            acc[i, t] += a * B[k, p0 + t]
            _store(C, R, bias, acc, o0, p0, mr, nr, mode, relu)


@njit(**_JIT)
def gemm_nt_add(A, B, C):
    """C (M×Q) += A (M×P) @ B (Q×P)ᵀ: row-by-row dot products (weight gradients Σ_pixels g·xᵀ)."""
    M, P = A.shape
    Q = B.shape[0]
    for o in range(M):
        for q0 in range(0, Q - 3, 4):
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            for p in range(P):
                a = A[o, p]
                s0 += a * B[q0, p]
                s1 += a * B[q0 + 1, p]
                s2 += a * B[q0 + 2, p]
                s3 += a * B[q0 + 3, p]
            C[o, q0] += s0
            C[o, q0 + 1] += s1
            C[o, q0 + 2] += s2
            C[o, q0 + 3] += s3
        for q in range(Q - Q % 4, Q):
            s = 0.0
            for p in range(P):
                s += A[o, p] * B[q, p]
            C[o, q] += s


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
