"""Numba CPU kernels for FCNN Alg. 2 (basis conv), Alg. 3 (one single-basis step) and Alg. 4 (topological).

Layout: NCHW C-contiguous arrays (torch's default), viewed per image as (channels, H·W) so the inner
loops run over contiguous pixels. Work is split into static chunks of images (`prange` over chunks);
each chunk owns one image-sized scratch (never a batch-sized temporary) and its own weight-gradient
accumulators, summed by the caller.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._cpu_core import ADD, MR, NR, RES_RELU, SET, chunk_range, dw_plane, dw_plane_wgrad, gemm, gemm_nt_add

_PJIT = dict(parallel=True, fastmath=True, cache=True, nogil=True)


# ---------------------------------------------------------------- single-basis step (Alg. 3, one i)
@njit(**_PJIT)
def single_basis_forward(x, basis, proj, bias, out, residual, n_chunks):
    """out[n] = relu(residual·x[n] + proj @ dw(x[n], basis) + bias): FCNN Alg. 3, one step, fused.

    x (N, m, H, W), basis (m, k, k), proj (n_out, m), bias (n_out,), out (N, n_out, H, W).
    The depthwise result G of one image lives in a per-chunk scratch consumed at once by the GEMM,
    whose epilogue adds the residual and bias and applies the ReLU.
    """
    N, m, H, W = x.shape
    n_out = proj.shape[0]
    zero = np.zeros((1, 1), x.dtype)
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m, H, W), x.dtype)
        acc = np.empty((MR, NR), x.dtype)
        for n in range(lo, hi):
            for j in range(m):
                dw_plane(x[n, j], basis[j], G[j], False, False)
            o = out[n].reshape((n_out, H * W))
            if residual:
                gemm(proj, G.reshape((m, H * W)), o, x[n].reshape((m, H * W)), bias, acc, RES_RELU, True)
            else:
                gemm(proj, G.reshape((m, H * W)), o, zero, bias, acc, SET, False)
                for i in range(n_out):
                    for p in range(H * W):
                        v = o[i, p] + bias[i]
                        o[i, p] = v if v > 0 else 0


@njit(**_PJIT)
def single_basis_backward(x, y, gy, basis, proj_t, residual, gx, gbasis, gproj, gbias, n_chunks):
    """Gradients of `single_basis_forward` (z = pre-activation, gz = gy·[y > 0]):
    gbias = Σ gz, gproj = Σ gz·Gᵀ, gG = projᵀ·gz, gx = residual·gz + dwᵀ(gG), gbasis = Σ gG ⋆ x.
    gbasis/gproj/gbias carry a leading chunk axis (summed by the caller)."""
    N, m, H, W = x.shape
    n_out = proj_t.shape[1]
    HW = H * W
    zero = np.zeros((1, 1), x.dtype)
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m, H, W), x.dtype)
        gz = np.empty((n_out, HW), x.dtype)
        acc = np.empty((MR, NR), x.dtype)
        for n in range(lo, hi):
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
                dw_plane(x[n, j], basis[j], G[j], False, False)
            gemm_nt_add(gz, G.reshape((m, HW)), gproj[c])
            gG = G.reshape((m, HW))  # reuse the scratch: G is no longer needed
            gemm(proj_t, gz, gG, zero, zero[0], acc, SET, False)
            for j in range(m):
                if residual:
                    gx[n, j] = gz[j].reshape((H, W))
                else:
                    gx[n, j] = 0
                dw_plane(G[j], basis[j], gx[n, j], True, True)
                dw_plane_wgrad(G[j], x[n, j], gbasis[c, j])


# ---------------------------------------------------------------- basis convolution (Alg. 2)
@njit(**_PJIT)
def basis_forward(x, bases, proj, out, n_chunks):
    """out[n] = proj (n_out, m·b) @ G, G[j·b+i] = x[n, j] ⋆ bases[j, i]: FCNN Alg. 2 per image."""
    N, m, H, W = x.shape
    b = bases.shape[1]
    n_out = proj.shape[0]
    zero = np.zeros((1, 1), x.dtype)
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m * b, H, W), x.dtype)
        acc = np.empty((MR, NR), x.dtype)
        for n in range(lo, hi):
            for j in range(m):
                for i in range(b):
                    dw_plane(x[n, j], bases[j, i], G[j * b + i], False, False)
            gemm(proj, G.reshape((m * b, H * W)), out[n].reshape((n_out, H * W)), zero, zero[0], acc, SET, False)


@njit(**_PJIT)
def basis_backward(x, gy, bases, proj_t, gx, gbases, gproj, n_chunks):
    """gproj = Σ gy·Gᵀ, gG = projᵀ·gy, gx[j] = Σ_i dwᵀ(gG[j,i], bases[j,i]), gbases = Σ gG ⋆ x."""
    N, m, H, W = x.shape
    b = bases.shape[1]
    n_out = proj_t.shape[1]
    HW = H * W
    zero = np.zeros((1, 1), x.dtype)
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        G = np.empty((m * b, H, W), x.dtype)
        acc = np.empty((MR, NR), x.dtype)
        for n in range(lo, hi):
            for j in range(m):
                for i in range(b):
                    dw_plane(x[n, j], bases[j, i], G[j * b + i], False, False)
            gyn = gy[n].reshape((n_out, HW))
            gemm_nt_add(gyn, G.reshape((m * b, HW)), gproj[c])
            gemm(proj_t, gyn, G.reshape((m * b, HW)), zero, zero[0], acc, SET, False)
            for j in range(m):
                gx[n, j] = 0
                for i in range(b):
                    dw_plane(G[j * b + i], bases[j, i], gx[n, j], True, True)
                    dw_plane_wgrad(G[j * b + i], x[n, j], gbases[c, j, i])


# ---------------------------------------------------------------- topological connections (Alg. 4)
TP = 64  # pixels per tile of the k = 1 path: a (m × TP) input tile stays in L1/L2


@njit(**_PJIT)
def topo_forward_1x1(x, idx, w, out):
    """out[n, j] = Σ_i w[j, i] · x[n, idx[j, i]] (k = 1): FCNN Alg. 4 as a sparse channel gather.

    prange over (image, pixel tile); the p neighbors are unrolled by 4 so each output vector is
    loaded/stored once per 4 FMAs.
    """
    N, m, H, W = x.shape
    p = idx.shape[1]
    HW = H * W
    tiles = (HW + TP - 1) // TP
    p4 = p - p % 4
    for item in prange(N * tiles):
        n = item // tiles
        t0 = (item % tiles) * TP
        nt = min(TP, HW - t0)
        xn = x[n].reshape((m, HW))
        on = out[n].reshape((m, HW))
        acc = np.empty(TP, x.dtype)
        for j in range(m):
            acc[:nt] = 0
            for i in range(0, p4, 4):
                w0 = w[j, i]
                w1 = w[j, i + 1]
                w2 = w[j, i + 2]
                w3 = w[j, i + 3]
                s0 = idx[j, i]
                s1 = idx[j, i + 1]
                s2 = idx[j, i + 2]
                s3 = idx[j, i + 3]
                for t in range(nt):
                    acc[t] += (w0 * xn[s0, t0 + t] + w1 * xn[s1, t0 + t]) + (w2 * xn[s2, t0 + t] + w3 * xn[s3, t0 + t])
            for i in range(p4, p):
                wi = w[j, i]
                si = idx[j, i]
                for t in range(nt):
                    acc[t] += wi * xn[si, t0 + t]
            for t in range(nt):
                on[j, t0 + t] = acc[t]


@njit(**_PJIT)
def topo_forward_kxk(x, idx, w, out, flip):
    """out[n, j] = Σ_i x[n, idx[j, i]] ⋆ w[j, i] (k×k, zero 'same' padding); `flip` rotates w (adjoint)."""
    N, m, H, W = x.shape
    p = idx.shape[1]
    for item in prange(N * m):
        n = item // m
        j = item % m
        out[n, j] = 0
        for i in range(p):
            dw_plane(x[n, idx[j, i]], w[j, i], out[n, j], True, flip)


@njit(**_PJIT)
def topo_wgrad(x, gy, idx, gw):
    """gw[j, i] = Σ_n gy[n, j] ⋆ x[n, idx[j, i]] (correlation at every kernel offset); prange over j."""
    N = x.shape[0]
    m, p = idx.shape
    for j in prange(m):
        for i in range(p):
            gw[j, i] = 0
            for n in range(N):
                dw_plane_wgrad(gy[n, j], x[n, idx[j, i]], gw[j, i])
