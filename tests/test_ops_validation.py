"""Bad input raises ValueError naming the argument and the expected shape; property tests over shapes."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from suite import ops
from suite.ops import cp_kernel, tucker_kernel

from ._helpers import dense_conv, f64, topology_dense_kernel

# ------------------------------------------------------------------ bad input
BAD = [
    ("basis_conv2d", lambda: ops.basis_conv2d(f64(2, 3, 5), f64(3, 2, 3, 3), f64(4, 3, 2)),
     r"x: expected shape \(N, m, H, W\)"),
    ("basis_conv2d", lambda: ops.basis_conv2d(f64(2, 3, 5, 5), f64(4, 2, 3, 3), f64(4, 3, 2)),
     r"bases: expected shape \(m, b, k, k\) with m = 3"),
    ("basis_conv2d", lambda: ops.basis_conv2d(f64(2, 3, 5, 5), f64(3, 2, 2, 2), f64(4, 3, 2)),
     r"bases: expected odd kernel"),
    ("basis_conv2d", lambda: ops.basis_conv2d(f64(2, 3, 5, 5), f64(3, 2, 3, 3), f64(4, 3, 3)),
     r"projection: expected shape \(n, m, b\) = \(n, 3, 2\)"),
    ("basis_conv2d", lambda: ops.basis_conv2d(f64(2, 3, 5, 5), f64(3, 2, 3, 3).float(), f64(4, 3, 2)),
     r"bases: expected dtype torch.float64"),
    ("basis_conv2d", lambda: ops.basis_conv2d(torch.ones(2, 3, 5, 5, dtype=torch.int64), f64(3, 2, 3, 3), f64(4, 3, 2)),
     r"x: expected a floating-point"),
    ("single_basis_stack", lambda: ops.single_basis_stack(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(2, 3, 4)),
     r"projections: expected shape \(b, m, m\) = \(2, 3, 3\)"),
    ("single_basis_stack", lambda: ops.single_basis_stack(f64(2, 3, 5, 5), f64(2, 3, 4, 4), f64(2, 3, 3)),
     r"bases: expected odd kernel"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 2, 2), f64(4, 4)),
     r"basis: expected odd kernel"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(3, 3, 3), f64(4, 4)),
     r"basis: expected shape \(m, k, k\) with m = 4"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 3, 3), f64(6, 3)),
     r"projection: expected shape \(n, m\) = \(n, 4\)"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 3, 3), f64(6, 4)),
     r"projection: expected .*residual=True"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 3, 3), f64(4, 4), bias2=f64(5)),
     r"bias2: expected shape \(4,\)"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 3, 3), f64(4, 4), bias1=f64(4).float()),
     r"bias1: expected dtype torch.float64"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 3, 3), f64(6, 4),
                                                         residual=f64(1, 4, 5, 5)),
     r"residual: expected shape \(N, n, H, W\) = \(1, 6, 5, 5\)"),
    ("single_basis_step", lambda: ops.single_basis_step(f64(1, 4, 5, 5), f64(4, 3, 3), f64(4, 4), residual="yes"),
     r"residual: expected True, False or a tensor"),
    ("topological_conv", lambda: ops.topological_conv(f64(2, 12, 5, 5), f64(3, 3, 2, 2, 1, 1), (3, 3)),
     r"grid: expected dims whose product equals the 12 channels"),
    ("topological_conv", lambda: ops.topological_conv(f64(2, 12, 5, 5), f64(3, 4, 2, 2, 1), (3, 4)),
     r"weight: expected \(\*grid, \*neighbors, k, k\)"),
    ("topological_conv", lambda: ops.topological_conv(f64(2, 12, 5, 5), f64(3, 4, 4, 2, 1, 1), (3, 4)),
     r"weight: .*1 <= c_i <= d_i"),
    ("topological_conv", lambda: ops.topological_conv(f64(2, 12, 5, 5), f64(3, 4, 2, 2, 2, 2), (3, 4)),
     r"weight: expected odd kernel"),
    ("topological_conv", lambda: ops.topological_conv(f64(2, 12, 5, 5), f64(3, 4, 2, 2, 1, 1), "3x4"),
     r"grid: expected"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3), f64(3, 4), [], f64(5, 4)), r"x: expected shape \(N, C, D_0"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3, 5, 5), f64(3, 4), [f64(3, 4)], f64(5, 4)),
     r"spatial: expected a list of 2 tensors"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3, 5, 5), f64(3, 4), [f64(3, 4), f64(3, 5)], f64(5, 4)),
     r"spatial\[1\]: expected shape \(K_1, R\) with R = 4"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3, 5, 5), f64(3, 4), [f64(3, 4), f64(4, 4)], f64(5, 4)),
     r"spatial\[1\]: expected odd kernel"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3, 5, 5), f64(2, 4), [f64(3, 4), f64(3, 4)], f64(5, 4)),
     r"channel_in: expected shape \(C, R\) with C = 3"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3, 5, 5), f64(3, 4), [f64(3, 4), f64(3, 4)], f64(5, 3)),
     r"channel_out: expected shape \(T, R\) with R = 4"),
    ("cp_conv", lambda: ops.cp_conv(f64(2, 3, 5, 5), f64(3, 4), f64(3, 4), f64(5, 4)), r"spatial: expected a list"),
    ("tucker_conv", lambda: ops.tucker_conv(f64(2, 3, 5, 5), f64(2, 4, 3, 3), f64(3, 2), f64(5, 2)),
     r"core: expected shape \(R_T, R_C, K_0..K_1\) with R_C = 2"),
    ("tucker_conv", lambda: ops.tucker_conv(f64(2, 3, 5, 5), f64(2, 2, 3, 2), f64(3, 2), f64(5, 2)),
     r"core: expected odd kernel"),
    ("tucker_conv", lambda: ops.tucker_conv(f64(2, 3, 5, 5), f64(2, 2, 3, 3), f64(3, 2), f64(5, 3)),
     r"channel_out: expected shape \(T, R_T\) with R_T = 2"),
    ("backend", lambda: ops.cp_conv(f64(2, 3, 5), f64(3, 4), [f64(3, 4)], f64(5, 4), backend="cuda"),
     r"backend: expected one of"),
]


@pytest.mark.parametrize("op,call,message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_value_error_naming_argument(op, call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ properties over shapes
odd = st.sampled_from([1, 3, 5])
SETTINGS = settings(max_examples=25, deadline=None)


@SETTINGS
@given(m=st.integers(1, 5), n=st.integers(1, 5), b=st.integers(1, 4), k=odd, h=st.integers(1, 7), w=st.integers(1, 7))
def test_property_basis_conv(m, n, b, k, h, w):
    x, bases, projection = f64(2, m, h, w), f64(m, b, k, k), f64(n, m, b)
    dense = torch.einsum("lji,jiuv->ljuv", projection, bases)
    torch.testing.assert_close(ops.basis_conv2d(x, bases, projection), dense_conv(x, dense), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(grid=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data(), k=odd)
def test_property_topological_conv(grid, data, k):
    neighbors = [data.draw(st.integers(1, d)) for d in grid]
    m = math.prod(grid)
    x, weight = f64(2, m, 4, 5), f64(*grid, *neighbors, k, k)
    torch.testing.assert_close(ops.topological_conv(x, weight, grid),
                               dense_conv(x, topology_dense_kernel(weight, grid)), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(ks=st.lists(odd, min_size=1, max_size=3), C=st.integers(1, 4), T=st.integers(1, 4), R=st.integers(1, 6))
def test_property_cp_and_tucker(ks, C, T, R):
    x = f64(2, C, *[4] * len(ks))
    ci, sp, co = f64(C, R), [f64(k, R) for k in ks], f64(T, R)
    torch.testing.assert_close(ops.cp_conv(x, ci, sp, co), dense_conv(x, cp_kernel(ci, sp, co)), rtol=1e-10, atol=1e-10)
    core, ti, to = f64(R, C, *ks), f64(C, C), f64(T, R)
    torch.testing.assert_close(ops.tucker_conv(x, core, ti, to), dense_conv(x, tucker_kernel(core, ti, to)),
                               rtol=1e-10, atol=1e-10)
