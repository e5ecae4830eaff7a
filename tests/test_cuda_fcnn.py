"""The numba-cuda FCNN kernels (suite/kernels/_cuda_fcnn.py) against the torch references in suite.ops.

Two kinds of runs:
- `cudasim`: Numba's CUDA simulator on CPU tensors, tiny shapes (every simulated thread is a Python
  thread). `test_fcnn_kernels_under_simulator` runs them in a fresh interpreter with NUMBA_ENABLE_CUDASIM=1.
  They include the reduction paths: N·H·W not a multiple of the block, and more work than one grid
  (`_cuda_launch.limits(max_blocks=…)` forces several grid-stride passes and chunked partial sums).
- `gpu`: a real CUDA device, FCNN Table 1's stage shapes at N = 32 (float32 against a float64 reference
  computed by torch on the GPU, 2e-4 relative to the output's scale) and gradcheck in float64 at small
  shapes. Skipped, with the reason, without a GPU or under the simulator.
"""
from __future__ import annotations

import warnings

import pytest
import torch

from suite import ops
from suite.bench.shapes import FCNN_BATCH, FCNN_GRIDS_2D, FCNN_KERNEL, FCNN_STAGES
from suite.kernels import cudasim

from ._cudasim import run_cudasim_tests
from ._helpers import clear_of_relu_kink, single_basis_preactivation, single_basis_step_definition

SIM = cudasim()
TOL = {torch.float64: 1e-9, torch.float32: 2e-4}
sim_only = pytest.mark.skipif(not SIM, reason="runs in the NUMBA_ENABLE_CUDASIM=1 subprocess of "
                                              "test_fcnn_kernels_under_simulator")


def _gpu_skip_reason() -> str | None:
    if SIM:
        return "NUMBA_ENABLE_CUDASIM=1: the numba-cuda backend runs on the CPU simulator"
    if not torch.cuda.is_available():
        return "needs a real CUDA device (torch.cuda.is_available() is False)"
    return None


def gpu_test(fn):
    """Mark `fn` as needing a real CUDA device; skipped, with the reason, where there is none."""
    reason = _gpu_skip_reason()
    return pytest.mark.gpu(pytest.mark.skipif(reason is not None, reason=reason or "")(fn))


def _topo(grid, padding="same"):
    def op(x, weight, backend):
        return ops.topological_conv(x, weight, grid, padding=padding, backend=backend)
    return op


def _step(residual):
    def op(x, basis, proj, b1, b2, *res, backend):
        return ops.single_basis_step(x, basis, proj, bias1=b1, bias2=b2,
                                     residual=res[0] if res else residual, backend=backend)
    return op


def _stack(x, bases, projections, backend):
    return ops.single_basis_stack(x, bases, projections, backend=backend)


def _basis(x, bases, projection, backend):
    return ops.basis_conv2d(x, bases, projection, backend=backend)


def _check(op, args, dtype, backend="numba-cuda", ref_dtype=None, near_kink=None, grad_rel=None):
    """Forward and every input gradient of `op` on `backend` against backend='torch' (computed in
    ref_dtype, default dtype), errors relative to 1 + each reference's largest magnitude.

    ReLU ops on millions of float32 elements: a few pre-activations lie within rounding of 0 and take the
    other side of ReLU than in float64, which changes the gradient there by O(1). `near_kink` (a bool
    tensor of the output's shape, pre-activations near 0) takes those outputs out of the loss, so every
    gradient is still compared elementwise; where the kinks are inside the op (a stack of steps),
    `grad_rel` compares each gradient by its relative Frobenius error instead (a wrong index or a lost
    partial sum gives O(1))."""
    ref_dtype = ref_dtype or dtype
    leaves = [a.detach().to(dtype).requires_grad_() for a in args]
    ref_leaves = [a.detach().to(ref_dtype).requires_grad_() for a in args]
    got = op(*leaves, backend=backend)
    ref = op(*ref_leaves, backend="torch")
    assert got.shape == ref.shape and got.dtype == dtype
    w = torch.randn(ref.shape, dtype=ref_dtype, device=ref.device)
    if near_kink is not None:
        w[near_kink] = 0
    pairs = [("forward", got, ref)]
    grads = torch.autograd.grad((got * w.to(dtype)).sum(), leaves)
    ref_grads = torch.autograd.grad((ref * w).sum(), ref_leaves)
    pairs += [(f"grad of argument {i}", a, b) for i, (a, b) in enumerate(zip(grads, ref_grads))]
    for what, a, b in pairs:
        diff = (a.to(ref_dtype) - b).abs()
        if grad_rel is not None and what != "forward":
            rel = (diff.norm() / b.norm().clamp_min(1e-300)).item()
            assert rel <= grad_rel, (f"{what}: relative error {rel:.3g} > {grad_rel} "
                                     f"({dtype}, seed {torch.initial_seed()})")
            continue
        tol = TOL[dtype] * (1.0 + b.abs().max().item())
        err = diff.max().item()
        assert err <= tol, f"{what}: max error {err:.3g} > {tol:.3g} ({dtype}, seed {torch.initial_seed()})"


def _step_args(m, n, residual, shape, device="cpu", clear=True):
    """Step arguments (x, basis, projection, bias1, bias2[, residual tensor]), drawn clear of ReLU's kink
    (gradcheck's finite differences) unless `clear` is False (millions of elements: see `_check`)."""
    def draw():
        def f(*s):
            return torch.randn(*s, dtype=torch.float64, device=device)

        res = f(shape[0], n, *shape[1:]) if residual == "tensor" else residual
        return f(shape[0], m, *shape[1:]), f(m, 3, 3) / 3, f(n, m) / m ** 0.5, f(m), f(n), res
    x, basis, proj, b1, b2, res = clear_of_relu_kink(draw) if clear else draw()
    return [x, basis, proj, b1, b2] + ([res] if isinstance(res, torch.Tensor) else [])


# ---------------------------------------------------------------- simulator: tiny shapes
# name -> (op, argument shapes): remainders everywhere (5 channels, 7×9 maps: N·H·W = 126, not a
# multiple of the 32-thread simulator blocks), k = 3 and 5, b > 1, 1-D/2-D/3-D topology grids, and Alg. 4 with
# an explicit padding: Model A's k = 2 unpadded (the output one pixel smaller: a cropped plane) and an even k
# with an asymmetric padding (a padded plane, kernel origin off-centre).
SIM_CASES = {
    "stack_3x3": (_stack, [(2, 5, 7, 9), (2, 5, 3, 3), (2, 5, 5)]),
    "basis_3x3_b3": (_basis, [(2, 5, 7, 9), (5, 3, 3, 3), (4, 5, 3)]),
    "basis_5x5_b2": (_basis, [(1, 3, 5, 7), (3, 2, 5, 5), (5, 3, 2)]),
    "topo_2d_1x1": (_topo((4, 6)), [(2, 24, 5, 7), (4, 6, 2, 3, 1, 1)]),
    "topo_3d_3x3": (_topo((2, 3, 2)), [(2, 12, 5, 6), (2, 3, 2, 2, 2, 1, 3, 3)]),
    "topo_1d_1x1": (_topo((7,)), [(3, 7, 4, 4), (7, 3, 1, 1)]),
    "topo_2d_2x2_pad0": (_topo((2, 3), padding=0), [(2, 6, 5, 7), (2, 3, 1, 2, 2, 2)]),
    "topo_3d_4x4_asym": (_topo((2, 2, 2), padding=(0, 1, 2, 1)), [(1, 8, 5, 4), (2, 2, 2, 1, 2, 1, 4, 4)]),
}


def _sim_args(shapes):
    return [torch.randn(*s, dtype=torch.float64) for s in shapes]


@pytest.mark.cudasim
@sim_only
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(SIM_CASES))
def test_sim_matches_reference(name, dtype):
    op, shapes = SIM_CASES[name]
    _check(op, _sim_args(shapes), dtype)


# Few channels, N·H·W = 3·9·11 = 297 (not a multiple of the 32-thread simulator blocks): with the grid
# capped at 1 block every reduction strides over N·H·W ten times into one partial per output; with a
# larger cap (2 or 3 blocks per output) several partials per output go through the second pass.
REDUCTION_CASES = {
    "stack": (_stack, [(3, 2, 9, 11), (1, 2, 3, 3), (1, 2, 2)]),
    "basis_b2": (_basis, [(3, 2, 9, 11), (2, 2, 3, 3), (3, 2, 2)]),
    "topo_1x1": (_topo((2, 2)), [(3, 4, 9, 11), (2, 2, 2, 1, 1, 1)]),
    "topo_3x3": (_topo((2, 2)), [(3, 4, 9, 11), (2, 2, 1, 2, 3, 3)]),
}


@pytest.mark.cudasim
@sim_only
@pytest.mark.parametrize("name,max_blocks", [("stack", 1), ("stack", 4), ("basis_b2", 1), ("basis_b2", 12),
                                             ("topo_1x1", 1), ("topo_1x1", 3), ("topo_3x3", 1), ("topo_3x3", 5)])
def test_sim_reductions_span_several_grid_passes(name, max_blocks):
    from suite.kernels._cuda_launch import limits
    op, shapes = REDUCTION_CASES[name]
    with limits(max_blocks=max_blocks):
        _check(op, _sim_args(shapes), torch.float32)


@pytest.mark.cudasim
@sim_only
@pytest.mark.parametrize("residual", [True, False, "tensor"])
def test_sim_single_basis_step(residual):
    """All three residual modes (x's gradient gets gz added in-kernel for residual=True) with both
    biases, float32 against the reference, then gradcheck in float64."""
    n = 4 if residual is True else 3
    args = _step_args(4, n, residual, (2, 5, 3))
    op = _step(residual)
    _check(op, args, torch.float32)
    with torch.no_grad():
        ref = single_basis_step_definition(*args[:3], bias1=args[3], bias2=args[4],
                                           residual=args[5] if residual == "tensor" else residual)
    torch.testing.assert_close(op(*args, backend="numba-cuda"), ref)
    leaves = [a.requires_grad_() for a in args]
    assert torch.autograd.gradcheck(lambda *a: op(*a, backend="numba-cuda"), leaves, fast_mode=True)


@pytest.mark.cudasim
@sim_only
@pytest.mark.parametrize("name", ["basis_3x3_b3", "topo_3d_3x3", "topo_2d_2x2_pad0"])
def test_sim_gradcheck(name):
    op, shapes = SIM_CASES[name]
    shapes = [(1, *s[1:]) if i == 0 else s for i, s in enumerate(shapes)]  # one image: fewer evaluations
    leaves = [a.requires_grad_() for a in _sim_args(shapes)]
    assert torch.autograd.gradcheck(lambda *a: op(*a, backend="numba-cuda"), leaves, fast_mode=True)


@pytest.mark.cudasim
@sim_only
def test_sim_limits_reject_bad_block_sizes():
    from suite.kernels._cuda_launch import limits
    with pytest.raises(ValueError, match="power of two"), limits(threads=96):
        pass
    with pytest.raises(ValueError, match="max_blocks"), limits(max_blocks=0):
        pass


def test_launch_packs_numba_array_abi():
    """The packed launch's parameters are Numba's kernel ABI (numba-cuda `_Kernel._prepare_args`): per
    array meminfo, parent, nitems, itemsize, data pointer, shape, strides in bytes; per integer its value;
    the signature key tells C-contiguous arrays from strided views."""
    from suite.kernels._cuda_launch import _key_and_params
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    view = torch.randn(6, 2, 4)[:, 0]  # non-contiguous (6, 4), strides (8, 1)
    key, params = _key_and_params((x, 7, view))
    assert key == ((torch.float64, 4, True), int, (torch.float32, 2, False))
    assert params == [0, 0, 120, 8, x.data_ptr(), 2, 3, 4, 5, 480, 160, 40, 8,
                      7,
                      0, 0, 24, 4, view.data_ptr(), 6, 4, 32, 4]


def test_fcnn_kernels_under_simulator():
    """Run the cudasim tests above in a fresh interpreter with NUMBA_ENABLE_CUDASIM=1."""
    run_cudasim_tests(__file__, timeout=1800)


# ---------------------------------------------------------------- real GPU: benchmark shapes
STAGE_IDS = [f"C{c}H{h}" for c, h in FCNN_STAGES]


def _cuda(*shape, scale=1.0):
    return torch.randn(*shape, dtype=torch.float64, device="cuda") * scale


@gpu_test
@pytest.mark.parametrize("c,h", FCNN_STAGES, ids=STAGE_IDS)
@pytest.mark.parametrize("residual", [True, False, "tensor"])
def test_gpu_single_basis_step(c, h, residual):
    n = c if residual is True else c // 2
    args = _step_args(c, n, residual, (FCNN_BATCH, h, h), device="cuda", clear=False)
    with torch.no_grad():
        z = single_basis_preactivation(*args[:3], bias1=args[3], bias2=args[4],
                                       residual=args[5] if residual == "tensor" else residual)
    near_kink = z.abs() < 1e-3 * (1 + z.abs().max())
    assert near_kink.double().mean() < 0.01  # only a few outputs leave the loss
    _check(_step(residual), args, torch.float32, ref_dtype=torch.float64, near_kink=near_kink)


@gpu_test
@pytest.mark.parametrize("c,h", FCNN_STAGES, ids=STAGE_IDS)
def test_gpu_single_basis_stack(c, h):
    """Two steps: the first step's kinks are inside the op, so gradients are compared by their relative
    error (each kink float32 rounding flips moves it by ~1/sqrt(N·C·H·W); a wrong partial sum by O(1))."""
    k = FCNN_KERNEL
    args = [_cuda(FCNN_BATCH, c, h, h), _cuda(2, c, k, k, scale=1 / k), _cuda(2, c, c, scale=c ** -0.5)]
    _check(_stack, args, torch.float32, ref_dtype=torch.float64, grad_rel=5e-3)


@gpu_test
@pytest.mark.parametrize("c,h", FCNN_STAGES, ids=STAGE_IDS)
def test_gpu_basis_conv2d(c, h):
    k, b = FCNN_KERNEL, 4
    args = [_cuda(FCNN_BATCH, c, h, h), _cuda(c, b, k, k, scale=1 / k), _cuda(c, c, b, scale=(c * b) ** -0.5)]
    _check(_basis, args, torch.float32, ref_dtype=torch.float64)


@gpu_test
@pytest.mark.parametrize("c,h", FCNN_STAGES, ids=STAGE_IDS)
def test_gpu_topological_conv(c, h):
    grid, neighbors = FCNN_GRIDS_2D[c]
    args = [_cuda(FCNN_BATCH, c, h, h), _cuda(*grid, *neighbors, 1, 1, scale=(grid[0] * grid[1]) ** -0.25)]
    _check(_topo(grid), args, torch.float32, ref_dtype=torch.float64)


@gpu_test
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(SIM_CASES))
def test_gpu_small_shapes(name, dtype):
    """The simulator's shapes (remainders, k = 5, 1-D/3-D grids) on the real device."""
    op, shapes = SIM_CASES[name]
    _check(op, [a.to("cuda") for a in _sim_args(shapes)], dtype, ref_dtype=torch.float64)


@gpu_test
@pytest.mark.parametrize("name", ["stack_3x3", "basis_3x3_b3", "basis_5x5_b2", "topo_3d_3x3", "topo_2d_1x1"])
def test_gpu_gradcheck(name):
    op, shapes = SIM_CASES[name]
    leaves = [a.to("cuda").requires_grad_() for a in _sim_args(shapes)]
    assert torch.autograd.gradcheck(lambda *a: op(*a, backend="numba-cuda"), leaves)


@gpu_test
@pytest.mark.parametrize("residual", [True, False, "tensor"])
def test_gpu_single_basis_step_gradcheck(residual):
    args = [a.to("cuda").requires_grad_() for a in _step_args(6, 6 if residual is True else 5, residual, (2, 7, 9))]
    assert torch.autograd.gradcheck(lambda *a: _step(residual)(*a, backend="numba-cuda"), args)


@gpu_test
def test_gpu_reductions_span_several_grid_passes():
    """On the device: a grid capped at 2 blocks still sums every element."""
    from suite.kernels._cuda_launch import limits
    c, h = FCNN_STAGES[-1]
    with limits(max_blocks=2):
        test_gpu_single_basis_stack(c, h)
        test_gpu_topological_conv(c, h)


@gpu_test
def test_gpu_normal_use_warns_nothing():
    """Grids sized from the multiprocessor count: no NumbaPerformanceWarning (or any warning) at the
    benchmark shapes, forward and backward."""
    c, h = FCNN_STAGES[-1]
    x = torch.randn(FCNN_BATCH, c, h, h, device="cuda", requires_grad=True)
    grid, neighbors = FCNN_GRIDS_2D[c]
    bases, projections = torch.randn(2, c, 3, 3, device="cuda"), torch.randn(2, c, c, device="cuda") / c
    weight = torch.randn(*grid, *neighbors, 1, 1, device="cuda")
    for strict in (False, True):  # the first pass compiles (Numba may warn about its own compilation)
        with warnings.catch_warnings():
            if strict:
                warnings.simplefilter("error")
            ops.single_basis_stack(x, bases, projections, backend="numba-cuda").sum().backward()
            ops.topological_conv(x, weight, grid, backend="numba-cuda").sum().backward()
            ops.basis_conv2d(x, torch.randn(c, 4, 3, 3, device="cuda"), torch.randn(c, c, 4, device="cuda"),
                             backend="numba-cuda").sum().backward()
