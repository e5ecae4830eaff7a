"""suite.ops against the papers' formulas, in float64, on fresh random inputs."""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from suite import ops
from suite.ops import cp_kernel, tucker_kernel

from ._helpers import (
    clear_of_relu_kink,
    dense_conv,
    f64,
    grouped_conv_along,
    naive_conv_nd,
    single_basis_step_definition,
    topology_dense_kernel,
)

TOL = dict(rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- FCNN Alg. 2
@pytest.mark.parametrize("k", [1, 3, 5])
def test_basis_conv_with_k2_bases_expresses_any_standard_conv(k):
    """Section 2.2: "When b = k², this layer is equivalent to the standard convolutional layer"."""
    m, n = 3, 4
    x, w = f64(2, m, 7, 6), f64(n, m, k, k)
    deltas = torch.eye(k * k, dtype=torch.float64).reshape(k * k, k, k)  # the k² one-hot bases
    bases = deltas.expand(m, k * k, k, k).contiguous()
    projection = w.reshape(n, m, k * k)  # projection[l, j, i] = W[l, j, u_i, v_i]
    torch.testing.assert_close(ops.basis_conv2d(x, bases, projection), dense_conv(x, w), **TOL)


@pytest.mark.parametrize("k,b", [(3, 9), (5, 25), (3, 2), (5, 1)])
def test_basis_conv_equals_dense_conv_of_its_kernel(k, b):
    m, n = 4, 5
    x, bases, projection = f64(2, m, 8, 9), f64(m, b, k, k), f64(n, m, b)
    w = torch.einsum("lji,jiuv->ljuv", projection, bases)
    torch.testing.assert_close(ops.basis_conv2d(x, bases, projection), dense_conv(x, w), **TOL)


# ---------------------------------------------------------------- FCNN Alg. 3
@pytest.mark.parametrize("b,k", [(1, 3), (3, 3), (2, 5)])
def test_single_basis_stack_equals_sequence_of_dense_residual_convs(b, k):
    m = 4
    x, bases, projections = f64(2, m, 6, 7), f64(b, m, k, k), f64(b, m, m)
    expected = x
    for i in range(b):  # Alg. 3 with the i-th step as a dense conv with kernel P_i[l, j] · K_i[j]
        w = torch.einsum("lj,juv->ljuv", projections[i], bases[i])
        expected = torch.relu(expected + dense_conv(expected, w))
    torch.testing.assert_close(ops.single_basis_stack(x, bases, projections), expected, **TOL)


@pytest.mark.parametrize("residual", [True, False, "tensor"])
def test_single_basis_step_reference(residual):
    m, n = 3, (3 if residual is True else 5)
    x, basis, proj, b1, b2, res = clear_of_relu_kink(lambda: (
        *(t.requires_grad_() for t in (f64(2, m, 4, 5), f64(m, 3, 3), f64(n, m), f64(m), f64(n))),
        f64(2, n, 4, 5).requires_grad_() if residual == "tensor" else residual))
    kw = dict(bias1=b1, bias2=b2, residual=res)
    got = ops.single_basis_step(x, basis, proj, **kw, backend="torch")
    torch.testing.assert_close(got, single_basis_step_definition(x, basis, proj, **kw), **TOL)
    leaves = (x, basis, proj, b1, b2) + ((res,) if residual == "tensor" else ())
    assert gradcheck(lambda x, basis, proj, b1, b2, *r: ops.single_basis_step(
        x, basis, proj, bias1=b1, bias2=b2, residual=r[0] if r else res, backend="torch"), leaves)


def test_single_basis_step_is_one_step_of_the_stack():
    x, basis, proj = f64(2, 4, 5, 5), f64(4, 3, 3), f64(4, 4)
    torch.testing.assert_close(ops.single_basis_step(x, basis, proj, backend="torch"),
                               ops.single_basis_stack(x, basis[None], proj[None], backend="torch"), **TOL)


# ---------------------------------------------------------------- FCNN Alg. 4
GRIDS = [((6,), (6,)), ((6,), (3,)), ((2, 4), (2, 4)), ((4, 4), (2, 2)), ((2, 3, 2), (2, 3, 2)), ((3, 2, 4), (2, 1, 3))]


@pytest.mark.parametrize("grid,neighbors", GRIDS)
@pytest.mark.parametrize("k", [1, 3])
def test_topological_conv_equals_masked_permuted_dense_conv(grid, neighbors, k):
    m = math.prod(grid)
    x, weight = f64(2, m, 5, 6), f64(*grid, *neighbors, k, k)
    dense = topology_dense_kernel(weight, grid)
    torch.testing.assert_close(ops.topological_conv(x, weight, grid), dense_conv(x, dense), **TOL)
    # Partial neighborhoods: exactly prod(neighbors) nonzero input channels per output channel.
    nonzero = (dense.abs().sum((-1, -2)) > 0).sum(1)
    assert (nonzero == math.prod(neighbors)).all()


def test_topological_conv_by_rolling_the_grid():
    """Alg. 4 literally: out[j] = Σ_i K[j, i] ⋆ x[(j + i) mod d] via torch.roll on the channel grid."""
    grid, neighbors, k = (3, 2, 2), (2, 2, 1), 3
    x, weight = f64(2, 12, 5, 5), f64(*grid, *neighbors, k, k)
    xg = x.reshape(2, *grid, 5, 5)
    expected = torch.zeros_like(xg)
    for i in itertools.product(*(range(c) for c in neighbors)):
        shifted = xg.roll(shifts=[-a for a in i], dims=(1, 2, 3)).reshape(2, 12, 5, 5)
        w = weight[(slice(None),) * 3 + i].reshape(12, 1, k, k)
        expected += F.conv2d(shifted, w, padding=1, groups=12).reshape_as(xg)
    torch.testing.assert_close(ops.topological_conv(x, weight, grid), expected.reshape(2, 12, 5, 5), **TOL)


# ---------------------------------------------------------------- HO-CP eq. 14, eq. 12
@pytest.mark.parametrize("ks", [(3,), (5,), (3, 5), (1, 3), (3, 3, 3), (3, 1, 5)])
def test_cp_conv_equals_dense_conv_of_cp_kernel(ks):
    C, T, R = 3, 4, 5
    x = f64(2, C, *[6 - i for i in range(len(ks))])
    ci, sp, co = f64(C, R), [f64(k, R) for k in ks], f64(T, R)
    torch.testing.assert_close(ops.cp_conv(x, ci, sp, co), dense_conv(x, cp_kernel(ci, sp, co)), **TOL)


@pytest.mark.parametrize("n, dim, k", [(1, 0, 3), (2, 1, 5), (3, 0, 3), (3, 2, 1), (3, 1, 7)])
def test_conv_along_is_torch_depthwise_conv(n, dim, k):
    """``conv_along`` (a shifted sum, the definition) equals torch's grouped conv with a (1, .., K, .., 1) kernel."""
    x, kernel = f64(2, 4, *[5 + i for i in range(n)]), f64(k, 4)
    torch.testing.assert_close(ops.conv_along(x, kernel, dim), grouped_conv_along(x, kernel, dim), **TOL)


def test_cp_kernel_is_eq14():
    ci, sp, co = f64(3, 2), [f64(3, 2), f64(5, 2)], f64(4, 2)
    w = cp_kernel(ci, sp, co)
    t, c, a, b = 3, 1, 2, 4
    assert torch.isclose(w[t, c, a, b], sum(co[t, r] * ci[c, r] * sp[0][a, r] * sp[1][b, r] for r in range(2)))


@pytest.mark.parametrize("ks", [(3, 1, 3, 3), (1, 3, 1, 3, 1)])
def test_cp_conv_four_and_five_dims(ks):
    C, T, R = 2, 3, 4
    x = f64(2, C, *([4, 3, 4, 3, 2][: len(ks)]))
    ci, sp, co = f64(C, R), [f64(k, R) for k in ks], f64(T, R)
    torch.testing.assert_close(ops.cp_conv(x, ci, sp, co), naive_conv_nd(x, cp_kernel(ci, sp, co)), **TOL)


def test_generic_nd_conv_matches_torch_conv3d():
    x, w = f64(2, 3, 4, 5, 6), f64(2, 3, 3, 1, 5)
    torch.testing.assert_close(ops.conv_nd(x, w, generic=True), dense_conv(x, w), **TOL)


@pytest.mark.parametrize("ks", [(3,), (3, 5), (3, 3, 3), (3, 1, 1, 3)])
def test_tucker_conv_equals_dense_conv_of_tucker_kernel(ks):
    C, T, RC, RT = 4, 3, 2, 3
    x = f64(2, C, *([5, 4, 6, 3][: len(ks)]))
    core, ci, co = f64(RT, RC, *ks), f64(C, RC), f64(T, RT)
    w = tucker_kernel(core, ci, co)
    expected = naive_conv_nd(x, w) if len(ks) > 3 else dense_conv(x, w)
    torch.testing.assert_close(ops.tucker_conv(x, core, ci, co), expected, **TOL)


# ---------------------------------------------------------------- HO-CP Section 2.5
def test_mobilenet_v1_block_is_cp_conv_with_merged_spatial_factor():
    """MobileNet-v1: depthwise k×k then 1×1 = eq. 13 with R = C, U^(C) = I, U^(S) the depthwise kernels,
    U^(T) the pointwise weights; with rank-1 depthwise kernels it is the separable cp_conv (eq. 14)."""
    C, T, k = 4, 6, 3
    x, dw, pw = f64(2, C, 7, 7), f64(C, 1, k, k), f64(T, C, 1, 1)
    block = F.conv2d(F.conv2d(x, dw, padding=1, groups=C), pw)
    u_s = dw[:, 0].permute(1, 2, 0)  # (k, k, R)
    w = torch.einsum("tr,cr,jir->tcji", pw[:, :, 0, 0], torch.eye(C, dtype=torch.float64), u_s)
    torch.testing.assert_close(block, dense_conv(x, w), **TOL)
    u_h, u_w = f64(k, C), f64(k, C)  # rank-1 depthwise kernels: the spatial factors un-merged
    dw1 = torch.einsum("jr,ir->rji", u_h, u_w).unsqueeze(1)
    block1 = F.conv2d(F.conv2d(x, dw1, padding=1, groups=C), pw)
    torch.testing.assert_close(block1, ops.cp_conv(x, torch.eye(C, dtype=torch.float64), [u_h, u_w], pw[:, :, 0, 0]),
                               **TOL)


def test_mobilenet_v2_block_is_cp_conv_with_merged_spatial_factor():
    """MobileNet-v2 (no nonlinearities): 1×1 expand to R, depthwise k×k, 1×1 project = eq. 13."""
    C, T, R, k = 3, 5, 12, 3
    x, expand, dw, project = f64(2, C, 6, 6), f64(R, C), f64(R, 1, k, k), f64(T, R)
    block = F.conv2d(F.conv2d(F.conv2d(x, expand[:, :, None, None]), dw, padding=1, groups=R),
                     project[:, :, None, None])
    w = torch.einsum("tr,cr,rji->tcji", project, expand.T, dw[:, 0])
    torch.testing.assert_close(block, dense_conv(x, w), **TOL)
    u_h, u_w = f64(k, R), f64(k, R)
    dw1 = torch.einsum("jr,ir->rji", u_h, u_w).unsqueeze(1)
    block1 = F.conv2d(F.conv2d(F.conv2d(x, expand[:, :, None, None]), dw1, padding=1, groups=R),
                      project[:, :, None, None])
    torch.testing.assert_close(block1, ops.cp_conv(x, expand.T.contiguous(), [u_h, u_w], project), **TOL)


# ---------------------------------------------------------------- gradients
def _req(*ts):
    return [t.requires_grad_() for t in ts]


def test_gradcheck_basis_conv2d():
    assert gradcheck(lambda *a: ops.basis_conv2d(*a, backend="torch"),
                     _req(f64(1, 2, 3, 4), f64(2, 2, 3, 3), f64(2, 2, 2)))


def test_gradcheck_single_basis_stack():
    assert gradcheck(lambda *a: ops.single_basis_stack(*a, backend="torch"),
                     _req(f64(1, 2, 4, 3), f64(2, 2, 3, 3), f64(2, 2, 2)))


def test_gradcheck_topological_conv():
    x, w = _req(f64(1, 8, 3, 3), f64(2, 2, 2, 1, 2, 2, 3, 3))
    assert gradcheck(lambda x, w: ops.topological_conv(x, w, (2, 2, 2), backend="torch"), (x, w), fast_mode=True)


@pytest.mark.parametrize("ks", [(3,), (3, 1), (3, 1, 3), (1, 3, 1, 3)])
def test_gradcheck_cp_conv(ks):
    x = f64(1, 2, *([4, 3, 2, 2][: len(ks)]))
    args = _req(x, f64(2, 2), *[f64(k, 2) for k in ks], f64(2, 2))
    def fn(x, ci, *rest):
        return ops.cp_conv(x, ci, list(rest[:-1]), rest[-1], backend="torch")

    assert gradcheck(fn, args, fast_mode=len(ks) > 3)


@pytest.mark.parametrize("ks", [(3,), (3, 3), (1, 3, 1, 3)])
def test_gradcheck_tucker_conv(ks):
    x = f64(1, 2, *([4, 3, 2, 2][: len(ks)]))
    args = _req(x, f64(2, 2, *ks), f64(2, 2), f64(2, 2))
    assert gradcheck(lambda *a: ops.tucker_conv(*a, backend="torch"), args, fast_mode=len(ks) > 3)


def test_use_backend_forces_every_call_and_restores(monkeypatch):
    """`use_backend` overrides the backend a call or layer names, inside the block only."""
    from suite.ops import registry

    calls = []
    reference = registry.implementations("cp_conv")["torch"].fn
    monkeypatch.setattr(registry, "_TABLE", {op: dict(impls) for op, impls in registry._TABLE.items()})
    registry.register("cp_conv", "torch", dtypes=None)(lambda *a: calls.append("torch") or reference(*a))
    x, u_in, spatial, u_out = f64(1, 2, 5), f64(2, 3), [f64(3, 3)], f64(2, 3)
    with ops.use_backend("torch"):
        ops.cp_conv(x, u_in, spatial, u_out, backend="numba")
    assert calls == ["torch"]
    with pytest.raises(ValueError, match="backend: expected one of"):
        with ops.use_backend("gpu"):
            pass
    assert registry._forced.get() is None


def test_registry_knows_every_op_and_rejects_a_missing_kernel():
    from suite.ops import registry

    for op in ("basis_conv2d", "single_basis_stack", "single_basis_step", "topological_conv", "cp_conv", "tucker_conv"):
        assert "torch" in registry.implementations(op)
    with pytest.raises(NotImplementedError, match="no kernel for tucker_conv"):
        ops.tucker_conv(f64(1, 2, 5), f64(2, 2, 3), f64(2, 2), f64(3, 2), backend="numba")
