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


