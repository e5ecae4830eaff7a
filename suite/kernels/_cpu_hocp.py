"""Numba CPU kernels for the HO-CP N-D CP convolution (eq. 14–15, Alg. 1), any n >= 1 spatial modes.

x is viewed as (N, C, D0, Q) with Q = D1·…·D_{n-1} (a "plane"). The forward streams over D0: per
(image, segment of D0) it keeps a ring of K0 planes of h = U_Cᵀ·x (R channels), combines them along
mode 0, runs the 1-D depthwise convs of modes 1…n-1 inside the plane, and writes U_T·h of that
plane. The R-channel intermediate therefore never exists for more than K0 + 1 planes per thread (the
oldest ring slot doubles as the scratch of the in-plane convs): peak scratch = threads·(K0 + 1)·R·Q
values, independent of N and D0.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._cpu_core import chunk_range, conv_mode, conv_mode_wgrad


@njit(cache=True, fastmath=True, nogil=True)
def _all_modes(src, tmp, filters, dims, skip, flip):
    """src (R, V) ← the 1-D depthwise convs (HO-CP eq. 15) of every mode e != `skip` (-1: all) applied in
    sequence, in place; `filters` (n, R, Kmax) and `dims` (n,) describe the modes of V; tmp is scratch."""
    V = src.shape[1]
    A = 1
    a, b = src, tmp
    swapped = False
    for e in range(len(dims)):
        if e != skip:
            conv_mode(a, b, filters[e], A, dims[e], V // (A * dims[e]), flip)
            a, b = b, a
            swapped = not swapped
        A *= dims[e]
    if swapped:
        src[:, :] = a


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def cp_forward(x, u_in_t, f0, f_rest, dims_rest, u_out, out, segments):
    """out = U_T · conv_{n-1}(…conv_0(U_Cᵀ · x)) (HO-CP eq. 15), fused over D0-planes.

    x (N, C, D0, Q), u_in_t (R, C) = U_Cᵀ, f0 (R, K0) mode-0 filter, f_rest (n-1, R, Kmax) the other
    modes' filters centred and zero-padded to Kmax, dims_rest (n-1,) = D1…D_{n-1}, u_out (T, R),
    out (N, T, D0, Q). Work items: N × `segments` slices of D0 (prange).
    """
    N, C, D0, Q = x.shape
    R = u_in_t.shape[0]
    T = u_out.shape[0]
    K0 = f0.shape[1]
    r0 = K0 // 2
    for item in prange(N * segments):
        n = item // segments
        lo, hi = chunk_range(item % segments, segments, D0)
        ring = np.zeros((K0, R, Q), x.dtype)
        plane = np.empty((R, Q), x.dtype)
        xin = np.empty((C, Q), x.dtype)
        yout = np.empty((T, Q), x.dtype)
        # prime the ring with planes lo - r0 … lo + r0 - 1 (zeros outside 0…D0-1)
        for d in range(lo - r0, hi + r0):
            slot = (d + K0) % K0
            if 0 <= d < D0:
                xin[:, :] = x[n, :, d, :]  # contiguous copy of the plane for BLAS
                np.dot(u_in_t, xin, ring[slot])
            else:
                ring[slot] = 0
            d_out = d - r0
            if d_out < lo:
                continue
            # mode 0: plane = Σ_k f0[:, k] · h[d_out + k - r0]
            for r in range(R):
                pr = plane[r]
                pr[:] = 0
                for k in range(K0):
                    hr = ring[(d_out + k - r0 + K0) % K0, r]
                    fk = f0[r, k]
                    for q in range(Q):
                        pr[q] += fk * hr[q]
            # the oldest ring slot (plane d_out - r0) is read no more: the next d loads into it, so it is the
            # scratch of the other modes' convs (no extra (R, Q) block per thread)
            _all_modes(plane, ring[(d_out - r0 + K0) % K0], f_rest, dims_rest, -1, False)
            np.dot(u_out, plane, yout)
            out[n, :, d_out, :] = yout


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def cp_backward(x, gy, u_in, u_in_t, f_all, dims, u_out_t, gx, gu_in, gf, gu_out, n_chunks):
    """Gradients of the CP convolution, one image at a time per chunk (h1 = U_Cᵀx, h2 = S(h1), y = U_T h2):
    g2 = U_Tᵀ·gy; gU_T += gy·h2ᵀ; gf_d += corr_d(g2, S_{≠d}(h1)); g1 = Sᵀ(g2); gx = U_C·g1; gU_C += x·g1ᵀ.

    x (N, C, V), gy (N, T, V) with V = prod(dims); f_all (n, R, Kmax) centred filters; gu_in (chunks, C, R),
    gf (chunks, n, R, Kmax), gu_out (chunks, T, R). Scratch: four (R, V) blocks per chunk.
    """
    N, C, V = x.shape
    R = u_in_t.shape[0]
    nm = len(dims)
    for c in prange(n_chunks):
        lo, hi = chunk_range(c, n_chunks, N)
        h1 = np.empty((R, V), x.dtype)
        g2 = np.empty((R, V), x.dtype)
        a = np.empty((R, V), x.dtype)
        b = np.empty((R, V), x.dtype)
        for n in range(lo, hi):
            np.dot(u_in_t, x[n], h1)
            np.dot(u_out_t, gy[n], g2)
            # filter gradients: z_d = all modes but d applied to h1, then correlate with g2 along d
            for d in range(nm):
                a[:, :] = h1
                _all_modes(a, b, f_all, dims, d, False)
                A = 1
                for e in range(d):
                    A *= dims[e]
                conv_mode_wgrad(g2, a, gf[c, d], A, dims[d], V // (A * dims[d]))
            # h2 = S(h1) for gU_T
            a[:, :] = h1
            _all_modes(a, b, f_all, dims, -1, False)
            gu_out[c] += np.dot(gy[n], a.T)
            # g1 = Sᵀ(g2): flipped filters, any order (the modes commute)
            _all_modes(g2, b, f_all, dims, -1, True)
            np.dot(u_in, g2, gx[n])
            gu_in[c] += np.dot(x[n], g2.T)
