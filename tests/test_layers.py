"""suite.layers: equivalence to dense convs, initialization variance, gradients, decomposition."""
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from suite import models, ops
from suite.layers import BasisConv2d, HOCPConv, SingleBasisConv2d, TopologicalConv2d, TuckerConv, cp_als
from suite.layers.fusion import FusedSingleBasisConv2d, fuse_for_inference

from ._helpers import dense_conv, f64

TOL = dict(rtol=1e-10, atol=1e-10)


def _f64(layer):
    return layer.to(torch.float64)


LINEAR_LAYERS = {
    "basis": lambda: BasisConv2d(4, 6, num_bases=3, kernel_size=5),
    "topological-2d": lambda: TopologicalConv2d((4, 2), (2, 1), kernel_size=3),
    "topological-3d": lambda: TopologicalConv2d((2, 2, 2), (2, 1, 2), kernel_size=1),
    "hocp-1d": lambda: HOCPConv(4, 6, 5, rank=3, dim=1),
    "hocp-2d": lambda: HOCPConv(4, 6, (3, 5), rank=7, skip=True),
    "hocp-3d": lambda: HOCPConv(4, 6, 3, rank=5, dim=3, bias=True),
    "tucker-2d": lambda: TuckerConv(4, 6, 3, ranks=(3, 2), dim=2),
    "tucker-3d": lambda: TuckerConv(4, 6, (3, 1, 3), ranks=(2, 4)),
}


def _input(layer, n=2):
    c = getattr(layer, "in_channels", getattr(layer, "channels", None))
    dim = getattr(layer, "dim", 2)
    return f64(n, c, *[5, 6, 4][:dim])


@pytest.mark.parametrize("name", LINEAR_LAYERS)
def test_linear_layer_equals_dense_conv_of_to_dense(name):
    layer = _f64(LINEAR_LAYERS[name]())
    x = _input(layer)
    y = dense_conv(x, layer.to_dense())
    if getattr(layer, "bias", None) is not None:
        y = y + layer.bias.view(1, -1, *([1] * (x.ndim - 2)))
    torch.testing.assert_close(layer(x), y, **TOL)


GRADCHECK_LAYERS = {  # small enough that numerical Jacobians over every parameter stay fast
    "basis": lambda: BasisConv2d(2, 3, num_bases=2, kernel_size=3),
    "topological-3d": lambda: TopologicalConv2d((2, 2, 2), (2, 1, 2), kernel_size=3),
    "hocp-2d-skip": lambda: HOCPConv(2, 3, (3, 1), rank=2, skip=True, bias=True),
    "hocp-3d": lambda: HOCPConv(2, 2, 3, rank=2, dim=3),
    "tucker-3d": lambda: TuckerConv(2, 3, (3, 1, 3), ranks=(2, 2)),
}


@pytest.mark.parametrize("name", GRADCHECK_LAYERS)
def test_gradcheck_layer(name):
    layer = _f64(GRADCHECK_LAYERS[name]())
    x = f64(1, layer.in_channels if hasattr(layer, "in_channels") else layer.channels,
            *[4, 3, 3][: getattr(layer, "dim", 2)])
    x.requires_grad_()

    def call(x, *p):
        return torch.func.functional_call(layer, dict(zip(dict(layer.named_parameters()), p)), (x,))

    assert gradcheck(call, (x, *layer.parameters()), fast_mode=sum(p.numel() for p in layer.parameters()) > 100)


@pytest.mark.parametrize("kwargs", [dict(norm=True, activation="relu"), dict(norm=True, activation="prelu", skip=True),
                                     dict(activation="relu")])
def test_gradcheck_nonlinear_hocp(kwargs):
    layer = _f64(HOCPConv(2, 3, 3, rank=4, dim=3, **kwargs)).eval()  # BN in eval: a fixed affine map
    x = f64(1, 2, 3, 4, 3).requires_grad_()
    assert gradcheck(layer, (x,))


def test_single_basis_without_norm_is_alg3_step():
    layer = _f64(SingleBasisConv2d(5, kernel_size=3, norm=False))
    x = f64(2, 5, 6, 6)
    expected = ops.single_basis_stack(x, layer.basis.unsqueeze(0), layer.projection.unsqueeze(0), backend="torch")
    torch.testing.assert_close(layer(x), expected, **TOL)


def test_single_basis_with_norm_in_eval_mode():
    layer = _f64(SingleBasisConv2d(4, kernel_size=3))
    for bn in (layer.bn1, layer.bn2):
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.normal_()
        bn.bias.data.normal_()
    layer.eval()
    x = f64(2, 4, 5, 5)
    g = layer.bn1(F.conv2d(x, layer.basis.unsqueeze(1), padding=1, groups=4))
    expected = torch.relu(x + layer.bn2(torch.einsum("lj,njhw->nlhw", layer.projection, g)))
    torch.testing.assert_close(layer(x), expected, **TOL)
    assert gradcheck(layer, (x[:1].clone().requires_grad_(),))


def test_single_basis_channel_change_has_no_residual():
    layer = SingleBasisConv2d(8, out_channels=4)
    assert not layer.residual and layer(torch.randn(2, 8, 5, 5)).shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match="residual"):
        SingleBasisConv2d(8, out_channels=4, residual=True)


def test_single_basis_shortcut_and_topological_projection():
    layer = _f64(SingleBasisConv2d(4, out_channels=6, norm=False, residual=False))
    x, shortcut = f64(2, 4, 5, 5), f64(2, 6, 5, 5)
    expected = ops.single_basis_step(x, layer.basis, layer.projection, residual=shortcut, backend="torch")
    torch.testing.assert_close(layer(x, shortcut=shortcut), expected, **TOL)
    topo = _f64(SingleBasisConv2d(8, norm=False, topology=((2, 4), (1, 2))))
    x = f64(2, 8, 5, 5)
    g = F.conv2d(x, topo.basis.unsqueeze(1), padding=1, groups=8)
    torch.testing.assert_close(topo(x), torch.relu(x + dense_conv(g, topo.projection.to_dense())), **TOL)
    assert topo.macs((5, 5)) == 25 * 8 * (9 + 2)
    with pytest.raises(ValueError, match="out_channels"):
        SingleBasisConv2d(8, out_channels=4, topology=((2, 4), (1, 2)))


def test_fuse_for_inference_matches_model_l_eval():
    """Model L with BatchNorm folded into fused single-basis steps == the eval-mode model (float64), on the
    kernels (`auto`) and on the torch reference."""
    model = models.build("fcnn-l", num_classes=10).double()
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):  # non-trivial running statistics and affine terms
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    model.eval()
    fused = fuse_for_inference(model, measure=False)  # every step fused (tests/test_fusion.py: the measured choice)
    assert sum(isinstance(m, FusedSingleBasisConv2d) for m in fused.modules()) == 36  # 18 pairs
    x = torch.randn(2, 3, 80, 80, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), rtol=1e-9, atol=1e-9)
        with ops.use_backend("torch"):
            torch.testing.assert_close(fused(x), model(x), rtol=1e-9, atol=1e-9)
    fused.train()
    with pytest.raises(RuntimeError, match="inference only"):
        fused(x)



@pytest.mark.parametrize("make,fan_in", [
    (lambda: BasisConv2d(64, 64, num_bases=4, kernel_size=3), 64 * 9),
    (lambda: TopologicalConv2d((8, 8), (4, 4), kernel_size=3), 16 * 9),
    (lambda: HOCPConv(64, 64, 3, rank=192, dim=2), 64 * 9),
    (lambda: HOCPConv(32, 48, 3, rank=96, dim=3), 32 * 27),
    (lambda: TuckerConv(64, 64, 3, ranks=(32, 32), dim=2), 64 * 9),
])
def test_init_gives_dense_kernel_kaiming_variance(make, fan_in):
    layer, variances = make(), []
    # A single draw's variance estimate is heavy-tailed (shared CP factors: relative sd ~0.21 for the 3-D
    # HO-CP case), so average 100 inits: the mean's sd is then ~0.02, five of them inside the 10 % band.
    for _ in range(100):
        layer.reset_parameters()
        w = layer.to_dense().detach()
        variances.append(w[w != 0].var().item())
    assert sum(variances) / len(variances) == pytest.approx(2.0 / fan_in, rel=0.1)


def test_hocp_shapes_and_param_count():
    layer = HOCPConv(64, 128, 3, rank=384, dim=3)
    assert sum(p.numel() for p in layer.parameters()) == 384 * (64 + 128 + 9)  # HO-CP Sec. 3: R(C + T + ΣK)
    assert layer.macs((16, 32, 32)) == 16 * 32 * 32 * 384 * (64 + 9 + 128)


def test_cp_als_recovers_exact_low_rank_kernel():
    R = 3
    w = ops.cp_kernel(f64(6, R), [f64(3, R), f64(3, R), f64(3, R)], f64(5, R))
    weights, factors, err = cp_als(w, R, n_iter=500)
    recon = ops.cp_kernel(factors[1], factors[2:], factors[0] * weights)
    assert err < 1e-6 and torch.allclose(recon, w, atol=1e-5 * w.abs().max())


def test_hocp_from_dense_reproduces_conv():
    conv = nn.Conv3d(6, 5, 3, padding=1, bias=True).double()
    with torch.no_grad():
        conv.weight.copy_(ops.cp_kernel(f64(6, 3), [f64(3, 3) for _ in range(3)], f64(5, 3)))
    layer = HOCPConv.from_dense(conv, 3, n_iter=500)
    x = f64(2, 6, 4, 5, 4)
    torch.testing.assert_close(layer(x), conv(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_tucker_from_dense_full_rank_is_exact_and_truncation_is_best_on_channels(dims):
    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims](6, 5, 3, padding=1).double()
    full = TuckerConv.from_dense(conv, (5, 6))
    x = f64(2, 6, *[5, 4, 3][:dims])
    torch.testing.assert_close(full(x), conv(x), **TOL)
    low = TuckerConv.from_dense(conv, (2, 3))
    assert (low.to_dense() - conv.weight).norm() < conv.weight.norm()


def test_from_dense_rejects_strided_or_even_convs():
    with pytest.raises(ValueError, match="conv"):
        HOCPConv.from_dense(nn.Conv2d(3, 4, 3, stride=2, padding=1), 2)
    with pytest.raises(ValueError, match="conv"):
        TuckerConv.from_dense(nn.Conv2d(3, 4, 2), (2, 2))


def test_cp_decomposition_memory_is_bounded_on_a_large_3d_kernel(fresh_seed):
    """A (1024, 512, 3, 3, 3) kernel (a peer library tried to allocate 83 GB): peak RSS stays small."""
    code = (
        "import resource, torch; from torch import nn; from suite.layers import HOCPConv, TuckerConv;"
        f"torch.manual_seed({fresh_seed}); conv = nn.Conv3d(512, 1024, 3, padding=1, bias=False);"
        "l = HOCPConv.from_dense(conv, 32, n_iter=1); t = TuckerConv.from_dense(conv, (256, 128));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    peak_mb = int(out.stdout.strip().splitlines()[-1])
    assert peak_mb < 3000, f"peak RSS {peak_mb} MB"
