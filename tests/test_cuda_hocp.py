"""The numba-cuda CP convolution (suite/kernels/numba_cuda_hocp.py, _cuda_hocp.py) against the torch reference.

Under Numba's CUDA simulator (a fresh interpreter with NUMBA_ENABLE_CUDASIM=1, started by
`test_cp_kernels_under_simulator`): 1-D to 4-D, mixed kernel sizes, float64 and float32, and the paths a
large problem takes forced on tiny shapes: several slabs, more (image, rank) items than blocks (the grid cap
shrunk to 2), planes too large for shared memory (global scratch), more taps than register accumulators.
On a real GPU (`gpu` marker; skipped with the reason elsewhere): the same checks on CUDA tensors, gradcheck
in float64, and the forward's peak extra memory ≤ 2× the input (torch.cuda.max_memory_allocated).
"""
from __future__ import annotations

import pytest
import torch

from suite import ops
from suite.kernels import cudasim

from ._cudasim import run_cudasim_tests

SIM = cudasim()
GPU = torch.cuda.is_available() and not SIM
TOL = {torch.float64: 1e-9, torch.float32: 2e-4}

# name -> (x shape, rank, kernel sizes, T)
CASES = {
    "1d": ((2, 3, 9), 7, (5,), 4),
    "2d": ((2, 3, 5, 7), 4, (3, 5), 2),
    "3d_mixed_k": ((2, 3, 5, 4, 6), 6, (3, 5, 1), 4),
    "4d": ((2, 3, 3, 4, 3, 2), 5, (3, 3, 1, 3), 4),
    "3d_many_taps": ((1, 2, 4, 5, 3), 3, (13, 13, 9), 2),  # Σ K_d = 35 > MAXTAPS: per-chunk reductions
}
# knob settings of numba_cuda_hocp: defaults, then everything forced small
SETTINGS = {
    "defaults": {},
    "slabs_grid_scratch": {"GRID_CAP": 2, "SLAB_PLANES": 1, "SHARED_BYTES": 16},
    "two_planes_grid3": {"GRID_CAP": 3, "SLAB_PLANES": 2},
}


def _args(shape, R, ks, T, dtype, device, gen):
    def r(*s):
        return torch.randn(*s, generator=gen, dtype=dtype).to(device).requires_grad_()

    return r(*shape), r(shape[1], R), [r(k, R) for k in ks], r(T, R)


def compare(name, dtype, device="cpu"):
    seed = torch.initial_seed()
    gen = torch.Generator().manual_seed(seed)
    shape, R, ks, T = CASES[name]
    x, u_in, spatial, u_out = _args(shape, R, ks, T, dtype, device, gen)
    leaves = [x, u_in, *spatial, u_out]
    ref = ops.cp_conv(x, u_in, spatial, u_out, backend="torch")
    got = ops.cp_conv(x, u_in, spatial, u_out, backend="numba-cuda")
    tol = TOL[dtype] * (1 + ref.abs().max().item())
    err = (got - ref).abs().max().item()
    assert err <= tol, f"{name} {dtype} forward: {err:.3g} > {tol:.3g} (seed {seed})"
    w = torch.randn(ref.shape, generator=gen, dtype=dtype).to(device)
    for i, (a, b) in enumerate(zip(torch.autograd.grad((ref * w).sum(), leaves),
                                   torch.autograd.grad((got * w).sum(), leaves))):
        gtol = TOL[dtype] * (1 + a.abs().max().item())
        assert (a - b).abs().max().item() <= gtol, f"{name} {dtype} grad {i} (seed {seed})"


@pytest.fixture
def knobs(request, monkeypatch):
    from suite.kernels import numba_cuda_hocp as W

    for attr, value in SETTINGS[request.param].items():
        monkeypatch.setattr(W, attr, value)


# ---------------------------------------------------------------- simulator
# The simulator is slow (a Python thread per CUDA thread: 15–35 CPU-s per case and dtype, ~55 s for the gradcheck
# under pytest; every case in both dtypes took ~10 minutes of `make test`): float64 on the cases that differ in
# rank, mixed kernel sizes and the per-chunk tap reductions (2-D is the 3-D mixed case's sub-case), float32 on
# the 1-D case, the forced paths (slabs, grid-stride, global scratch) on the 4-D one. The gpu tests run the whole matrix
# on a real GPU.
SIM_RUNS = ([("defaults", name, "f64") for name in ("1d", "3d_mixed_k", "4d", "3d_many_taps")]
            + [("defaults", "1d", "f32")] + [(knob, "4d", "f64") for knob in list(SETTINGS)[1:]])


@pytest.mark.cudasim
@pytest.mark.skipif(not SIM, reason="runs in the NUMBA_ENABLE_CUDASIM=1 subprocess of test_cp_kernels_under_simulator")
@pytest.mark.parametrize("knobs,name,dtype", SIM_RUNS, indirect=["knobs"])
def test_cudasim_cp_matches_reference(name, dtype, knobs):
    compare(name, {"f64": torch.float64, "f32": torch.float32}[dtype])


@pytest.mark.cudasim
@pytest.mark.skipif(not SIM, reason="runs in the NUMBA_ENABLE_CUDASIM=1 subprocess of test_cp_kernels_under_simulator")
def test_cudasim_cp_gradcheck(monkeypatch):
    from suite.kernels import numba_cuda_hocp as W

    monkeypatch.setattr(W, "SLAB_PLANES", 2)
    gen = torch.Generator().manual_seed(torch.initial_seed())
    args = _args((1, 1, 3, 2), 2, (3, 1), 1, torch.float64, "cpu", gen)
    fn = lambda x, a, s0, s1, b: ops.cp_conv(x, a, [s0, s1], b, backend="numba-cuda")  # noqa: E731
    assert torch.autograd.gradcheck(fn, (args[0], args[1], *args[2], args[3]), eps=1e-6, atol=1e-7)


def test_cp_kernels_under_simulator():
    """Run the cudasim tests above in a fresh interpreter with NUMBA_ENABLE_CUDASIM=1."""
    run_cudasim_tests(__file__, timeout=1800)


# ---------------------------------------------------------------- real GPU
needs_gpu = pytest.mark.skipif(not GPU, reason="needs a CUDA GPU (torch.cuda.is_available() is False here)")


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(CASES))
def test_gpu_cp_matches_reference(name, dtype, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    compare(name, dtype, "cuda")


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("knobs", list(SETTINGS)[1:], indirect=True)
def test_gpu_cp_forced_paths(knobs, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    for name in CASES:
        compare(name, torch.float64, "cuda")


@pytest.mark.gpu
@needs_gpu
def test_gpu_cp_gradcheck():
    gen = torch.Generator().manual_seed(torch.initial_seed())
    args = _args((2, 3, 4, 5, 3), 3, (3, 5, 1), 2, torch.float64, "cuda", gen)
    fn = lambda x, a, s0, s1, s2, b: ops.cp_conv(x, a, [s0, s1, s2], b, backend="numba-cuda")  # noqa: E731
    assert torch.autograd.gradcheck(fn, (args[0], args[1], *args[2], args[3]), eps=1e-6, atol=1e-7)


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("factor", [3, 6])
def test_gpu_cp_forward_peak_memory_within_twice_the_input(factor):
    """Peak memory the forward allocates beyond its inputs and output ≤ 2× the input's bytes (after a
    warm-up call, so cuBLAS's workspace exists already)."""
    N, C, dims = 4, 32, (16, 32, 32)
    R = factor * C
    x = torch.randn(N, C, *dims, device="cuda")
    u_in, u_out = torch.randn(C, R, device="cuda"), torch.randn(C, R, device="cuda")
    spatial = [torch.randn(3, R, device="cuda") for _ in dims]
    with torch.no_grad():
        ops.cp_conv(x, u_in, spatial, u_out, backend="numba-cuda")
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        out = ops.cp_conv(x, u_in, spatial, u_out, backend="numba-cuda")
        torch.cuda.synchronize()
        extra = torch.cuda.max_memory_allocated() - before - out.numel() * out.element_size()
    size = x.numel() * x.element_size()
    assert extra <= 2 * size, f"extra {extra / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB input"


@pytest.mark.gpu
@needs_gpu
def test_gpu_reconstructed_and_auto_on_cuda(monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    gen = torch.Generator().manual_seed(torch.initial_seed())
    x, u_in, spatial, u_out = _args((2, 8, 6, 8, 8), 12, (3, 3, 3), 8, torch.float32, "cuda", gen)
    ref = ops.cp_conv(x, u_in, spatial, u_out, backend="torch")
    for backend in ("reconstructed", "auto"):
        torch.testing.assert_close(ops.cp_conv(x, u_in, spatial, u_out, backend=backend), ref, rtol=2e-4, atol=2e-4)


# ---------------------------------------------------------------- asv on a GPU machine
def test_asv_numba_cuda_parameters_target_cuda_where_it_exists(monkeypatch):
    from benchmarks import _common

    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _common.device_for("numba-cuda") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(NotImplementedError, match="no CUDA GPU"):
        _common.device_for("numba-cuda")


@pytest.mark.gpu
@needs_gpu
def test_gpu_asv_numba_cuda_parameters_run():
    from benchmarks.bench_hocp import CPConv3d

    bench = CPConv3d()
    bench.setup("small", "numba-cuda")
    assert bench.device.type == "cuda"
    bench.time_forward("small", "numba-cuda")
    bench.time_forward_backward("small", "numba-cuda")
    assert bench.track_speedup_vs_dense("small", "numba-cuda") > 0
