"""FCNN models: registry, shapes (Table 1's output sizes), Table 3 grids, the even-k topological conv."""
import math

import pytest
import torch
import torch.nn.functional as F

from suite import models, ops
from suite.layers import PaddedTopologicalConv2d
from suite.models import fcnn
from suite.paper_values import FCNN_TABLE3

FCNN = [n for n in models.names() if n.startswith("fcnn-")]


def test_registry_lists_every_fcnn_model():
    expected = {f"fcnn-{x}" for x in "abcdefghijkl"} | {"fcnn-a0"}
    assert expected <= set(models.names())


def test_unknown_name_and_override_raise_valueerror():
    with pytest.raises(ValueError, match="unknown model 'fcnn-z'.*fcnn-a"):
        models.build("fcnn-z")
    with pytest.raises(ValueError, match="unknown depth"):
        models.build("fcnn-a", depth=3)
    with pytest.raises(ValueError, match="num_classes"):
        models.build("fcnn-a", num_classes=0)
    with pytest.raises(ValueError, match="width"):
        models.build("fcnn-b", width=-1)
    with pytest.raises(ValueError, match="input_size"):
        models.build("fcnn-a", input_size=(3, 60, 60))


def test_backend_is_honoured_or_rejected():
    """Builders with kernel-backed layers pass `backend` on; the others reject a kernel backend."""
    for name in ("fcnn-a", "fcnn-b", "fcnn-i", "resnet18", "convnet3d"):
        with pytest.raises(ValueError, match="backend: this model has no layers with kernels"):
            models.build(name, backend="numba")
    for name in ("fcnn-c", "fcnn-e", "fcnn-g", "fcnn-k", "fcnn-l"):
        model = models.build(name, width=0.25, backend="numba")
        backends = {m.backend for m in model.modules() if hasattr(m, "backend")}
        assert backends == {"numba"}, (name, backends)


@pytest.mark.parametrize("name", FCNN)
def test_paper_size_forward(name):
    model = models.build(name, backend="torch").eval()  # kernels (and their JIT time) are tested elsewhere
    assert model.num_classes == 1000
    expected_input = (3, 150, 150) if name in ("fcnn-a0", "fcnn-g", "fcnn-h", "fcnn-i") else (3, 221, 221)
    assert model.input_size == expected_input
    with torch.no_grad():
        y = model(torch.randn(1, *model.input_size))
    assert y.shape == (1, 1000) and torch.isfinite(y).all()


def test_table1_output_sizes():
    """Table 1: conv1 108², conv2_x 36², conv3_x 18², conv4_x 6² for a 221×221 input."""
    sizes = {}
    model = models.build("fcnn-a").eval()
    for name in ("conv1", "conv2_x", "conv3_x", "conv4_x"):
        getattr(model, name).register_forward_hook(lambda m, i, o, name=name: sizes.__setitem__(name, o.shape[-1]))
    with torch.no_grad():
        model(torch.randn(1, 3, 221, 221))
    assert sizes == {"conv1": 108, "conv2_x": 36, "conv3_x": 18, "conv4_x": 6}


@pytest.mark.parametrize("name", ["fcnn-a", "fcnn-e", "fcnn-g", "fcnn-k", "fcnn-l"])
def test_local_profile_overrides(name):
    """What the training helper builds: 10 classes, 1 channel, reduced width, small input."""
    model = models.build(name, num_classes=10, in_channels=1, width=0.25, input_size=77, dropout=0.0, backend="torch")
    assert model.input_size == (1, 77, 77) and model.num_classes == 10
    y = model(torch.randn(2, 1, 77, 77))
    assert y.shape == (2, 10)
    y.sum().backward()


def test_min_input_size_is_exact():
    for name, smallest in (("fcnn-a", 77), ("fcnn-b", 41)):
        model = models.build(name, input_size=smallest).eval()
        with torch.no_grad():
            model(torch.randn(1, 3, smallest, smallest))
        with pytest.raises(ValueError, match=f">= {smallest}"):
            model(torch.randn(1, 3, smallest - 1, smallest - 1))


def test_table3_grids():
    for row in FCNN_TABLE3.values():  # the width rules reproduce the paper's grids
        m = row.channels
        assert fcnn.grid_2d(m) == (row.d2, row.c2) and math.prod(row.d2) == m and math.prod(row.c2) * 4 == m
        assert fcnn.grid_3d(m) == (row.d3, row.c3)
        assert math.prod(row.d3) == m and abs(m / math.prod(row.c3) - 4.27) < 0.01
    with pytest.raises(ValueError, match="64 channels"):
        fcnn.grid_3d(32)
    with pytest.raises(ValueError, match="power-of-two"):
        fcnn.grid_2d(96)


def _alg4_loop(x, weight, grid, padding):
    """FCNN Alg. 4 written as its loops over output channels and neighbors (any k, explicit padding)."""
    s = len(grid)
    neighbors = weight.shape[s : 2 * s]
    m = math.prod(grid)
    xp = F.pad(x, (padding,) * 4)
    k = weight.shape[-1]
    h, w = xp.shape[-2] - k + 1, xp.shape[-1] - k + 1
    out = x.new_zeros(x.shape[0], m, h, w)
    for j in range(m):
        jj = torch.unravel_index(torch.tensor(j), grid)
        for i in range(math.prod(neighbors)):
            ii = torch.unravel_index(torch.tensor(i), tuple(neighbors))
            src = [(int(a) + int(b)) % d for a, b, d in zip(jj, ii, grid)]
            src_flat = int(torch.tensor(src) @ torch.tensor([math.prod(grid[t + 1 :]) for t in range(s)]))
            kern = weight[tuple(int(a) for a in jj) + tuple(int(b) for b in ii)]
            for u in range(k):
                for v in range(k):
                    out[:, j] += kern[u, v] * xp[:, src_flat, u : u + h, v : v + w]
    return out


@pytest.mark.parametrize("grid,neighbors,k,pad", [((2, 4), (1, 2), 2, 0), ((2, 4), (2, 3), 2, 1),
                                                  ((2, 2, 2), (1, 2, 2), 2, 1)])
def test_padded_topological_conv_is_alg4(grid, neighbors, k, pad):
    layer = PaddedTopologicalConv2d(grid, neighbors, kernel_size=k, padding=pad).double()
    x = torch.randn(2, math.prod(grid), 5, 6, dtype=torch.float64)
    torch.testing.assert_close(layer(x), _alg4_loop(x, layer.weight, grid, pad))
    out = layer(x).shape[-2:]
    assert layer.macs((5, 6)) == out[0] * out[1] * math.prod(grid) * math.prod(neighbors) * k * k


def test_padded_topological_conv_matches_ops_for_odd_k():
    layer = PaddedTopologicalConv2d((4, 4), (2, 2), kernel_size=3, padding=1).double()
    x = torch.randn(2, 16, 7, 7, dtype=torch.float64)
    torch.testing.assert_close(layer(x), ops.topological_conv(x, layer.weight, (4, 4), backend="torch"))


@pytest.mark.parametrize("name", ["fcnn-a", "fcnn-b", "fcnn-c", "fcnn-e", "fcnn-e-no-residual", "fcnn-g", "fcnn-k",
                                  "fcnn-l", "fcnn-l-layer-residual"])
def test_zero_init_residual_makes_every_residual_unit_the_identity(name):
    """With ``zero_init_residual=True`` every unit that adds a residual returns relu(its shortcut) at init,
    the branch's own BatchNorm scales (and nothing else) are 0; a unit without a residual is untouched."""
    from suite.layers import ResidualBlock, SingleBasisConv2d, SingleBasisPair
    if name not in models.names():
        pytest.skip(f"{name} is not registered")
    torch.manual_seed(0)
    base = models.build(name, width=0.125, num_classes=10)
    torch.manual_seed(0)
    model = models.build(name, width=0.125, num_classes=10, zero_init_residual=True).eval()
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, base.state_dict()[k])}
    assert all(k.endswith(".weight") and ("norms." in k or "bn2" in k) for k in changed), changed
    units = [m for m in model.modules() if isinstance(m, (ResidualBlock, SingleBasisPair))
             or (isinstance(m, SingleBasisConv2d) and m.residual is True)]
    assert bool(changed) == bool(units)
    for unit in units:
        c = unit.channels if isinstance(unit, SingleBasisConv2d) else (
            unit.norms[-1].num_features if isinstance(unit, ResidualBlock) else unit.reduce.channels)
        x = torch.randn(2, c, 6, 6)
        expected = torch.relu(x)
        if getattr(unit, "residual", None) == "layer":  # each layer passes its parameter-free shortcut on
            r = torch.relu(x[:, :c // 2] + x[:, c // 2:])
            expected = torch.relu(torch.cat([r, r], dim=1))
        with torch.no_grad():
            torch.testing.assert_close(unit(x), expected)


def test_zero_init_residual_rejects_a_non_flag():
    with pytest.raises(ValueError, match="zero_init_residual: expected true or false, got 1"):
        models.build("fcnn-e", width=0.125, zero_init_residual=1)
