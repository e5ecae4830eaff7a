"""Our decompositions against the peers users compare with: `HOCPConv.from_dense` (CP-ALS) and
`TuckerConv.from_dense` (truncated HOSVD on the channel modes) reconstruct a conv kernel within 5 % of
TensorLy's `parafac` / `tucker` relative error on the same tensor, or better; and TensorLy-Torch's CP
`FactorizedConv` computes the same convolution as `suite.ops.cp_conv` from the same factors (what
benchmarks/bench_peers.py times). TensorLy and tltorch are test/bench extras, not runtime dependencies.

Kernels: i.i.d. Gaussian ones (no structure at all) and ones with a decaying spectrum in both channel
modes, as trained kernels have. TensorLy's `tucker` is HOOI (HOSVD then alternating refinement); ours is
HOSVD alone, which on i.i.d. Gaussian kernels was measured up to 4.5 % above HOOI (20 seeds, three
shapes): too close to the 5 % bar for a test that must not flake, so Tucker is checked on the
decaying-spectrum kernels only.
"""
from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

tl = pytest.importorskip("tensorly", reason="TensorLy is a test extra: pip install -e '.[test]'")
from tensorly.decomposition import parafac, tucker  # noqa: E402

from suite import ops  # noqa: E402
from suite.layers.hocp import HOCPConv, TuckerConv  # noqa: E402

TOLERANCE = 1.05  # ours / TensorLy's relative error, geometric mean over tensors
SINGLE_TENSOR_LIMIT = 1.25  # one tensor: two ALS runs may end in different local minima


def _conv(out_channels, in_channels, kernel, *, decaying: bool) -> nn.Module:
    """A float64 'same' conv whose kernel is Gaussian, or Gaussian with both channel modes multiplied by a
    random orthogonal basis scaled by 1/(i+1) (a decaying spectrum, like a trained kernel's)."""
    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[len(kernel)](
        in_channels, out_channels, kernel, padding=tuple(k // 2 for k in kernel), bias=False, dtype=torch.float64)
    w = torch.randn(out_channels, in_channels, *kernel, dtype=torch.float64)
    if decaying:
        for mode, size in ((0, out_channels), (1, in_channels)):
            q, _ = torch.linalg.qr(torch.randn(size, size, dtype=torch.float64))
            basis = q * (1.0 / torch.arange(1, size + 1, dtype=torch.float64))
            w = torch.movedim(torch.tensordot(basis, w, dims=([1], [mode])), 0, mode)
    with torch.no_grad():
        conv.weight.copy_(w)
    return conv


def _rel(w: torch.Tensor, approx) -> float:
    approx = torch.as_tensor(approx).detach()
    return float((w - approx).norm() / w.norm())


def _tensorly(decompose, reconstruct, w: torch.Tensor, *args, **kwargs):
    """reconstruct(decompose(w as a NumPy array, ...)) on TensorLy's NumPy backend: many times faster than
    its PyTorch backend on these small tensors, and set explicitly because importing tltorch switches
    TensorLy's global backend to PyTorch."""
    with warnings.catch_warnings():  # TensorLy's 'svd' init warns when the rank exceeds a mode's size
        warnings.simplefilter("ignore", UserWarning)
        with tl.backend_context("numpy"):
            return reconstruct(decompose(w.numpy(), *args, **kwargs))


CP_CASES = [  # (T, C, kernel), CP rank
    ((32, 16, (3, 3)), 12),
    ((8, 8, (3, 3, 3)), 16),
    ((16, 16, (5,)), 8),
]


TENSORS = 5  # random kernels per case


@pytest.mark.parametrize("decaying", [False, True], ids=["gaussian", "decaying"])
@pytest.mark.parametrize("shape, rank", CP_CASES, ids=lambda v: str(v).replace(" ", ""))
def test_hocp_from_dense_matches_tensorly_parafac(shape, rank, decaying, fresh_seed):
    """Both are ALS from an SVD start, so each lands in a local minimum of its own: on one tensor either
    may be a few % better (measured over 12 tensors per case: ours/theirs 0.93-1.06; one seed gave 1.119 on
    one tensor with a geomean of 1.01). The claim is about the method, so the bar is the geometric mean of
    ours/theirs over several tensors (<= 1.05); a single tensor above 1.25 is a failure, not a local minimum."""
    ratios = []
    for i in range(TENSORS):
        conv = _conv(*shape, decaying=decaying)
        w = conv.weight.detach()
        seed = (fresh_seed + i) % 2**31
        layer = HOCPConv.from_dense(conv, rank, n_iter=200, seed=seed)
        ours = _rel(w, layer.to_dense())
        # the error it reports is the real one
        assert ours == pytest.approx(layer.decomposition_error, rel=1e-6, abs=1e-9)
        # the same iteration budget and stopping rule, TensorLy's own 'svd' initialization
        approx = _tensorly(parafac, tl.cp_to_tensor, w, rank, n_iter_max=200, init="svd", tol=1e-10, random_state=seed)
        ratios.append(ours / _rel(w, approx))
    geomean = float(torch.tensor(ratios, dtype=torch.float64).log().mean().exp())
    detail = (f"CP rank {rank} of {(shape[0], shape[1], *shape[2])}: "
              f"ours/TensorLy parafac {[round(r, 3) for r in ratios]}")
    assert geomean <= TOLERANCE and max(ratios) <= SINGLE_TENSOR_LIMIT, detail


TUCKER_CASES = [  # (T, C, kernel), (R_T, R_C)
    ((32, 16, (3, 3)), (16, 8)),
    ((32, 16, (3, 3)), (8, 4)),
    ((8, 8, (3, 3, 3)), (4, 4)),
    ((16, 16, (5,)), (4, 8)),
]


@pytest.mark.parametrize("shape, ranks", TUCKER_CASES, ids=lambda v: str(v).replace(" ", ""))
def test_tucker_from_dense_matches_tensorly_tucker(shape, ranks):
    conv = _conv(*shape, decaying=True)
    w = conv.weight.detach()
    ours = _rel(w, TuckerConv.from_dense(conv, ranks).to_dense())
    # TensorLy's Tucker with the spatial modes kept whole: the same model as TuckerConv (HO-CP eq. 12)
    approx = _tensorly(tucker, tl.tucker_to_tensor, w, rank=[*ranks, *w.shape[2:]], n_iter_max=100, init="svd",
                       tol=1e-10)
    theirs = _rel(w, approx)
    assert ours <= TOLERANCE * theirs, (f"Tucker ranks {ranks} of {tuple(w.shape)}: "
                                        f"ours {ours:.4f}, TensorLy {theirs:.4f}")


def test_tensorly_reconstructs_a_kernel_of_exact_rank(fresh_seed):
    """The oracle itself: both find an exact CP rank-4 kernel (error ~0), so the 5 % bar compares like with like."""
    factors = [torch.randn(size, 4, dtype=torch.float64) for size in (12, 10, 3, 3)]
    conv = _conv(12, 10, (3, 3), decaying=False)
    with torch.no_grad():
        conv.weight.copy_(torch.einsum("ar,br,cr,dr->abcd", *factors))
    w = conv.weight.detach()
    theirs = _rel(w, _tensorly(parafac, tl.cp_to_tensor, w, 4, n_iter_max=500, init="svd", tol=1e-14,
                               random_state=fresh_seed % 2**31))
    ours = HOCPConv.from_dense(conv, 4, n_iter=500, seed=fresh_seed % 2**31).decomposition_error
    assert theirs < 1e-3 and ours < 1e-3, (ours, theirs)


@pytest.mark.parametrize("implementation", ["factorized", "reconstructed"])
def test_tltorch_factorized_conv_is_our_cp_conv(implementation):
    pytest.importorskip("tltorch", reason="TensorLy-Torch is a bench extra: pip install tensorly-torch")
    from benchmarks.bench_peers import _tltorch_layers

    n, c, t, r, spatial = 2, 6, 5, 7, (5, 6, 7)
    x = torch.randn(n, c, *spatial, dtype=torch.float64)
    channel_in = torch.randn(c, r, dtype=torch.float64)
    factors = [torch.randn(3, r, dtype=torch.float64) for _ in spatial]
    channel_out = torch.randn(t, r, dtype=torch.float64)
    layer = _tltorch_layers(channel_in, factors, channel_out)[implementation].double()
    with torch.no_grad():
        theirs = layer(x)
    ours = ops.cp_conv(x, channel_in, factors, channel_out, backend="torch")
    torch.testing.assert_close(theirs, ours, rtol=1e-10, atol=1e-10)
