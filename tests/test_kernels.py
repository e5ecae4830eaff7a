"""The Numba kernels (suite.kernels) against the pure-torch references in suite.ops.

Every case draws fresh random inputs (the seed is printed in failure messages) and compares forward
outputs and all input gradients: float64 to 1e-9 relative to the output scale, float32 to 2e-4
(stated tolerance of the float32 kernels, which accumulate in float32), plus torch.autograd.gradcheck
in float64 on tiny shapes. Shapes deliberately include what the benchmarks never use: 3-D topology
grids with k×k kernels, 1-D and 4-D CP convolutions, mixed kernel sizes, remainders of the 4×32 GEMM
micro-tiles.

CUDA kernels run under Numba's simulator: `test_cuda_kernels_under_simulator` starts a fresh
interpreter with NUMBA_ENABLE_CUDASIM=1 (it must be set before numba is imported) that runs the
`cudasim`-marked tests of this file.
"""
from __future__ import annotations

import pytest
import torch

from suite import ops
from suite.kernels import cudasim
from suite.ops import auto_backend

from ._cudasim import run_cudasim_tests
from ._helpers import clear_of_relu_kink, single_basis_step_definition

SIM = cudasim()


def _seed() -> int:
    """The test's seed (tests/conftest.py seeds torch from SUITE_SEED for every test)."""
    return torch.initial_seed()


def _rand(gen, dtype, *shape):
    return torch.randn(*shape, generator=gen, dtype=dtype).requires_grad_()


# Each case: name -> builder(gen, dtype) returning (op, tensors-or-lists positional args, extra args).
def _single_basis(gen, dt):
    return ops.single_basis_stack, [_rand(gen, dt, 2, 9, 7, 11), _rand(gen, dt, 2, 9, 3, 3),
                                    _rand(gen, dt, 2, 9, 9) / 3]


def _single_basis_k5(gen, dt):
    return ops.single_basis_stack, [_rand(gen, dt, 3, 5, 6, 5), _rand(gen, dt, 1, 5, 5, 5), _rand(gen, dt, 1, 5, 5) / 2]


def _single_basis_panels(gen, dt):
    """Many images with small maps: the forward batches several images into one GEMM panel."""
    return ops.single_basis_stack, [_rand(gen, dt, 11, 6, 3, 4), _rand(gen, dt, 2, 6, 3, 3),
                                    _rand(gen, dt, 2, 6, 6) / 3]


def _single_basis_many_panels(gen, dt):
    """Each chunk of images holds several panels of unequal split (40 images of 4×4: 256/16 = 16 per panel)."""
    return ops.single_basis_stack, [_rand(gen, dt, 40, 3, 4, 4), _rand(gen, dt, 1, 3, 3, 3),
                                    _rand(gen, dt, 1, 3, 3) / 2]


def _basis(gen, dt):
    return ops.basis_conv2d, [_rand(gen, dt, 2, 6, 9, 8), _rand(gen, dt, 6, 3, 3, 3), _rand(gen, dt, 7, 6, 3)]


def _basis_k5(gen, dt):
    return ops.basis_conv2d, [_rand(gen, dt, 1, 3, 5, 7), _rand(gen, dt, 3, 2, 5, 5), _rand(gen, dt, 5, 3, 2)]


def _topo_2d_1x1(gen, dt):
    return ops.topological_conv, [_rand(gen, dt, 2, 24, 7, 9), _rand(gen, dt, 4, 6, 2, 3, 1, 1)], {"grid": (4, 6)}


def _topo_3d_3x3(gen, dt):
    return (ops.topological_conv, [_rand(gen, dt, 2, 12, 5, 6), _rand(gen, dt, 2, 3, 2, 2, 2, 1, 3, 3)],
            {"grid": (2, 3, 2)})


def _topo_1d_1x1(gen, dt):
    return ops.topological_conv, [_rand(gen, dt, 3, 7, 4, 4), _rand(gen, dt, 7, 3, 1, 1)], {"grid": (7,)}


def _cp_3d(gen, dt):
    R = 6
    spatial = [_rand(gen, dt, 3, R), _rand(gen, dt, 5, R), _rand(gen, dt, 1, R)]
    return ops.cp_conv, [_rand(gen, dt, 2, 3, 5, 4, 6), _rand(gen, dt, 3, R), spatial, _rand(gen, dt, 4, R)]


def _cp_4d(gen, dt):
    R = 5
    spatial = [_rand(gen, dt, 3, R), _rand(gen, dt, 3, R), _rand(gen, dt, 1, R), _rand(gen, dt, 3, R)]
    return ops.cp_conv, [_rand(gen, dt, 2, 3, 3, 4, 3, 2), _rand(gen, dt, 3, R), spatial, _rand(gen, dt, 4, R)]


def _cp_1d(gen, dt):
    R = 7
    return ops.cp_conv, [_rand(gen, dt, 2, 3, 9), _rand(gen, dt, 3, R), [_rand(gen, dt, 5, R)], _rand(gen, dt, 4, R)]


CASES = {
    "single_basis_3x3": _single_basis,
    "single_basis_5x5": _single_basis_k5,
    "single_basis_panels": _single_basis_panels,
    "single_basis_many_panels": _single_basis_many_panels,
    "basis_conv2d_3x3": _basis,
    "basis_conv2d_5x5": _basis_k5,
    "topological_2d_1x1": _topo_2d_1x1,
    "topological_3d_3x3": _topo_3d_3x3,
    "topological_1d_1x1": _topo_1d_1x1,
    "cp_3d_mixed_k": _cp_3d,
    "cp_4d": _cp_4d,
    "cp_1d": _cp_1d,
}
TOL = {torch.float64: 1e-9, torch.float32: 2e-4}


def _build(name, dtype, seed, cases=CASES):
    gen = torch.Generator().manual_seed(seed)
    built = cases[name](gen, dtype)
    op, args = built[0], built[1]
    kwargs = built[2] if len(built) > 2 else {}
    leaves = [t for a in args for t in (a if isinstance(a, list) else [a])]
    return op, args, kwargs, leaves, gen


def _compare(name, dtype, backend, cases=CASES):
    seed = _seed()
    op, args, kwargs, leaves, gen = _build(name, dtype, seed, cases)
    ref = op(*args, **kwargs, backend="torch")
    got = op(*args, **kwargs, backend=backend)
    scale = 1.0 + ref.abs().max().item()
    tol = TOL[dtype] * scale
    assert got.shape == ref.shape and got.dtype == ref.dtype
    err = (got - ref).abs().max().item()
    assert err <= tol, f"{name} {dtype} forward: max error {err:.3g} > {tol:.3g} (seed {seed})"
    w = torch.randn(ref.shape, generator=gen, dtype=dtype)
    g_ref = torch.autograd.grad((ref * w).sum(), leaves)
    g_got = torch.autograd.grad((got * w).sum(), leaves)
    for i, (a, b) in enumerate(zip(g_ref, g_got)):
        gtol = TOL[dtype] * (1.0 + a.abs().max().item())
        gerr = (a - b).abs().max().item()
        assert gerr <= gtol, f"{name} {dtype} grad of argument {i}: max error {gerr:.3g} > {gtol:.3g} (seed {seed})"


# ---------------------------------------------------------------- Numba CPU
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(CASES))
def test_cpu_matches_reference(name, dtype):
    _compare(name, dtype, "numba")


# gradcheck differentiates numerically through every input element: tiny shapes only.
TINY = {
    "single_basis": lambda g, dt: (ops.single_basis_stack, [_rand(g, dt, 1, 3, 3, 4), _rand(g, dt, 2, 3, 3, 3),
                                                            _rand(g, dt, 2, 3, 3)]),
    "basis_conv2d": lambda g, dt: (ops.basis_conv2d, [_rand(g, dt, 1, 2, 4, 3), _rand(g, dt, 2, 2, 3, 3),
                                                      _rand(g, dt, 3, 2, 2)]),
    "topological_3d": lambda g, dt: (ops.topological_conv, [_rand(g, dt, 1, 8, 3, 3),
                                                             _rand(g, dt, 2, 2, 2, 2, 1, 2, 3, 3)],
                                     {"grid": (2, 2, 2)}),
    "cp_4d": lambda g, dt: (ops.cp_conv, [_rand(g, dt, 1, 2, 3, 2, 3, 2), _rand(g, dt, 2, 3),
                                          [_rand(g, dt, 3, 3), _rand(g, dt, 1, 3), _rand(g, dt, 3, 3),
                                           _rand(g, dt, 1, 3)],
                                          _rand(g, dt, 2, 3)]),
}


@pytest.mark.parametrize("name", list(TINY))
def test_cpu_gradcheck(name):
    seed = _seed()
    op, args, kwargs, leaves, _ = _build(name, torch.float64, seed, TINY)

    def f(*flat):
        it = iter(flat)
        rebuilt = [[next(it) for _ in a] if isinstance(a, list) else next(it) for a in args]
        return op(*rebuilt, **kwargs, backend="numba")

    assert torch.autograd.gradcheck(f, tuple(leaves), eps=1e-6, atol=1e-6), f"seed {seed}"


def test_cpu_channels_last_and_views_give_the_same_answer():
    gen = torch.Generator().manual_seed(_seed())
    x = torch.randn(2, 8, 6, 6, generator=gen, dtype=torch.float64)
    bases, proj = torch.randn(1, 8, 3, 3, dtype=torch.float64), torch.randn(1, 8, 8, dtype=torch.float64)
    ref = ops.single_basis_stack(x, bases, proj, backend="torch")
    got = ops.single_basis_stack(x.contiguous(memory_format=torch.channels_last), bases, proj, backend="numba")
    torch.testing.assert_close(got, ref)
    wide = torch.randn(2, 8, 6, 12, dtype=torch.float64)[..., ::2]  # a strided view
    torch.testing.assert_close(ops.single_basis_stack(wide, bases, proj, backend="numba"),
                               ops.single_basis_stack(wide, bases, proj, backend="torch"))


def _step_args(gen, m, n, residual, shape=(2, 3, 4)):
    """x, basis, projection and the step's keyword arguments (float64, requires_grad)."""
    f = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64, requires_grad=True)  # noqa: E731
    x, basis, proj, b1, b2 = f(shape[0], m, *shape[1:]), f(m, 3, 3), f(n, m), f(m), f(n)
    if residual == "tensor":  # Model L's pair: the skip comes from the pair's input, n != m
        residual = f(shape[0], n, *shape[1:])
    return x, basis, proj, b1, b2, residual


def _check_step(backend, m, n, residual, fast=False):
    gen = torch.Generator().manual_seed(_seed())
    x, basis, proj, b1, b2, residual = clear_of_relu_kink(lambda: _step_args(gen, m, n, residual))
    kw = dict(bias1=b1, bias2=b2, residual=residual)
    got = ops.single_basis_step(x, basis, proj, **kw, backend=backend)
    torch.testing.assert_close(got, single_basis_step_definition(x, basis, proj, **kw))
    leaves = (x, basis, proj, b1, b2) + ((residual,) if isinstance(residual, torch.Tensor) else ())

    def f(x, basis, proj, b1, b2, *res):
        return ops.single_basis_step(x, basis, proj, bias1=b1, bias2=b2, residual=res[0] if res else residual,
                                     backend=backend)

    assert torch.autograd.gradcheck(f, leaves, fast_mode=fast)
    no_bias = ops.single_basis_step(x, basis, proj, residual=residual, backend=backend)
    torch.testing.assert_close(no_bias, single_basis_step_definition(x, basis, proj, residual=residual))


@pytest.mark.parametrize("residual", [True, False, "tensor"])
def test_cpu_single_basis_step(residual):
    _check_step("numba", 3, 3 if residual is True else 5, residual)


def test_cpu_unsupported_dtype_is_a_clear_error_and_auto_falls_back():
    x = torch.randn(1, 4, 5, 5, dtype=torch.float16)
    bases, proj = torch.randn(4, 2, 3, 3, dtype=torch.float16), torch.randn(3, 4, 2, dtype=torch.float16)
    with pytest.raises(ValueError, match="float32 or float64"):
        ops.basis_conv2d(x, bases, proj, backend="numba")
    assert auto_backend("basis_conv2d", x) == "torch"
    assert auto_backend("basis_conv2d", x.float()) == "torch"  # measured slower than torch in training
    assert auto_backend("single_basis_stack", x.float()) == "numba"
    assert auto_backend("tucker_conv", x.float()) == "torch"


def test_cuda_backend_rejects_cpu_tensors_without_simulator():
    if SIM:
        pytest.skip("the simulator accepts CPU tensors")
    x = torch.randn(1, 4, 5, 5)
    with pytest.raises(ValueError, match="numba-cuda"):
        ops.basis_conv2d(x, torch.randn(4, 2, 3, 3), torch.randn(3, 4, 2), backend="numba-cuda")


# ---------------------------------------------------------------- Numba CUDA (simulator)
# The simulator runs every CUDA thread as a Python thread: the tiny shapes of TINY, float64 and float32.
@pytest.mark.cudasim
@pytest.mark.skipif(not SIM,
                    reason="runs in the NUMBA_ENABLE_CUDASIM=1 subprocess of test_cuda_kernels_under_simulator")
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(TINY))
def test_cudasim_matches_reference(name, dtype):
    _compare(name, dtype, "numba-cuda", TINY)


@pytest.mark.cudasim
@pytest.mark.skipif(not SIM,
                    reason="runs in the NUMBA_ENABLE_CUDASIM=1 subprocess of test_cuda_kernels_under_simulator")
@pytest.mark.parametrize("residual", [True, "tensor"])
def test_cudasim_single_basis_step(residual):
    _check_step("numba-cuda", 2, 2 if residual is True else 3, residual, fast=True)


def test_cuda_kernels_under_simulator():
    """Run the cudasim tests above in a fresh interpreter with NUMBA_ENABLE_CUDASIM=1."""
    run_cudasim_tests(__file__, timeout=900)


@pytest.mark.parametrize("h,w,k", [(2, 1, 5), (1, 2, 5), (1, 1, 3), (3, 2, 5), (4, 1, 3)])
def test_cpu_kernels_with_kernel_wider_than_the_map(h, w, k):
    """Regression: a column shift |c| >= W wrapped into the previous row (found by the hypothesis test)."""
    f = lambda *s: torch.randn(*s, dtype=torch.float64)  # noqa: E731
    x, bases, proj = f(2, 3, h, w), f(3, 2, k, k), f(4, 3, 2)
    torch.testing.assert_close(ops.basis_conv2d(x, bases, proj, backend="numba"),
                               ops.basis_conv2d(x, bases, proj, backend="torch"), rtol=1e-9, atol=1e-9)
    sb, sp = f(2, 3, k, k), f(2, 3, 3)
    torch.testing.assert_close(ops.single_basis_stack(x, sb, sp, backend="numba"),
                               ops.single_basis_stack(x, sb, sp, backend="torch"), rtol=1e-9, atol=1e-9)


def test_warm_compiles_every_numba_kernel():
    """`python -m suite.kernels` (the cache warm-up) runs every registered CPU kernel forward and backward."""
    from suite.kernels.__main__ import warm
    from suite.ops import registry

    costs = warm([torch.float64])
    assert {name.split()[0] for name in costs} == set(registry.ops_with("numba"))
    assert all(seconds >= 0 for seconds in costs.values())
