"""Numba CPU kernels for FCNN Alg. 2 (basis conv), Alg. 3 (one single-basis step) and Alg. 4 (topological).

Layout: NCHW C-contiguous arrays (torch's default), viewed per image as (channels, H·W) so the inner
loops run over contiguous pixels. Work is split into static chunks of images (`prange` over chunks);
each chunk owns one image-sized scratch (never a batch-sized temporary) and its own weight-gradient
accumulators, summed by the caller.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._cpu_core import (
    chunk_range,
    dw_plane_at,
    dw_plane_padded,
    dw_plane_wgrad,
    dw_plane_wgrad_at,
    pad_size,
    res_bias_relu,
)

_PJIT = dict(parallel=True, fastmath=True, cache=True, nogil=True)


# ---------------------------------------------------------------- single-basis step (Alg. 3, one i)
PANEL = 256  # GEMM columns wanted per projection: images with small maps are batched into one panel


@njit(**_PJIT)
def single_basis_forward(x, basis, proj, bias, res, out, has_res, n_chunks):
    """out[n] = relu(has_res·res[n] + proj @ dw(x[n], basis) + bias): FCNN Alg. 3, one step, fused.

    x (N, m, H, W), basis (m, k, k), proj (n_out, m), bias (n_out,), res and out (N, n_out, H, W)
    (res = x for Alg. 3's own residual, or the input of a residual pair as in Model L).
    The depthwise result G of a panel of images (enough for PANEL GEMM columns: one image for maps of
    PANEL pixels or more, several for small maps such as 6×6, whose one-image GEMM would have only 36
    columns) lives in a per-chunk scratch, consumed at once by one GEMM; the residual, bias and ReLU
    are applied to each output tile in cache.
    """
    N, m, H, W = x.shape
    HW = H * W
    n_out = proj.shape[0]
    nb = max(1, PANEL // HW)
    k = basis.shape[1]
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        pad = np.zeros(pad_size(H, W, k), x.dtype)
        acc = np.empty_like(pad)
        panels = (hi - lo + nb - 1) // nb  # balanced: 16 images of 6×6 as 6+5+5, not 7+7+2 (a 72-column GEMM)
        for q in range(panels):
            n0 = lo + ((hi - lo) * q) // panels
            cnt = lo + ((hi - lo) * (q + 1)) // panels - n0
            G = np.empty((m, cnt * HW), x.dtype)
            for i in range(cnt):
                for j in range(m):
                    dw_plane_padded(x[n0 + i, j], basis[j], G[j, i * HW:(i + 1) * HW].reshape((H, W)), pad, acc,
                                    False, False)
            if cnt == 1:  # write the GEMM straight into the output
                o = out[n0].reshape((n_out, HW))
                np.dot(proj, G, o)
                res_bias_relu(o, res[n0].reshape((n_out, HW)), bias, has_res, True)
                continue
            o_all = np.empty((n_out, cnt * HW), x.dtype)
            np.dot(proj, G, o_all)
            for i in range(cnt):
                o = out[n0 + i].reshape((n_out, HW))
                o[:, :] = o_all[:, i * HW:(i + 1) * HW]
                res_bias_relu(o, res[n0 + i].reshape((n_out, HW)), bias, has_res, True)


@njit(**_PJIT)
def single_basis_backward(x, y, gy, basis, proj_t, gx, gz_out, gbasis, gproj, gbias, n_chunks):
    """Gradients of `single_basis_forward` (gz = gy·[y > 0] is also the residual's gradient, written to
    gz_out): gbias = Σ gz, gproj = Σ gz·Gᵀ, gG = projᵀ·gz, gx = dwᵀ(gG), gbasis = Σ gG ⋆ x.
    gbasis/gproj/gbias carry a leading chunk axis (summed by the caller)."""
    N, m, H, W = x.shape
    n_out = proj_t.shape[1]
    HW = H * W
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m, H, W), x.dtype)
        gG = np.empty((m, HW), x.dtype)
        pad = np.zeros(pad_size(H, W, basis.shape[1]), x.dtype)
        acc = np.empty_like(pad)
        for n in range(lo, hi):
            gz = gz_out[n].reshape((n_out, HW))
            yn = y[n].reshape((n_out, HW))
            gyn = gy[n].reshape((n_out, HW))
            for i in range(n_out):
                s = 0.0
                for p in range(HW):
                    v = gyn[i, p] if yn[i, p] > 0 else 0
                    gz[i, p] = v
                    s += v
                gbias[c, i] += s
            for j in range(m):
                dw_plane_padded(x[n, j], basis[j], G[j], pad, acc, False, False)
            gproj[c] += np.dot(gz, G.reshape((m, HW)).T)
            np.dot(proj_t, gz, gG)
            for j in range(m):
                g2 = gG[j].reshape((H, W))
                dw_plane_padded(g2, basis[j], gx[n, j], pad, acc, False, True)
                dw_plane_wgrad(g2, x[n, j], gbasis[c, j])


# ---------------------------------------------------------------- basis convolution (Alg. 2)
@njit(fastmath=True, cache=True, nogil=True)
def _basis_planes(xn, bases, G, pad, acc):
    """G[j·b + i] = xn[j] ⋆ bases[j, i]: Alg. 2's b depthwise planes per channel of one image."""
    m, b = bases.shape[0], bases.shape[1]
    for j in range(m):
        for i in range(b):
            dw_plane_padded(xn[j], bases[j, i], G[j * b + i], pad, acc, False, False)


@njit(**_PJIT)
def basis_forward(x, bases, proj, out, n_chunks):
    """out[n] = proj (n_out, m·b) @ G, G[j·b+i] = x[n, j] ⋆ bases[j, i]: FCNN Alg. 2 per image."""
    N, m, H, W = x.shape
    b = bases.shape[1]
    n_out = proj.shape[0]
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m * b, H, W), x.dtype)
        pad = np.zeros(pad_size(H, W, bases.shape[2]), x.dtype)
        acc = np.empty_like(pad)
        for n in range(lo, hi):
            _basis_planes(x[n], bases, G, pad, acc)
            np.dot(proj, G.reshape((m * b, H * W)), out[n].reshape((n_out, H * W)))


@njit(**_PJIT)
def basis_backward(x, gy, bases, proj_t, gx, gbases, gproj, n_chunks):
    """gproj = Σ gy·Gᵀ, gG = projᵀ·gy, gx[j] = Σ_i dwᵀ(gG[j,i], bases[j,i]), gbases = Σ gG ⋆ x."""
    N, m, H, W = x.shape
    b = bases.shape[1]
    n_out = proj_t.shape[1]
    HW = H * W
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m * b, H, W), x.dtype)
        gG = np.empty((m * b, HW), x.dtype)
        pad = np.zeros(pad_size(H, W, bases.shape[2]), x.dtype)
        acc = np.empty_like(pad)
        for n in range(lo, hi):
            _basis_planes(x[n], bases, G, pad, acc)
            gyn = gy[n].reshape((n_out, HW))
            gproj[c] += np.dot(gyn, G.reshape((m * b, HW)).T)
            np.dot(proj_t, gyn, gG)
            for j in range(m):
                gx[n, j] = 0
                for i in range(b):
                    g2 = gG[j * b + i].reshape((H, W))
                    dw_plane_padded(g2, bases[j, i], gx[n, j], pad, acc, True, True)
                    dw_plane_wgrad(g2, x[n, j], gbases[c, j, i])


# ---------------------------------------------------------------- topological connections (Alg. 4)
TP = 128  # columns per tile of the k = 1 path (flattened image·pixel index)


@njit(fastmath=True, cache=True, nogil=True)
def _topo_tile(xt, idx, w, ot, nt):
    """ot[j, :nt] = Σ_i w[j, i] · xt[idx[j, i], :nt] on packed (m, TP) tiles; 8 neighbors per pass so
    each output vector is loaded and stored once per 8 FMAs."""
    m, p = idx.shape
    p8 = p - p % 8
    for j in range(m):
        a = ot[j, :nt]
        a[:] = 0
        for i in range(0, p8, 8):
            w0, w1, w2, w3 = w[j, i], w[j, i + 1], w[j, i + 2], w[j, i + 3]
            w4, w5, w6, w7 = w[j, i + 4], w[j, i + 5], w[j, i + 6], w[j, i + 7]
            x0, x1 = xt[idx[j, i], :nt], xt[idx[j, i + 1], :nt]
            x2, x3 = xt[idx[j, i + 2], :nt], xt[idx[j, i + 3], :nt]
            x4, x5 = xt[idx[j, i + 4], :nt], xt[idx[j, i + 5], :nt]
            x6, x7 = xt[idx[j, i + 6], :nt], xt[idx[j, i + 7], :nt]
            for t in range(nt):
                a[t] += ((w0 * x0[t] + w1 * x1[t]) + (w2 * x2[t] + w3 * x3[t])) + \
                        ((w4 * x4[t] + w5 * x5[t]) + (w6 * x6[t] + w7 * x7[t]))
        for i in range(p8, p):
            wi = w[j, i]
            xi = xt[idx[j, i], :nt]
            for t in range(nt):
                a[t] += wi * xi[t]


@njit(fastmath=True, cache=True, nogil=True)
def _copy_columns(a3, tile, c0, nt, pack):
    """Columns c0 … c0+nt-1 of the (m, N·HW) view of a3 (N, m, HW) into the (m, TP) tile (`pack`) or back."""
    N, m, HW = a3.shape
    col = 0
    while col < nt:
        n = (c0 + col) // HW
        p0 = (c0 + col) % HW
        run = min(nt - col, HW - p0)
        for c in range(m):
            if pack:
                tile[c, col:col + run] = a3[n, c, p0:p0 + run]
            else:
                a3[n, c, p0:p0 + run] = tile[c, col:col + run]
        col += run


@njit(**_PJIT)
def topo_forward_1x1(x, idx, w, out):
    """out[n, j] = Σ_i w[j, i] · x[n, idx[j, i]] (k = 1): FCNN Alg. 4 as a sparse channel gather.

    The flattened (image, pixel) index is cut into tiles of TP columns (a tile may span images, so
    small feature maps still give full vectors); each tile of all m channels is packed into a
    contiguous (m, TP) block that stays in L1/L2 while the p neighbors of every output are summed.
    """
    N, m, H, W = x.shape
    HW = H * W
    total = N * HW
    tiles = (total + TP - 1) // TP
    x3 = x.reshape((N, m, HW))
    o3 = out.reshape((N, m, HW))
    for tile in prange(tiles):
        c0 = tile * TP
        nt = min(TP, total - c0)
        xt = np.empty((m, TP), x.dtype)
        ot = np.empty((m, TP), x.dtype)
        _copy_columns(x3, xt, c0, nt, True)
        _topo_tile(xt, idx, w, ot, nt)
        _copy_columns(o3, ot, c0, nt, False)


@njit(**_PJIT)
def topo_forward_kxk(x, idx, w, out, flip, oy, ox):
    """out[n, j] = Σ_i x[n, idx[j, i]] ⋆ w[j, i] (k×k, kernel origin (oy, ox) on the H×W grid, zero outside:
    'same' padding for oy = ox = k // 2); `flip` rotates w (adjoint: the caller passes origin k-1-oy, k-1-ox)."""
    N, m, H, W = x.shape
    p = idx.shape[1]
    for item in prange(N * m):
        n = item // m
        j = item % m
        out[n, j] = 0
        for i in range(p):
            dw_plane_at(x[n, idx[j, i]], w[j, i], out[n, j], oy, ox, True, flip)


@njit(**_PJIT)
def topo_wgrad(x, gy, idx, gw, oy, ox):
    """gw[j, i] = Σ_n gy[n, j] ⋆ x[n, idx[j, i]] (correlation at every kernel offset, origin (oy, ox));
    prange over j."""
    N = x.shape[0]
    m, p = idx.shape
    for j in prange(m):
        for i in range(p):
            gw[j, i] = 0
            for n in range(N):
                dw_plane_wgrad_at(gy[n, j], x[n, idx[j, i]], gw[j, i], oy, ox)
