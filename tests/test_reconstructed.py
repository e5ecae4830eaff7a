"""backend="reconstructed" (suite/ops/reconstructed.py): each op as one dense conv on the rebuilt kernel equals
the torch reference (float64 and float32, every input gradient), passes gradcheck, and is measured by `auto`
(also under autocast) without ever being its fixed choice."""
from __future__ import annotations

import pytest
import torch

from suite import ops
from suite.ops import registry

TOL = {torch.float64: 1e-9, torch.float32: 2e-4}


def _r(gen, dtype, *shape):
    return torch.randn(*shape, generator=gen, dtype=dtype).requires_grad_()


def _cp_3d(g, d):
    spatial = [_r(g, d, 3, 6), _r(g, d, 5, 6), _r(g, d, 1, 6)]
    return ops.cp_conv, [_r(g, d, 2, 3, 5, 4, 6), _r(g, d, 3, 6), spatial, _r(g, d, 4, 6)], {}


def _cp_4d(g, d):
    spatial = [_r(g, d, 3, 3), _r(g, d, 1, 3), _r(g, d, 3, 3), _r(g, d, 1, 3)]
    return ops.cp_conv, [_r(g, d, 1, 2, 3, 4, 3, 2), _r(g, d, 2, 3), spatial, _r(g, d, 3, 3)], {}


def _tucker_2d(g, d):
    return ops.tucker_conv, [_r(g, d, 2, 4, 6, 5), _r(g, d, 3, 2, 3, 5), _r(g, d, 4, 2), _r(g, d, 5, 3)], {}


def _basis(g, d):
    return ops.basis_conv2d, [_r(g, d, 2, 6, 9, 8), _r(g, d, 6, 3, 3, 3), _r(g, d, 7, 6, 3)], {}


def _stack(g, d):
    return ops.single_basis_stack, [_r(g, d, 2, 5, 6, 5), _r(g, d, 2, 5, 3, 3), _r(g, d, 2, 5, 5) / 3], {}


def _step_res_tensor(g, d):
    kwargs = {"bias1": _r(g, d, 4), "bias2": _r(g, d, 6), "residual": _r(g, d, 2, 6, 5, 6)}
    return ops.single_basis_step, [_r(g, d, 2, 4, 5, 6), _r(g, d, 4, 5, 5), _r(g, d, 6, 4)], kwargs


def _step_identity(g, d):
    return ops.single_basis_step, [_r(g, d, 2, 4, 5, 6), _r(g, d, 4, 3, 3), _r(g, d, 4, 4)], {"bias2": _r(g, d, 4)}


def _topo_3d_grid(g, d):
    return ops.topological_conv, [_r(g, d, 2, 12, 5, 6), _r(g, d, 2, 3, 2, 2, 2, 1, 3, 3)], {"grid": (2, 3, 2)}


CASES = {
    "cp_3d": _cp_3d,
    "cp_4d": _cp_4d,
    "tucker_2d": _tucker_2d,
    "basis_conv2d": _basis,
    "single_basis_stack": _stack,
    "single_basis_step_res_tensor": _step_res_tensor,
    "single_basis_step_identity": _step_identity,
    "topological_3d_grid": _topo_3d_grid,
}


def _leaves(args, kwargs):
    flat = [t for a in args for t in (a if isinstance(a, list) else [a])]
    return flat + [v for v in kwargs.values() if isinstance(v, torch.Tensor)]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(CASES))
def test_reconstructed_matches_reference(name, dtype):
    gen = torch.Generator().manual_seed(torch.initial_seed())
    op, args, kwargs = CASES[name](gen, dtype)
    ref = op(*args, **kwargs, backend="torch")
    got = op(*args, **kwargs, backend="reconstructed")
    torch.testing.assert_close(got, ref, rtol=TOL[dtype], atol=TOL[dtype] * (1 + ref.abs().max().item()))
    w = torch.randn(ref.shape, generator=gen, dtype=dtype)
    leaves = _leaves(args, kwargs)
    for a, b in zip(torch.autograd.grad((ref * w).sum(), leaves), torch.autograd.grad((got * w).sum(), leaves)):
        torch.testing.assert_close(b, a, rtol=TOL[dtype], atol=TOL[dtype] * (1 + a.abs().max().item()))


@pytest.mark.parametrize("name", ["cp_3d", "tucker_2d", "basis_conv2d", "single_basis_step_res_tensor",
                                  "topological_3d_grid"])
def test_reconstructed_gradcheck(name):
    gen = torch.Generator().manual_seed(torch.initial_seed())
    op, args, kwargs = CASES[name](gen, torch.float64)
    leaves = _leaves(args, kwargs)
    n_args = len(_leaves(args, {}))

    def fn(*flat):
        it = iter(flat[:n_args])
        rebuilt = [[next(it) for _ in a] if isinstance(a, list) else next(it) for a in args]
        kw = dict(kwargs)
        extra = iter(flat[n_args:])
        for k, v in kwargs.items():
            if isinstance(v, torch.Tensor):
                kw[k] = next(extra)
        return op(*rebuilt, **kw, backend="reconstructed")

    assert torch.autograd.gradcheck(fn, tuple(leaves), eps=1e-6, atol=1e-7)


def test_auto_measures_reconstructed_also_under_autocast_but_never_picks_it_fixed():
    x = torch.randn(1, 2, 4, 5, 6)
    assert "reconstructed" in registry.auto_candidates("cp_conv", x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert set(registry.auto_candidates("cp_conv", x)) == {"torch", "reconstructed"}
    assert registry.auto_backend("cp_conv", x) != "reconstructed"
    assert registry.auto_backend("tucker_conv", x) == "torch"  # no kernel: the reference, not the rebuild


def test_reconstructed_follows_autocast_like_the_reference():
    gen = torch.Generator().manual_seed(torch.initial_seed())
    op, args, kwargs = CASES["cp_3d"](gen, torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref = op(*args, backend="torch")
        got = op(*args, backend="reconstructed")
    assert got.dtype == ref.dtype == torch.bfloat16


def test_reconstructed_is_a_public_backend_value():
    assert "reconstructed" in ops.BACKENDS
    with pytest.raises(ValueError, match="backend"):
        ops.cp_conv(*CASES["cp_3d"](torch.Generator(), torch.float64)[1], backend="rebuilt")
