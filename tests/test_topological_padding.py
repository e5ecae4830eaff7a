"""FCNN Alg. 4 with an explicit zero padding and any kernel size (`suite.ops.topological_conv(..., padding=)`):
exact against the dense masked convolution in float64 on every CPU backend, gradients by gradcheck, and
Models G, H, J (Model A's k = 2 pairs) giving the dense emulation's outputs while running the op.

The numba-cuda kernels' padded cases run under the simulator in tests/test_cuda_fcnn.py (SIM_CASES)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from suite import models, ops
from suite.layers import PaddedTopologicalConv2d

from ._helpers import f64, topology_dense_kernel

GRIDS = [((6,), (3,)), ((2, 4), (1, 2)), ((2, 3, 2), (2, 1, 2))]  # 1-D, 2-D, 3-D channel grids
PADDINGS = [0, 1, (2, 1), (0, 1, 2, 1)]  # int, (pad_h, pad_w), (left, right, top, bottom)
BACKENDS = ["torch", "reconstructed", "numba"]


def _pads(padding):
    """(left, right, top, bottom), written out independently of `ops.topology_pads`."""
    if isinstance(padding, int):
        return (padding,) * 4
    if len(padding) == 2:
        return (padding[1], padding[1], padding[0], padding[0])
    return tuple(padding)


def dense_emulation(x, weight, grid, padding):
    """What Models G, H, J ran before: one dense conv with the masked (m, m, k, k) kernel."""
    return F.conv2d(F.pad(x, _pads(padding)), topology_dense_kernel(weight, grid))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("grid,neighbors", GRIDS, ids=["1d", "2d", "3d"])
def test_padded_topological_conv_equals_dense_emulation(grid, neighbors, k, padding, backend):
    """Forward and both gradients (against a random cotangent), float64, to rounding."""
    x = f64(2, math.prod(grid), 5, 6).requires_grad_()
    weight = f64(*grid, *neighbors, k, k).requires_grad_()
    ref = dense_emulation(x, weight, grid, padding)
    out = ops.topological_conv(x, weight, grid, padding=padding, backend=backend)
    left, right, top, bottom = _pads(padding)
    assert out.shape == (2, x.shape[1], 5 + top + bottom - k + 1, 6 + left + right - k + 1)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn_like(ref)
    for got, want in zip(torch.autograd.grad(out, (x, weight), g), torch.autograd.grad(ref, (x, weight), g)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_explicit_same_padding_is_the_same_op():
    """padding = k // 2 (odd k) is the 'same' contract, and the default is unchanged."""
    x, weight = f64(2, 8, 5, 5), f64(2, 4, 1, 2, 3, 3)
    same = ops.topological_conv(x, weight, (2, 4), backend="torch")
    torch.testing.assert_close(ops.topological_conv(x, weight, (2, 4), padding=1, backend="torch"), same)
    assert ops.topology_pads(1, 3) is None and ops.topology_pads("same", 3) is None
    assert ops.topology_pads(1, 2) == (1, 1, 1, 1) and ops.topology_pads((1, 0), 4) == (0, 0, 1, 1)


@pytest.mark.parametrize("backend", ["torch", "numba"])
@pytest.mark.parametrize("k,padding", [(2, 0), (2, (0, 1, 1, 0)), (4, (2, 1)), (3, (0, 2, 1, 0))])
def test_gradcheck_padded_topological_conv(backend, k, padding):
    x = f64(1, 8, 4, 5).requires_grad_()
    w = f64(2, 2, 2, 1, 2, 2, k, k).requires_grad_()
    assert gradcheck(lambda x, w: ops.topological_conv(x, w, (2, 2, 2), padding=padding, backend=backend), (x, w),
                     fast_mode=True)


@pytest.mark.parametrize("padding,match", [
    ("same", "odd kernel sizes"),  # k = 2 has no centred 'same' padding: the caller says which
    ("valid", "padding: expected 'same', an int"),
    (-1, "ints >= 0"),
    ((1, 2, 3), "ints >= 0"),
    (1.5, "ints >= 0"),
    ((True, 0), "ints >= 0"),
])
def test_bad_padding_is_one_clear_error(padding, match):
    with pytest.raises(ValueError, match=match):
        ops.topological_conv(f64(1, 8, 5, 5), f64(2, 4, 1, 2, 2, 2), (2, 4), padding=padding, backend="torch")


def test_padding_that_leaves_no_output_is_refused():
    with pytest.raises(ValueError, match=r"padding: expected a padding that leaves an output of at least 1×1"):
        ops.topological_conv(f64(1, 8, 3, 3), f64(2, 4, 1, 2, 4, 4), (2, 4), padding=0, backend="torch")


@pytest.mark.parametrize("backend", ["torch", "numba"])
@pytest.mark.parametrize("pad", [0, 1])
def test_layer_runs_the_op_and_matches_its_dense_form(backend, pad):
    layer = PaddedTopologicalConv2d((2, 4), (1, 2), kernel_size=2, padding=pad, backend=backend).double()
    x = f64(2, 8, 6, 5)
    torch.testing.assert_close(layer(x), layer.dense_forward(x), rtol=1e-12, atol=1e-12)
    assert list(layer.state_dict()) == ["weight"]  # the checkpoints' keys, as before the op took even k


def _dense_twin(model):
    """The same model (same parameters) with every topological conv run as the dense masked emulation."""
    for mod in model.modules():
        if isinstance(mod, PaddedTopologicalConv2d):
            mod.forward = mod.dense_forward
    return model


@pytest.mark.parametrize("backend", ["torch", "numba"])
@pytest.mark.parametrize("name", ["fcnn-g", "fcnn-h", "fcnn-j"])
def test_models_ghj_equal_their_dense_emulation(name, backend):
    """Float64 outputs of G, H, J (width 0.5: H's 3-D grid needs 64 channels; the smallest input) with the op
    equal those of the dense emulation they ran before, parameters and buffers shared."""
    model = models.build(name, num_classes=10, width=0.5, backend=backend).double().eval()
    x = torch.randn(2, *model.input_size[:1], model.min_input_size, model.min_input_size, dtype=torch.float64)
    topo = [m for m in model.modules() if isinstance(m, PaddedTopologicalConv2d)]
    assert len(topo) == 12 and all(m.kernel_size == 2 and m.backend == backend for m in topo)
    with torch.no_grad():
        new = model(x)
        old = _dense_twin(model)(x)  # the same instance: same parameters and BN statistics
    torch.testing.assert_close(new, old, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("N,size", [(1, (5, 6)), (3, (5, 6)), (3, (12, 11))], ids=["one-image", "batch-last", "rows"])
@pytest.mark.parametrize("k,padding", [(2, 0), (2, 1), (3, (0, 1, 2, 1)), (4, (2, 1))])
def test_numba_layouts_of_the_padded_planes(N, size, k, padding):
    """The Numba kernels run small padded planes batch last and larger ones (or one image) row by row: both
    against the dense emulation, forward and gradients."""
    grid, neighbors = (2, 4), (2, 3)
    x = f64(N, 8, *size).requires_grad_()
    weight = f64(*grid, *neighbors, k, k).requires_grad_()
    ref = dense_emulation(x, weight, grid, padding)
    out = ops.topological_conv(x, weight, grid, padding=padding, backend="numba")
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn_like(ref)
    for got, want in zip(torch.autograd.grad(out, (x, weight), g), torch.autograd.grad(ref, (x, weight), g)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k,padding", [(2, 0), (2, (0, 1, 2, 1)), (3, (2, 0))])
def test_plane_form_of_the_numba_topological_kernel(k, padding):
    """The backends' shared plane form (`_shared.padded_topological`: a padded or cropped plane and a kernel
    origin, what numba-cuda runs) on the Numba CPU Function: the same function as the dense emulation."""
    from suite.kernels import numba_cpu
    from suite.kernels._shared import padded_topological

    grid, neighbors = (2, 2, 2), (1, 2, 2)
    x = f64(2, 8, 5, 6).requires_grad_()
    weight = f64(*grid, *neighbors, k, k).requires_grad_()
    ref = dense_emulation(x, weight, grid, padding)
    out = padded_topological(numba_cpu.TopologicalConv, x, weight, grid, _pads(padding))
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn_like(ref)
    for got, want in zip(torch.autograd.grad(out, (x, weight), g), torch.autograd.grad(ref, (x, weight), g)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
