"""Numba CUDA kernels (`@cuda.jit`) for the HO-CP operators (the FCNN kernels are in `_cuda_fcnn`).

Element-parallel kernels use grid-stride loops over a flattened index (any launch size is correct);
the GEMM uses 16×16 shared-memory tiles. All kernels work on float32
and float64 arrays (Numba specializes on dtype). Arrays are NCHW-contiguous (N-D tensors are passed
flattened to (N, C, V) where only channel mixing matters).
"""
from __future__ import annotations

from numba import cuda

TILE = 16


# ---------------------------------------------------------------- device helpers
@cuda.jit(device=True)
def unravel4(e, B, C, D):
    """(a, b, c, d) of the row-major flat index e of an (·, B, C, D) array."""
    return e // (D * C * B), (e // (D * C)) % B, (e // D) % C, e % D


# ---------------------------------------------------------------- GEMMs (1×1 projections)
@cuda.jit
def gemm_batched(A, B, C, R, bias, mode, relu):
    """C[n] = epilogue(A (M×K) @ B[n] (K×P)); mode 0: set, 1: + R[n] + bias[:, None]. 16×16 tiles.
    grid = (ceil(P/16), ceil(M/16), N), block = (16, 16)."""
    sa = cuda.shared.array((TILE, TILE), dtype=C.dtype)
    sb = cuda.shared.array((TILE, TILE), dtype=C.dtype)
    M, K = A.shape
    P = B.shape[2]
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    p = cuda.blockIdx.x * TILE + tx
    o = cuda.blockIdx.y * TILE + ty
    n = cuda.blockIdx.z
    s = 0.0
    for k0 in range(0, K, TILE):
        sa[ty, tx] = A[o, k0 + tx] if (o < M and k0 + tx < K) else 0
        sb[ty, tx] = B[n, k0 + ty, p] if (p < P and k0 + ty < K) else 0
        cuda.syncthreads()
        for kk in range(TILE):
            s += sa[ty, kk] * sb[kk, tx]
        cuda.syncthreads()
    if o < M and p < P:
        if mode == 1:
            s += R[n, o, p] + bias[o]
        if relu and s < 0:
            s = 0
        C[n, o, p] = s


@cuda.jit
def gemm_nt_batched(A, B, C):
    """C[o, q] = Σ_n Σ_p A[n, o, p] · B[n, q, p]: weight gradients; one thread per output."""
    N, M, P = A.shape
    Q = B.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, M * Q, step):
        q = e % Q
        o = e // Q
        s = 0.0
        for n in range(N):
            for p in range(P):
                s += A[n, o, p] * B[n, q, p]
        C[o, q] = s


# ---------------------------------------------------------------- HO-CP CP convolution (eq. 15)
@cuda.jit
def cp_in_slab(x, u_in_t, h, d_lo):
    """h[n, r, l, q] = Σ_c u_in_t[r, c] · x[n, c, d_lo + l, q] (zero outside 0…D0-1): X ×₀ U^(C) on a slab."""
    N, C, D0, Q = x.shape
    R, L = h.shape[1], h.shape[2]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * R * L * Q, step):
        n, r, l_, q = unravel4(e, R, L, Q)
        d = d_lo + l_
        s = 0.0
        if 0 <= d < D0:
            for c in range(C):
                s += u_in_t[r, c] * x[n, c, d, q]
        h[n, r, l_, q] = s


@cuda.jit
def conv_mode(src, dst, f, A, D, B, flip):
    """dst[n, r, a, d, b] = Σ_k f[r, k] · src[n, r, a, d+k-rk, b] on (N, R, A·D·B) blocks (HO-CP eq. 15's
    1-D depthwise conv along one mode); `flip` reverses the filter (adjoint)."""
    N, R, V = dst.shape
    K = f.shape[1]
    rk = K // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * R * V, step):
        n, r, v = e // (V * R), (e // V) % R, e % V
        _, a, d, b = unravel4(v, A, D, B)
        s = 0.0
        for k in range(K):
            dd = d + k - rk
            if 0 <= dd < D:
                fk = f[r, K - 1 - k] if flip else f[r, k]
                s += fk * src[n, r, (a * D + dd) * B + b]
        dst[n, r, v] = s


@cuda.jit
def conv_mode_from_slab(h, f, out):
    """out[n, r, s, q] = Σ_k f[r, k] · h[n, r, s + k, q]: mode-0 conv of a slab with a K-1 plane halo."""
    N, R, S, Q = out.shape
    K = f.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * R * S * Q, step):
        n, r, s_, q = unravel4(e, R, S, Q)
        acc = 0.0
        for k in range(K):
            acc += f[r, k] * h[n, r, s_ + k, q]
        out[n, r, s_, q] = acc


@cuda.jit
def cp_out_slab(h2, u_out, out, d0):
    """out[n, t, d0 + s, q] = Σ_r u_out[t, r] · h2[n, r, s, q]: ×₀ U^(T) on a slab."""
    N, R, S, Q = h2.shape
    T = u_out.shape[0]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * T * S * Q, step):
        n, t, s_, q = unravel4(e, T, S, Q)
        acc = 0.0
        for r in range(R):
            acc += u_out[t, r] * h2[n, r, s_, q]
        out[n, t, d0 + s_, q] = acc


@cuda.jit
def conv_mode_wgrad(g, z, gf, A, D, B):
    """gf[r, k] = Σ_{n,a,d,b} g[n, r, a, d, b] · z[n, r, a, d+k-rk, b]; one thread per filter tap."""
    N, R, V = g.shape
    K = gf.shape[1]
    rk = K // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, R * K, step):
        k = e % K
        r = e // K
        s = 0.0
        for n in range(N):
            for v in range(V):
                _, a, d, b = unravel4(v, A, D, B)
                dd = d + k - rk
                if 0 <= dd < D:
                    s += g[n, r, v] * z[n, r, (a * D + dd) * B + b]
        gf[r, k] = s
