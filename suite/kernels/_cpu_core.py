"""Serial Numba building blocks shared by the CPU kernels (called inside `prange` bodies).

The 1×1 projections are GEMMs through `np.dot` (Numba calls SciPy's BLAS; the wrappers pin that BLAS to
one thread while a kernel runs, since the kernels parallelize over images/tiles themselves). Here: the
fused epilogue (residual + bias + ReLU on a GEMM's output tile) and depthwise 'same' cross-correlations
of one plane (k×k) or along one mode of an N-D block (1-D, HO-CP eq. 15), with their weight gradients.
Every function works for float32 and float64 (Numba specializes on the array dtype).
"""
from __future__ import annotations

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


# Hot loops index zero-based slices (`a[t]`, t = 0…n-1): Numba then drops its negative-index
# wrap-around selects and LLVM vectorizes them.
@njit(**_JIT)
def _axpy(dst, src, a):
    for t in range(dst.shape[0]):
        dst[t] += a * src[t]


@njit(**_JIT)
def _dot(u, v):
    s = 0.0
    for t in range(u.shape[0]):
        s += u[t] * v[t]
    return s


@njit(**_JIT)
def _shift_axpy(of, xf, wv, W, c, off):
    """of[e] += wv·xf[e + off] for every e with 0 <= e + off < len, as one long vectorized run over the
    flattened rows of width W; then undo the |c| columns per row whose column shift c wrapped into
    the neighbouring row (zero padding). Long runs instead of per-row runs: small maps vectorize."""
    n = of.shape[0]
    lo = max(0, -off)
    hi = min(n, n - off)
    if hi <= lo:
        return
    _axpy(of[lo:hi], xf[lo + off:hi + off], wv)
    if c == 0:
        return
    # |c| >= W (kernel wider than the map): every column of the row wrapped, undo the whole row.
    c0 = max(0, W - c) if c > 0 else 0
    c1 = W if c > 0 else min(W, -c)
    for y0 in range(0, n, W):
        for e in range(y0 + c0, y0 + c1):
            if lo <= e < hi:
                of[e] -= wv * xf[e + off]


@njit(**_JIT)
def _shift_dot(gf, xf, W, c, off):
    """Σ_e gf[e]·xf[e + off] over the same positions `_shift_axpy` updates (zero padding)."""
    n = gf.shape[0]
    lo = max(0, -off)
    hi = min(n, n - off)
    if hi <= lo:
        return 0.0
    s = _dot(gf[lo:hi], xf[lo + off:hi + off])
    if c != 0:
        c0 = max(0, W - c) if c > 0 else 0
        c1 = W if c > 0 else min(W, -c)
        for y0 in range(0, n, W):
            for e in range(y0 + c0, y0 + c1):
                if lo <= e < hi:
                    s -= gf[e] * xf[e + off]
    return s


@njit(**_JIT)
def dw_plane(x, w, out, accumulate, flip):
    """out (H×W) (+)= x (H×W) ⋆ w (k×k), zero 'same' padding; `flip` uses w rotated by 180° (the
    adjoint of the cross-correlation, i.e. the input gradient). x and out are C-contiguous planes."""
    r = w.shape[0] // 2
    dw_plane_at(x, w, out, r, r, accumulate, flip)


@njit(**_JIT)
def dw_plane_at(x, w, out, oy, ox, accumulate, flip):
    """out[y, x'] (+)= Σ_{u,v} w[u, v] · x[y+u-oy, x'+v-ox] on one H×W grid (x zero outside it): a
    cross-correlation whose kernel origin is (oy, ox) ('same' padding: oy = ox = k // 2; an explicit or
    even-k padding is a padded or cropped plane with another origin, see `_shared.topology_plane`).
    `flip` uses w rotated by 180°; the adjoint of origin (oy, ox) is then origin (k-1-oy, k-1-ox)."""
    H, W = x.shape
    k = w.shape[0]
    xf = x.reshape(H * W)
    of = out.reshape(H * W)
    if not accumulate:
        of[:] = 0
    for u in range(k):
        for v in range(k):
            wv = w[k - 1 - u, k - 1 - v] if flip else w[u, v]
            _shift_axpy(of, xf, wv, W, v - ox, (u - oy) * W + (v - ox))


@njit(**_JIT)
def dw_plane_padded(x, w, out, pad, acc, accumulate, flip):
    """`dw_plane` through a zero-padded copy of x: every tap is then one contiguous run of (H-1)·Wp + W
    elements (Wp = W + k - 1) with no per-row fix-ups, which vectorizes on small maps (6×6) and large alike.
    pad, acc: scratch of (H + k - 1)·Wp elements; pad's border must be zero (allocate it with np.zeros
    and reuse it for planes of this size: only its interior is written)."""
    H, W = x.shape
    k = w.shape[0]
    r = k // 2
    Wp = W + k - 1
    L = (H - 1) * Wp + W
    for y in range(H):
        row = pad[(y + r) * Wp + r:(y + r) * Wp + r + W]
        src = x[y]
        for c in range(W):
            row[c] = src[c]
    a = acc[:L]
    a[:] = 0
    for u in range(k):
        for v in range(k):
            wv = w[k - 1 - u, k - 1 - v] if flip else w[u, v]
            _axpy(a, pad[u * Wp + v:u * Wp + v + L], wv)
    for y in range(H):
        dst = out[y]
        src = acc[y * Wp:y * Wp + W]
        if accumulate:
            for c in range(W):
                dst[c] += src[c]
        else:
            for c in range(W):
                dst[c] = src[c]


@njit(**_JIT)
def pad_size(H, W, k):
    """Elements of `dw_plane_padded`'s scratch for H×W planes and k×k kernels."""
    return (H + k - 1) * (W + k - 1)


@njit(**_JIT)
def dw_plane_wgrad(g, x, gw):
    """gw (k×k) += Σ_{y,x} g[y, x] · x[y+u-r, x+v-r]: the gradient of `dw_plane` w.r.t. its kernel."""
    r = gw.shape[0] // 2
    dw_plane_wgrad_at(g, x, gw, r, r)


@njit(**_JIT)
def dw_plane_wgrad_at(g, x, gw, oy, ox):
    """gw (k×k) += Σ_{y,x} g[y, x] · x[y+u-oy, x+v-ox]: the gradient of `dw_plane_at` w.r.t. its kernel."""
    H, W = x.shape
    k = gw.shape[0]
    gf = g.reshape(H * W)
    xf = x.reshape(H * W)
    for u in range(k):
        for v in range(k):
            gw[u, v] += _shift_dot(gf, xf, W, v - ox, (u - oy) * W + (v - ox))


@njit(**_JIT)
def conv_mode(src, dst, f, A, D, B, flip):
    """dst ← depthwise 1-D 'same' cross-correlation along one mode (HO-CP eq. 15).

    src, dst: (R, A·D·B) blocks viewed as (R, A, D, B), mode of length D; f: (R, K) per-channel filter.
    `flip` reverses the filter (adjoint). Inner loops are long contiguous runs: (D-|k|)·B elements per
    a, or the whole row block when B == 1 (the mode is the contiguous one).
    """
    R = src.shape[0]
    K = f.shape[1]
    rk = K // 2
    for r in range(R):
        dst[r, :] = 0
        for k in range(K):
            fk = f[r, K - 1 - k] if flip else f[r, k]
            off = k - rk
            if B == 1:
                _shift_axpy(dst[r], src[r], fk, D, off, off)
                continue
            lo = max(0, -off)
            hi = min(D, D - off)
            if hi <= lo:
                continue
            for a in range(A):
                base = a * D * B
                _axpy(dst[r, base + lo * B:base + hi * B], src[r, base + (lo + off) * B:base + (hi + off) * B], fk)


@njit(**_JIT)
def conv_mode_wgrad(g, z, gf, A, D, B):
    """gf (R, K) += Σ g[r, a, d, b] · z[r, a, d+k-rk, b]: gradient of `conv_mode` w.r.t. its filter."""
    R = g.shape[0]
    K = gf.shape[1]
    rk = K // 2
    for r in range(R):
        for k in range(K):
            off = k - rk
            if B == 1:
                gf[r, k] += _shift_dot(g[r], z[r], D, off, off)
                continue
            lo = max(0, -off)
            hi = min(D, D - off)
            s = 0.0
            if hi > lo:
                for a in range(A):
                    base = a * D * B
                    s += _dot(g[r, base + lo * B:base + hi * B], z[r, base + (lo + off) * B:base + (hi + off) * B])
            gf[r, k] += s


def chunks(items: int, threads: int) -> int:
    """How many static work chunks to use for `items` independent items."""
    return max(1, min(items, threads))


@njit(**_JIT)
def chunk_range(c, n_chunks, items):
    lo = (items * c) // n_chunks
    hi = (items * (c + 1)) // n_chunks
    return lo, hi

