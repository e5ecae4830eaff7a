"""HO-CP models and FCNN Table 7's reference networks: shapes, overrides, the HOSConv block = HOCPConv."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from suite import complexity, models
from suite.layers import HOCPConv, HOSConvBlock


@pytest.mark.parametrize("name,shape,classes", [
    ("mobilenetv2-cifar", (3, 32, 32), 10), ("hosconv-cifar", (3, 32, 32), 10),
])
def test_cifar_models_paper_size(name, shape, classes):
    model = models.build(name).eval()
    assert model.input_size == shape and model.num_classes == classes
    with torch.no_grad():
        assert model(torch.randn(2, *shape)).shape == (2, classes)


@pytest.mark.parametrize("name", ["convnet3d", "hocp-convnet", "hocp-convnet-s"])
def test_3d_models(name):
    model = models.build(name)
    assert model.input_size == (3, 18, 84, 84) and model.num_classes == 27
    assert model.fc1.in_features == 256 * 1 * 5 * 5  # 18×84×84 after four 2×2×2 pools
    small = models.build(name, width=0.25, input_size=(3, 16, 24, 24)).eval()
    with torch.no_grad():
        assert small(torch.randn(2, 3, 16, 24, 24)).shape == (2, 27)
    with pytest.raises(ValueError, match="input_size"):
        models.build(name, input_size=(3, 8, 84, 84))
    with pytest.raises(ValueError, match="expected shape"):
        small(torch.randn(1, 3, 16, 32, 32))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["convnet3d", "hocp-convnet", "hocp-convnet-s"])
def test_3d_models_paper_size_forward(name):
    model = models.build(name).eval()
    with torch.no_grad():
        assert model(torch.randn(1, *model.input_size)).shape == (1, 27)


@pytest.mark.parametrize("name,size", [("alexnet", 224), ("googlenet", 224), ("resnet18", 224), ("vgg16", 64)])
def test_reference_networks(name, size):
    """Paper-size forward (VGG-16 reduced to 64², 15 GMACs at 224²), and the 1-channel / 10-class override."""
    model = models.build(name, input_size=size).eval()
    assert model.num_classes == 1000 and model.input_size == (3, size, size)
    with torch.no_grad():
        assert model(torch.randn(1, 3, size, size)).shape == (1, 1000)
    if name in ("alexnet", "resnet18"):  # building VGG-16 / GoogLeNet twice costs seconds for nothing new
        gray = models.build(name, num_classes=10, in_channels=1, input_size=size).eval()
        with torch.no_grad():
            assert gray(torch.randn(1, 1, size, size)).shape == (1, 10)
    with pytest.raises(ValueError, match="input_size"):
        models.build(name, input_size=(3, 0, 0))


def test_hosconv_block_is_hocp_conv():
    """A stride-1 HOSConv block computes BN(HOCPConv(norm=True, activation="relu")) + its skip."""
    cin, cout, t = 6, 10, 3
    block = HOSConvBlock(cin, cout, t, 1).double().eval()
    ref = HOCPConv(cin, cout, (3, 3), rank=t * cin, norm=True, activation="relu", backend="torch").double().eval()
    with torch.no_grad():
        ref.channel_in.copy_(block.expand[0].weight[:, :, 0, 0].t())
        ref.spatial[0].copy_(block.spatial_h[0].weight[:, 0, :, 0].t())
        ref.spatial[1].copy_(block.spatial_w[0].weight[:, 0, 0, :].t())
        ref.channel_out.copy_(block.project[0].weight[:, :, 0, 0])
        for bn_ref, bn in zip((ref.psi[0].bn, ref.psi[1].bn, ref.psi[2].bn),
                              (block.expand[1], block.spatial_h[1], block.spatial_w[1])):
            for b in (bn, bn_ref):
                b.running_mean.uniform_(-0.5, 0.5)
            bn_ref.load_state_dict(bn.state_dict())
    x = torch.randn(2, cin, 7, 8, dtype=torch.float64)
    expected = block.project[1](ref(x)) + block.shortcut(x)
    torch.testing.assert_close(block(x), expected)


def test_hosconv_strided_block_shape():
    block = HOSConvBlock(8, 16, 6, 2)
    assert block(torch.randn(2, 8, 9, 10)).shape == (2, 16, 5, 5)


REFERENCE_NETS = ("alexnet", "googlenet", "resnet18", "vgg16")


def _parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _expected_parameters(model, width: float, in_channels: int, classes: int) -> int:
    """The parameter count of ``model`` (width 1) with every channel count but the image's and the classes
    scaled by ``width``, computed from its modules (the first Conv2d reads the image, the last Linear gives the
    classes)."""
    found = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.Linear))]
    first = next(m for m in found if isinstance(m, torch.nn.Conv2d))
    last = [m for m in found if isinstance(m, torch.nn.Linear)][-1]
    total = 0
    for m in found:
        if isinstance(m, torch.nn.Conv2d):
            cin = in_channels if m is first else round(m.in_channels * width)
            cout = round(m.out_channels * width)
            total += cout * cin * m.kernel_size[0] * m.kernel_size[1] + (cout if m.bias is not None else 0)
        elif isinstance(m, torch.nn.BatchNorm2d):
            total += 2 * round(m.num_features * width)
        else:
            fin, fout = round(m.in_features * width), classes if m is last else round(m.out_features * width)
            total += fout * fin + fout
    return total


@pytest.mark.parametrize("name", REFERENCE_NETS)
def test_reference_networks_width(name):
    """width 0.25 at FCNN Table 7's local 1×64×64 input: the forward shape, the parameters of the same topology
    with every inner channel count scaled (about width² of the full network's), and the full width unchanged."""
    full = models.build(name, num_classes=10, in_channels=1, input_size=64)
    narrow = models.build(name, num_classes=10, in_channels=1, width=0.25, input_size=64).eval()
    with torch.no_grad():
        assert narrow(torch.randn(2, 1, 64, 64)).shape == (2, 10)
    assert _parameters(full) == _expected_parameters(full, 1.0, 1, 10)
    assert _parameters(narrow) == _expected_parameters(full, 0.25, 1, 10)
    assert 0.055 < _parameters(narrow) / _parameters(full) < 0.07  # ~width² = 0.0625 (the edges scale by width)
    assert [type(m) for m in narrow.modules()] == [type(m) for m in full.modules()]  # the same topology
    cx = complexity.count(narrow)  # the counter follows the rebuilt modules: FlopCounterMode, 2 per multiply-add
    assert cx.parameters == _parameters(narrow)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        narrow(torch.randn(1, 1, 64, 64))
    assert counter.get_total_flops() == 2 * cx.multiplications


@pytest.mark.parametrize("name", REFERENCE_NETS)
def test_reference_networks_width_one_is_torchvision(name):
    import torchvision.models as tv

    options = {"aux_logits": False, "init_weights": True, "transform_input": False} if name == "googlenet" else {}
    ours, theirs = models.build(name, width=1.0), getattr(tv, name)(weights=None, **options)
    assert _parameters(ours) == _parameters(theirs)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [(n, p.shape) for n, p in theirs.named_parameters()]


@pytest.mark.parametrize("width", [0.3, 0.001, 0, -0.5, "0.25", True])
def test_reference_networks_bad_width(width):
    with pytest.raises(ValueError, match="width"):
        models.build("resnet18", width=width)
