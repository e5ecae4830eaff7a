"""Numba CUDA kernels (`@cuda.jit`) for the FCNN and HO-CP operators.

Element-parallel kernels use grid-stride loops over a flattened index (any launch size is correct);
the GEMM and the fused single-basis step use 16×16 shared-memory tiles. All kernels work on float32
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


@cuda.jit(device=True)
def window(plane, w, y, xx, flip):
    """Σ_{u,v} w[u, v] · plane[y+u-r, xx+v-r] (k×k, zero 'same' padding); `flip` rotates w by 180°."""
    H, W = plane.shape
    k = w.shape[0]
    r = k // 2
    s = 0.0
    for u in range(k):
        yy = y + u - r
        if 0 <= yy < H:
            for v in range(k):
                xv = xx + v - r
                if 0 <= xv < W:
                    s += (w[k - 1 - u, k - 1 - v] if flip else w[u, v]) * plane[yy, xv]
    return s


@cuda.jit(device=True)
def window_wgrad(g, gc, x, xc, u, v, r):
    """Σ_{n,y,x} g[n, gc, y, x] · x[n, xc, y+u-r, x+v-r]: one tap of a k×k kernel's gradient."""
    N, _, H, W = g.shape
    s = 0.0
    for n in range(N):
        for y in range(H):
            yy = y + u - r
            if 0 <= yy < H:
                for xx in range(W):
                    xv = xx + v - r
                    if 0 <= xv < W:
                        s += g[n, gc, y, xx] * x[n, xc, yy, xv]
    return s


# ---------------------------------------------------------------- depthwise k×k (Alg. 2/3 bases)
@cuda.jit
def dw_expand(x, w, out, mult, flip):
    """out[n, c] = x[n, c // mult] ⋆ w[c] (k×k, zero 'same' padding); `flip` rotates w by 180°."""
    N, Co, H, W = out.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * Co * H * W, step):
        n, c, y, xx = unravel4(e, Co, H, W)
        out[n, c, y, xx] = window(x[n, c // mult], w[c], y, xx, flip)


@cuda.jit
def dw_reduce_flipped(g, w, out, mult):
    """out[n, c] = Σ_{i<mult} g[n, c·mult+i] ⋆ rot180(w[c·mult+i]): the input gradient of `dw_expand`."""
    N, C, H, W = out.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * C * H * W, step):
        n, c, y, xx = unravel4(e, C, H, W)
        s = 0.0
        for i in range(mult):
            s += window(g[n, c * mult + i], w[c * mult + i], y, xx, True)
        out[n, c, y, xx] = s


@cuda.jit
def dw_wgrad(g, x, gw, mult):
    """gw[c, u, v] = Σ_{n,y,x} g[n, c, y, x] · x[n, c // mult, y+u-r, x+v-r]; one thread per weight."""
    Co, k = gw.shape[0], gw.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, Co * k * k, step):
        _, c, u, v = unravel4(e, Co, k, k)
        gw[c, u, v] = window_wgrad(g, c, x, c // mult, u, v, k // 2)


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


# ---------------------------------------------------------------- single-basis step, fused (Alg. 3)
@cuda.jit
def single_basis_fused(x, basis, proj, bias, res, out, has_res):
    """out[n, o, p] = relu(has_res·res[n, o, p] + Σ_c proj[o, c]·(x[n, c] ⋆ basis[c])[p] + bias[o]).

    A 16×16 tile of (out channels × pixels) per block; the depthwise result for 16 input channels ×
    16 pixels is computed straight into shared memory and consumed by the tile product, so the
    depthwise output never reaches global memory. grid = (ceil(HW/16), ceil(n_out/16), N)."""
    sp = cuda.shared.array((TILE, TILE), dtype=out.dtype)
    sg = cuda.shared.array((TILE, TILE), dtype=out.dtype)
    N, m, H, W = x.shape
    n_out = proj.shape[0]
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    p = cuda.blockIdx.x * TILE + tx
    o = cuda.blockIdx.y * TILE + ty
    n = cuda.blockIdx.z
    y = p // W
    xx = p % W
    s = 0.0
    for c0 in range(0, m, TILE):
        sp[ty, tx] = proj[o, c0 + tx] if (o < n_out and c0 + tx < m) else 0
        c = c0 + ty
        g = 0.0
        if c < m and p < H * W:
            g = window(x[n, c], basis[c], y, xx, False)
        sg[ty, tx] = g
        cuda.syncthreads()
        for cc in range(TILE):
            s += sp[ty, cc] * sg[cc, tx]
        cuda.syncthreads()
    if o < n_out and p < H * W:
        s += bias[o]
        if has_res:
            s += res[n, o, y, xx]
        out[n, o, y, xx] = s if s > 0 else 0


@cuda.jit
def relu_mask(gy, y, gz):
    """gz = gy · [y > 0] (flattened)."""
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, gz.size, step):
        gz[e] = gy[e] if y[e] > 0 else 0


@cuda.jit
def channel_sum(g, out):
    """out[c] = Σ_{n,p} g[n, c, p]; one thread per channel."""
    N, C, P = g.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for c in range(start, C, step):
        s = 0.0
        for n in range(N):
            for p in range(P):
                s += g[n, c, p]
        out[c] = s


# ---------------------------------------------------------------- topological connections (Alg. 4)
@cuda.jit
def topo_gather(x, idx, w, out, flip):
    """out[n, j] = Σ_i x[n, idx[j, i]] ⋆ w[j, i] (k×k, zero 'same' padding); `flip` rotates w."""
    N, m, H, W = out.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * m * H * W, step):
        n, j, y, xx = unravel4(e, m, H, W)
        s = 0.0
        for i in range(idx.shape[1]):
            s += window(x[n, idx[j, i]], w[j, i], y, xx, flip)
        out[n, j, y, xx] = s


@cuda.jit
def topo_wgrad(x, gy, idx, gw):
    """gw[j, i, u, v] = Σ_{n,y,x} gy[n, j, y, x] · x[n, idx[j, i], y+u-r, x+v-r]; a thread per weight."""
    m, pn, k = gw.shape[0], gw.shape[1], gw.shape[2]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, m * pn * k * k, step):
        j, i, u, v = unravel4(e, pn, k, k)
        gw[j, i, u, v] = window_wgrad(gy, j, x, idx[j, i], u, v, k // 2)
