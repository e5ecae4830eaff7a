"""Numba CUDA kernels (`@cuda.jit`) for the FCNN and HO-CP operators.

Element-parallel kernels use grid-stride loops over a flattened index (any launch size is correct);
the GEMM and the fused single-basis step use 16×16 shared-memory tiles. All kernels work on float32
and float64 arrays (Numba specializes on dtype). Arrays are NCHW-contiguous (N-D tensors are passed
flattened to (N, C, V) where only channel mixing matters).
"""
from __future__ import annotations

from numba import cuda

TILE = 16


# ---------------------------------------------------------------- depthwise k×k (Alg. 2/3 bases)
@cuda.jit
def dw_expand(x, w, out, mult, flip):
    """out[n, c] = x[n, c // mult] ⋆ w[c] (k×k, zero 'same' padding); `flip` rotates w by 180°."""
    N, Co, H, W = out.shape
    k = w.shape[1]
    r = k // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * Co * H * W, step):
        xx = e % W
        y = (e // W) % H
        c = (e // (W * H)) % Co
        n = e // (W * H * Co)
        ci = c // mult
        s = 0.0
        for u in range(k):
            yy = y + u - r
            if 0 <= yy < H:
                for v in range(k):
                    xv = xx + v - r
                    if 0 <= xv < W:
                        wv = w[c, k - 1 - u, k - 1 - v] if flip else w[c, u, v]
                        s += wv * x[n, ci, yy, xv]
        out[n, c, y, xx] = s


@cuda.jit
def dw_reduce_flipped(g, w, out, mult):
    """out[n, c] = Σ_{i<mult} g[n, c·mult+i] ⋆ rot180(w[c·mult+i]): the input gradient of `dw_expand`."""
    N, C, H, W = out.shape
    k = w.shape[1]
    r = k // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * C * H * W, step):
        xx = e % W
        y = (e // W) % H
        c = (e // (W * H)) % C
        n = e // (W * H * C)
        s = 0.0
        for i in range(mult):
            co = c * mult + i
            for u in range(k):
                yy = y + u - r
                if 0 <= yy < H:
                    for v in range(k):
                        xv = xx + v - r
                        if 0 <= xv < W:
                            s += w[co, k - 1 - u, k - 1 - v] * g[n, co, yy, xv]
        out[n, c, y, xx] = s


@cuda.jit
def dw_wgrad(g, x, gw, mult):
    """gw[c, u, v] = Σ_{n,y,x} g[n, c, y, x] · x[n, c // mult, y+u-r, x+v-r]; one thread per weight."""
    N, Co, H, W = g.shape
    k = gw.shape[1]
    r = k // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, Co * k * k, step):
        v = e % k
        u = (e // k) % k
        c = e // (k * k)
        ci = c // mult
        s = 0.0
        for n in range(N):
            for y in range(H):
                yy = y + u - r
                if 0 <= yy < H:
                    for xx in range(W):
                        xv = xx + v - r
                        if 0 <= xv < W:
                            s += g[n, c, y, xx] * x[n, ci, yy, xv]
        gw[c, u, v] = s


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
    k = basis.shape[1]
    r = k // 2
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
            for u in range(k):
                yy = y + u - r
                if 0 <= yy < H:
                    for v in range(k):
                        xv = xx + v - r
                        if 0 <= xv < W:
                            g += basis[c, u, v] * x[n, c, yy, xv]
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


@cuda.jit
def add_into(a, b):
    """a += b (flattened)."""
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, a.size, step):
        a[e] += b[e]


# ---------------------------------------------------------------- topological connections (Alg. 4)
@cuda.jit
def topo_gather(x, idx, w, out, flip):
    """out[n, j] = Σ_i x[n, idx[j, i]] ⋆ w[j, i] (k×k, zero 'same' padding); `flip` rotates w."""
    N, m, H, W = out.shape
    pn = idx.shape[1]
    k = w.shape[2]
    r = k // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * m * H * W, step):
        xx = e % W
        y = (e // W) % H
        j = (e // (W * H)) % m
        n = e // (W * H * m)
        s = 0.0
        for i in range(pn):
            src = idx[j, i]
            for u in range(k):
                yy = y + u - r
                if 0 <= yy < H:
                    for v in range(k):
                        xv = xx + v - r
                        if 0 <= xv < W:
                            wv = w[j, i, k - 1 - u, k - 1 - v] if flip else w[j, i, u, v]
                            s += wv * x[n, src, yy, xv]
        out[n, j, y, xx] = s


@cuda.jit
def topo_wgrad(x, gy, idx, gw):
    """gw[j, i, u, v] = Σ_{n,y,x} gy[n, j, y, x] · x[n, idx[j, i], y+u-r, x+v-r]; a thread per weight."""
    N, m, H, W = gy.shape
    pn = idx.shape[1]
    k = gw.shape[2]
    r = k // 2
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, m * pn * k * k, step):
        v = e % k
        u = (e // k) % k
        i = (e // (k * k)) % pn
        j = e // (k * k * pn)
        src = idx[j, i]
        s = 0.0
        for n in range(N):
            for y in range(H):
                yy = y + u - r
                if 0 <= yy < H:
                    for xx in range(W):
                        xv = xx + v - r
                        if 0 <= xv < W:
                            s += gy[n, j, y, xx] * x[n, src, yy, xv]
        gw[j, i, u, v] = s


# ---------------------------------------------------------------- HO-CP CP convolution (eq. 15)
@cuda.jit
def cp_in_slab(x, u_in_t, h, d_lo):
    """h[n, r, l, q] = Σ_c u_in_t[r, c] · x[n, c, d_lo + l, q] (zero outside 0…D0-1): X ×₀ U^(C) on a slab."""
    N, C, D0, Q = x.shape
    R, L = h.shape[1], h.shape[2]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * R * L * Q, step):
        q = e % Q
        l_ = (e // Q) % L
        r = (e // (Q * L)) % R
        n = e // (Q * L * R)
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
        v = e % V
        r = (e // V) % R
        n = e // (V * R)
        b = v % B
        d = (v // B) % D
        a = v // (B * D)
        s = 0.0
        for k in range(K):
            dd = d + k - rk
            if 0 <= dd < D:
                fk = f[r, K - 1 - k] if flip else f[r, k]
                s += fk * src[n, r, (a * D + dd) * B + b]
        dst[n, r, v] = s


@cuda.jit
def conv_mode_from_slab(h, f, out, A, D, B):
    """out[n, r, s, q] = Σ_k f[r, k] · h[n, r, s + k, q]: mode-0 conv of a slab with a K-1 plane halo."""
    N, R, S, Q = out.shape
    K = f.shape[1]
    start, step = cuda.grid(1), cuda.gridsize(1)
    for e in range(start, N * R * S * Q, step):
        q = e % Q
        s_ = (e // Q) % S
        r = (e // (Q * S)) % R
        n = e // (Q * S * R)
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
        q = e % Q
        s_ = (e // Q) % S
        t = (e // (Q * S)) % T
        n = e // (Q * S * T)
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
                b = v % B
                d = (v // B) % D
                a = v // (B * D)
                dd = d + k - rk
                if 0 <= dd < D:
                    s += g[n, r, v] * z[n, r, (a * D + dd) * B + b]
        gf[r, k] = s
