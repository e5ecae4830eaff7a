"""Low-rank decompositions of trained convolution kernels, memory-bounded.

`cp_als` (CP by alternating least squares) and `tucker2_hosvd` (Tucker on the two channel modes by
truncated HOSVD, Kim et al. 2016 as HO-CP Section 2.4 uses it). Neither ever forms a full Khatri-Rao
product: the MTTKRP contracts the largest other mode by a GEMM first, in chunks of ranks, so the peak
temporary stays under `budget` elements (a (1024, 512, 3, 3, 3) kernel at rank 3072 needs ~130 MB).
"""
from __future__ import annotations

import math

import torch

_LETTERS = "abcdefghijklmnopqstuvwxyz"  # 'r' is the rank


def _mttkrp(W: torch.Tensor, factors: list[torch.Tensor], mode: int, budget: int) -> torch.Tensor:
    """M[i, r] = Σ W[..., i, ...] Π_{d ≠ mode} factors[d][i_d, r], chunked over r."""
    dims, R = W.shape, factors[0].shape[1]
    others = [d for d in range(W.ndim) if d != mode]
    first = max(others, key=lambda d: dims[d])
    kept = [d for d in range(W.ndim) if d != first]
    w_first = W.movedim(first, 0).reshape(dims[first], -1)
    chunk = max(1, budget // max(1, w_first.shape[1]))
    out = W.new_empty(dims[mode], R)
    for r0 in range(0, R, chunk):
        rs = slice(r0, min(R, r0 + chunk))
        a = (factors[first][:, rs].T @ w_first).reshape(-1, *(dims[d] for d in kept))
        names = {d: _LETTERS[i] for i, d in enumerate(kept)}
        live = list(kept)
        for d in kept:
            if d == mode:
                continue
            src = "r" + "".join(names[x] for x in live)
            live.remove(d)
            dst = "r" + "".join(names[x] for x in live)
            a = torch.einsum(f"{src},{names[d]}r->{dst}", a, factors[d][:, rs])
        out[:, rs] = a.T
    return out


def _svd_init(X: torch.Tensor, rank: int, seed: int) -> list[torch.Tensor]:
    """Leading left singular vectors of each unfolding (via the small Gram matrix), random columns past
    the unfolding's rank — the usual 'svd' initialization of CP-ALS."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    factors = []
    for mode, size in enumerate(X.shape):
        unfolded = X.movedim(mode, 0).reshape(size, -1)
        _, vecs = torch.linalg.eigh(unfolded @ unfolded.T)
        lead = vecs.flip(-1)[:, : min(rank, size)]
        extra = torch.randn(size, rank - lead.shape[1], generator=gen, dtype=torch.float64).to(X.device)
        factors.append(torch.cat([lead, extra], 1))
    return factors


EXACT = 1e-7  # a relative error this small is an exact decomposition: no further start can improve it
PROBE_ITERATIONS = 50  # sweeps a random start gets before the best one is continued


def _random_init(X: torch.Tensor, rank: int, seed: int) -> list[torch.Tensor]:
    """Gaussian factors with unit columns, from ``seed``."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    factors = [torch.randn(size, rank, generator=gen, dtype=torch.float64) for size in X.shape]
    return [(f / f.norm(dim=0)).to(X.device) for f in factors]


def cp_als(
    W: torch.Tensor, rank: int, *, n_iter: int = 200, tol: float = 1e-10, seed: int = 0, budget: int = 2**24,
    n_starts: int = 8,
) -> tuple[torch.Tensor, list[torch.Tensor], float]:
    """CP decomposition W ≈ Σ_r weights[r] Π_d factors[d][:, r] by ALS (Kolda & Bader 2009, Sec. 3.4).

    ALS from one start can stall in a "swamp" (the error creeps down by less than ``tol`` per sweep far from
    the optimum), even on a kernel of exact rank. So the SVD start runs first (``n_iter`` sweeps); unless it
    is exact (relative error < EXACT), ``n_starts - 1`` random starts (seeds ``seed + 1``, ...) get
    PROBE_ITERATIONS sweeps each, stopping at the first exact one, and the best of them continues for the
    remaining sweeps. The result is the best of all: never worse than the SVD start alone.
    Returns (weights (R,), factors [I_d × R], relative error). Runs in float64 on W's device.
    """
    if rank < 1:
        raise ValueError(f"rank: expected a positive int, got {rank}")
    if n_starts < 1:
        raise ValueError(f"n_starts: expected a positive int, got {n_starts}")
    X = W.detach().to(torch.float64)
    best = _als(X, _svd_init(X, rank, seed), rank, n_iter, tol, budget)
    probe = None
    for start in range(1, n_starts):
        if best[2] < EXACT or (probe is not None and probe[2] < EXACT):
            break
        result = _als(X, _random_init(X, rank, seed + start), rank, min(n_iter, PROBE_ITERATIONS), tol, budget)
        if probe is None or result[2] < probe[2]:
            probe = result
    if probe is not None and probe[2] >= EXACT and n_iter > PROBE_ITERATIONS:
        probe = _als(X, probe[1], rank, n_iter - PROBE_ITERATIONS, tol, budget)
    return probe if probe is not None and probe[2] < best[2] else best


def _als(X: torch.Tensor, factors: list[torch.Tensor], rank: int, n_iter: int, tol: float,
         budget: int) -> tuple[torch.Tensor, list[torch.Tensor], float]:
    """ALS sweeps from ``factors`` until the relative error changes by less than ``tol`` (or ``n_iter``)."""
    norm_x2 = float((X * X).sum())
    weights = torch.ones(rank, dtype=torch.float64, device=X.device)
    err, prev = 1.0, math.inf
    for _ in range(n_iter):
        for mode in range(X.ndim):
            gram = torch.ones(rank, rank, dtype=torch.float64, device=X.device)
            for d in range(X.ndim):
                if d != mode:
                    gram = gram * (factors[d].T @ factors[d])
            m = _mttkrp(X, factors, mode, budget)
            f = torch.linalg.lstsq(gram, m.T, driver="gelsd" if X.device.type == "cpu" else None).solution.T
            weights = f.norm(dim=0).clamp_min(1e-300)
            factors[mode] = f / weights
        # ‖X − X̂‖² = ‖X‖² − 2⟨X, X̂⟩ + ‖X̂‖², all from R×R quantities.
        full_gram = torch.ones(rank, rank, dtype=torch.float64, device=X.device)
        for f in factors:
            full_gram = full_gram * (f.T @ f)
        inner = float((weights * (m * factors[-1]).sum(0)).sum())
        approx2 = float(weights @ full_gram @ weights)
        err = math.sqrt(max(norm_x2 - 2 * inner + approx2, 0.0) / max(norm_x2, 1e-300))
        if abs(prev - err) < tol:
            break
        prev = err
    return weights, factors, err


def tucker2_hosvd(W: torch.Tensor, ranks: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Truncated HOSVD on the output and input channel modes of W (T, C, K...).

    Returns (core (R_T, R_C, K...), channel_in (C, R_C), channel_out (T, R_T)); spatial modes stay whole.
    Uses eigendecompositions of the T×T and C×C Gram matrices, so memory stays ~ size of W.
    """
    X = W.detach().to(torch.float64)
    rt, rc = ranks
    T, C = X.shape[:2]
    if not (1 <= rt <= T and 1 <= rc <= C):
        raise ValueError(f"ranks: expected (R_T, R_C) with 1 <= R_T <= {T} and 1 <= R_C <= {C}, got {ranks}")

    def leading(unfolded: torch.Tensor, r: int) -> torch.Tensor:
        _, vecs = torch.linalg.eigh(unfolded @ unfolded.T)
        return vecs[:, -r:].flip(-1)

    u_out = leading(X.reshape(T, -1), rt)
    u_in = leading(X.movedim(1, 0).reshape(C, -1), rc)
    core = torch.einsum("tc...,ta,cb->ab...", X, u_out, u_in)
    return core, u_in, u_out
