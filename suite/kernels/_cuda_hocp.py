"""Numba CUDA kernels of the HO-CP CP convolution (eq. 14–15) for any number n ≥ 1 of spatial modes.

The spatial part of eq. 15, the depthwise 1-D convs ⋆₀ U^(K_0) … ⋆_{n-1} U^(K_{n-1}), runs on one slab of
mode-0 planes of the R-channel intermediate at a time: h (N, R, L, Q) with Q = D_1·…·D_{n-1} (one "plane")
and L = S + K_0 − 1 buffer planes (S output planes plus the mode-0 halo; buffer plane b is volume plane
lo − K_0//2 + b, and only b_lo ≤ b < b_hi hold data: the others are outside the volume, i.e. zero padding).
The channel contractions (×₀ U^(C), ×₀ U^(T) and their gradients) are cuBLAS GEMMs the caller issues
through torch on the same stream.

One block owns one (image n, rank channel r) item and walks its S output planes in order: the mode-0 conv
reads K_0 planes of h (global, L1-resident), the modes 1…n-1 run in shared memory (plane buffers used
ping-pong), and the result overwrites plane s of h. No later plane of the item reads buffer plane s and
no other block touches the item, so the slab needs no second R-channel buffer.

Weight gradients (eq. 15's filters) are parallel reductions: each thread sums its share of
Σ g2·z per tap in registers over all the item's planes, a shared-memory tree reduction per tap follows,
then one atomic add per (item, tap) into gf. Accumulators have the tensors' dtype (float32 accumulates in
float32): the caller passes `zero`, a scalar of that dtype.

A plane that does not fit in shared memory runs the same device code on a per-block row of a global
scratch array (`*_global` kernels). Blocks loop over items (grid-stride), so any grid size is correct.
"""
from __future__ import annotations

from numba import cuda

from ._cuda_reduce import block_sum

MAXTAPS = 32  # register accumulators per thread: all the taps of an item when Σ K_d fits, else per chunk


# ---------------------------------------------------------------- in-plane helpers (shared or global rows)
@cuda.jit(device=True)
def _stride(dims, e):
    """Distance between neighbours along mode e inside a plane: D_{e+1}·…·D_{n-1}."""
    B = 1
    for j in range(e + 1, len(dims)):
        B *= dims[j]
    return B


@cuda.jit(device=True)
def _inplane(sm, src, dst, Q, f, ks, dims, r, skip, flip, zero):
    """Apply the 1-D depthwise convs of modes 1…n-1 except `skip` (eq. 15's ⋆_d, channel r) to the plane in
    slot `src` of sm, ping-ponging with slot `dst` (slot i = sm[i·Q:(i+1)·Q]); `flip` uses the reversed
    filters (the adjoint). Returns the slot holding the result. Ends synchronized."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    for e in range(1, len(dims)):
        if e == skip:
            continue
        D = dims[e]
        B = _stride(dims, e)
        K = ks[e]
        rk = K // 2
        for q in range(tid, Q, nt):
            d = (q // B) % D
            acc = zero
            for k in range(K):
                dd = d + k - rk
                if 0 <= dd < D:
                    fk = f[e, r, K - 1 - k] if flip else f[e, r, k]
                    acc += fk * sm[src * Q + q + (k - rk) * B]
            sm[dst * Q + q] = acc
        cuda.syncthreads()
        src, dst = dst, src
    return src


@cuda.jit(device=True)
def _mode0(sm, slot, h, n, r, s, f, K0, b_lo, b_hi, flip, zero):
    """sm[slot] = Σ_k f[0, r, k] · h[n, r, s + k] over the buffer planes b_lo ≤ s + k < b_hi (zero padding
    elsewhere): the mode-0 conv of output plane s; `flip` reverses the filter."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    Q = h.shape[3]
    for q in range(tid, Q, nt):
        acc = zero
        for k in range(K0):
            b = s + k
            if b_lo <= b < b_hi:
                fk = f[0, r, K0 - 1 - k] if flip else f[0, r, k]
                acc += fk * h[n, r, b, q]
        sm[slot * Q + q] = acc


@cuda.jit(device=True)
def _flush(red, acc, a0, count, gf, d, r, k0, zero):
    """gf[d, r, k0 + t] += Σ_threads acc[a0 + t] for t < count: a shared-memory tree reduction per tap
    (blockDim a power of two), then one atomic add by thread 0."""
    for t in range(count):
        total = block_sum(red, acc[a0 + t], cuda.blockDim.x)  # every thread gets it; red is free again
        if cuda.threadIdx.x == 0:
            cuda.atomic.add(gf, (d, r, k0 + t), total)
    for t in range(count):
        acc[a0 + t] = zero


# ---------------------------------------------------------------- forward
@cuda.jit(device=True)
def _forward_item(sm, h, f, ks, dims, n, r, S, b_lo, b_hi, zero):
    """Every mode's conv of the item's S output planes, each written over buffer plane s of h."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    Q = h.shape[3]
    for s in range(S):
        _mode0(sm, 0, h, n, r, s, f, ks[0], b_lo, b_hi, False, zero)
        cuda.syncthreads()
        res = _inplane(sm, 0, 1, Q, f, ks, dims, r, 0, False, zero)
        for q in range(tid, Q, nt):
            h[n, r, s, q] = sm[res * Q + q]
        cuda.syncthreads()


@cuda.jit
def cp_forward_shared(h, f, ks, dims, S, b_lo, b_hi, zero):
    """Forward spatial part of one slab in place (module doc); dynamic shared memory: 2·Q values."""
    sm = cuda.shared.array(0, dtype=h.dtype)
    N, R = h.shape[0], h.shape[1]
    for item in range(cuda.blockIdx.x, N * R, cuda.gridDim.x):
        _forward_item(sm, h, f, ks, dims, item // R, item % R, S, b_lo, b_hi, zero)


@cuda.jit
def cp_forward_global(h, f, ks, dims, S, b_lo, b_hi, zero, scratch):
    """`cp_forward_shared` with the plane buffers in scratch[blockIdx] (planes too large for shared memory)."""
    sm = scratch[cuda.blockIdx.x]
    N, R = h.shape[0], h.shape[1]
    for item in range(cuda.blockIdx.x, N * R, cuda.gridDim.x):
        _forward_item(sm, h, f, ks, dims, item // R, item % R, S, b_lo, b_hi, zero)


# ---------------------------------------------------------------- backward
@cuda.jit(device=True)
def _load_z0(sm, h, b, n, r, f, ks, dims, b_lo, b_hi, zero):
    """Ring slot b mod K_0 ← z0 of buffer plane b: h's plane with every in-plane mode applied (zero outside
    the volume). Uses slots K_0 and K_0+1 as scratch."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    Q = h.shape[3]
    K0 = ks[0]
    slot = b % K0
    inside = b_lo <= b < b_hi
    for q in range(tid, Q, nt):
        sm[K0 * Q + q] = h[n, r, b, q] if inside else zero
    cuda.syncthreads()
    res = _inplane(sm, K0, K0 + 1, Q, f, ks, dims, r, 0, False, zero)
    for q in range(tid, Q, nt):
        sm[slot * Q + q] = sm[res * Q + q]
    cuda.syncthreads()


@cuda.jit(device=True)
def _taps0(sm, g, n, r, c, s, K0, k0, k1, acc, a0):
    """Mode-0 taps k0 ≤ k < k1: acc[a0 + k − k0] += Σ_q g[n, r, c, q] · z0[s + k, q] (ring slot (s + k) mod K0)."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    Q = g.shape[3]
    for q in range(tid, Q, nt):
        gq = g[n, r, c, q]
        for k in range(k0, k1):
            acc[a0 + k - k0] += gq * sm[((s + k) % K0) * Q + q]


@cuda.jit(device=True)
def _tapsd(sm, res, g, n, r, c, D, B, rk, k0, k1, acc, a0):
    """acc[a0 + k - k0] += Σ_q g[n, r, c, q] · z[q + (k − rk)·B] (in range along the mode of size D, stride B)
    for taps k0 ≤ k < k1, z in slot res."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    Q = g.shape[3]
    for q in range(tid, Q, nt):
        gq = g[n, r, c, q]
        dq = (q // B) % D
        for k in range(k0, k1):
            dd = dq + k - rk
            if 0 <= dd < D:
                acc[a0 + k - k0] += gq * sm[res * Q + q + (k - rk) * B]


@cuda.jit(device=True)
def _backward_item(sm, red, acc, h, g, f, ks, dims, gf, n, r, S, b_lo, b_hi, zero):
    """One item of the backward slab (module doc). On entry h holds U_Cᵀx and g holds U_Tᵀgy on the buffer
    planes; on exit buffer plane s of h holds h3 = S(h1) (for gU_T) and of g holds g1 = Sᵀ(g2) (for gx, gU_C),
    and gf[d, r, :K_d] has this item's filter gradients added:
        gf_d[r, k] = Σ g2[n, r, v] · z_d[n, r, v + (k − K_d//2)·e_d],  z_d = every mode but d applied to h1.
    Slots: 0…K_0−1 a ring of z0 planes (in-plane modes of h1), K_0 and K_0+1 scratch."""
    tid, nt = cuda.threadIdx.x, cuda.blockDim.x
    Q = h.shape[3]
    nm = len(dims)
    K0 = ks[0]
    r0 = K0 // 2
    taps = 0
    for d in range(nm):
        taps += ks[d]
    fit = taps <= MAXTAPS
    for b in range(K0 - 1):
        _load_z0(sm, h, b, n, r, f, ks, dims, b_lo, b_hi, zero)
    for s in range(S):
        _load_z0(sm, h, s + K0 - 1, n, r, f, ks, dims, b_lo, b_hi, zero)
        c = s + r0  # the buffer plane of output plane s
        # mode 0: z0 planes s…s+K0-1 sit in the ring; tap k pairs g2[c] with ring[(s + k) mod K0]
        off = 0
        for k0 in range(0, K0, K0 if fit else MAXTAPS):
            k1 = K0 if fit else min(K0, k0 + MAXTAPS)
            _taps0(sm, g, n, r, c, s, K0, k0, k1, acc, off if fit else 0)
            if not fit:
                _flush(red, acc, 0, k1 - k0, gf, 0, r, k0, zero)
        off += K0
        # modes d ≥ 1: z_d = in-plane modes but d of the mode-0 conv of h1
        for d in range(1, nm):
            _mode0(sm, K0, h, n, r, s, f, K0, b_lo, b_hi, False, zero)
            cuda.syncthreads()
            res = _inplane(sm, K0, K0 + 1, Q, f, ks, dims, r, d, False, zero)
            K = ks[d]
            B = _stride(dims, d)
            for k0 in range(0, K, K if fit else MAXTAPS):
                k1 = K if fit else min(K, k0 + MAXTAPS)
                _tapsd(sm, res, g, n, r, c, dims[d], B, K // 2, k0, k1, acc, off if fit else 0)
                if not fit:
                    _flush(red, acc, 0, k1 - k0, gf, d, r, k0, zero)
            off += K
            cuda.syncthreads()
        # g1 = Sᵀ(g2) of plane s: every mode with reversed filters
        _mode0(sm, K0, g, n, r, s, f, K0, b_lo, b_hi, True, zero)
        cuda.syncthreads()
        res = _inplane(sm, K0, K0 + 1, Q, f, ks, dims, r, 0, True, zero)
        # every read of buffer plane s of h and g by this item is done: overwrite them with h3 and g1
        for q in range(tid, Q, nt):
            acc3 = zero
            for k in range(K0):
                acc3 += f[0, r, k] * sm[((s + k) % K0) * Q + q]
            h[n, r, s, q] = acc3
            g[n, r, s, q] = sm[res * Q + q]
        cuda.syncthreads()
    if fit:
        off = 0
        for d in range(nm):
            _flush(red, acc, off, ks[d], gf, d, r, 0, zero)
            off += ks[d]


@cuda.jit(device=True)
def _backward_items(sm, h, g, f, ks, dims, gf, S, b_lo, b_hi, zero):
    """This block's (image, rank channel) items of one slab's backward, with its buffers in sm."""
    acc = cuda.local.array(MAXTAPS, dtype=h.dtype)
    for t in range(MAXTAPS):
        acc[t] = zero
    red = sm[(ks[0] + 2) * h.shape[3]:]
    N, R = h.shape[0], h.shape[1]
    for item in range(cuda.blockIdx.x, N * R, cuda.gridDim.x):
        _backward_item(sm, red, acc, h, g, f, ks, dims, gf, item // R, item % R, S, b_lo, b_hi, zero)


@cuda.jit
def cp_backward_shared(h, g, f, ks, dims, gf, S, b_lo, b_hi, zero):
    """Backward spatial part of one slab (module doc); dynamic shared memory: (K_0 + 2)·Q + blockDim values."""
    _backward_items(cuda.shared.array(0, dtype=h.dtype), h, g, f, ks, dims, gf, S, b_lo, b_hi, zero)


@cuda.jit
def cp_backward_global(h, g, f, ks, dims, gf, S, b_lo, b_hi, zero, scratch):
    """`cp_backward_shared` with the buffers in scratch[blockIdx] (planes too large for shared memory)."""
    _backward_items(scratch[cuda.blockIdx.x], h, g, f, ks, dims, gf, S, b_lo, b_hi, zero)
