"""The papers' two readings: the default models follow the text that decides, the variants the other
reading; each variant is registered, counted and recorded."""
import pytest
import torch
from torch import nn

from suite import complexity, models
from suite.layers import BasisConv2d, HOCPConv, SingleBasisPair
from suite.models.readings import VARIANTS, reading

TOL = dict(rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_is_registered_and_differs_from_its_default(name):
    v = VARIANTS[name]
    assert name in models.names() and v.of in models.names()
    assert reading(name).startswith(f"variant of {v.of}") and v.default in reading(v.of)
    small = {"width": 0.25, "input_size": (3, 77, 77)} if name.startswith("fcnn") else \
        {"width": 0.25, "input_size": (3, 16, 32, 32)}
    d, x = models.build(v.of, **small), models.build(name, **small)
    assert str(d) != str(x)  # not the same network under another name
    shape = (2, *small["input_size"])
    with torch.no_grad():
        assert x.eval()(torch.randn(shape)).shape == d.eval()(torch.randn(shape)).shape


def test_c_d_normalise_after_the_bases_like_e():
    """FCNN Sec. 3: BN after each convolutional layer; C/D's bases get one, as E's basis (SingleBasisConv2d.bn1)."""
    for name, b in (("fcnn-c", 4), ("fcnn-d", 2)):
        layers = [m for m in models.build(name).modules() if isinstance(m, BasisConv2d)]
        assert layers and all(m.bn is not None and m.bn.num_features == b * m.in_channels for m in layers)
        assert all(m.bn is None for m in models.build(f"{name}-no-basis-bn").modules() if isinstance(m, BasisConv2d))


def test_basis_conv_with_norm_is_bases_bn_projection():
    layer = BasisConv2d(3, 5, num_bases=2, kernel_size=3, norm=True).double().eval()
    layer.bn.running_mean.normal_()
    layer.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    g = torch.stack([torch.stack([nn.functional.conv2d(x[:, j:j + 1], layer.bases[j, i][None, None], padding=1)[:, 0]
                                  for i in range(2)], 1) for j in range(3)], 1)  # (N, m, b, H, W)
    g = layer.bn(g.reshape(2, 6, 6, 6))
    expected = torch.einsum("njihw,lji->nlhw", g.reshape(2, 3, 2, 6, 6), layer.projection)
    torch.testing.assert_close(layer(x), expected, **TOL)
    assert torch.autograd.gradcheck(layer, (x.requires_grad_(),))
    with pytest.raises(ValueError, match="to_dense"):
        layer.to_dense()


def test_l_layer_residual_adds_a_shortcut_to_each_layer():
    pair = SingleBasisPair(8, residual="layer").double().eval()
    x = torch.randn(2, 8, 5, 5, dtype=torch.float64)
    h = pair.reduce(x, shortcut=x[:, :4] + x[:, 4:])
    torch.testing.assert_close(pair(x), pair.expand(h, shortcut=torch.cat([h, h], 1)), **TOL)
    default = SingleBasisPair(8).double().eval()
    default.load_state_dict(pair.state_dict())
    assert not torch.allclose(default(x), pair(x))
    with pytest.raises(ValueError, match="residual"):
        SingleBasisPair(8, residual="stage")
    a, b = complexity.count(models.build("fcnn-l")), complexity.count(models.build("fcnn-l-layer-residual"))
    assert (a.multiplications, a.parameters) == (b.multiplications, b.parameters)  # additions only


def test_hocp_alg1_psi_is_activation_then_bn_after_each_spatial_factor():
    torch.manual_seed(0)
    alg1 = HOCPConv(2, 3, 3, rank=4, dim=2, norm=True, activation="relu", psi="alg1").double().eval()
    eq16 = HOCPConv(2, 3, 3, rank=4, dim=2, norm=True, activation="relu", psi="eq16").double()
    assert isinstance(alg1.psi[0], nn.Identity) and sum(p.numel() for p in alg1.psi.parameters()) == 2 * 2 * 4
    for psi in alg1.psi[1:]:
        psi.bn.running_mean.normal_()
        psi.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 2, 5, 5, dtype=torch.float64)
    from suite.ops._conv import conv_along
    h = torch.einsum("cr,nc...->nr...", alg1.channel_in, x)
    for d, f in enumerate(alg1.spatial):
        h = alg1.psi[d + 1].bn(torch.relu(conv_along(h, f, d)))
    torch.testing.assert_close(alg1(x), torch.einsum("tr,nr...->nt...", alg1.channel_out, h), **TOL)
    assert len([m for m in eq16.psi if isinstance(m, nn.Identity)]) == 0
    with pytest.raises(ValueError, match="psi"):
        HOCPConv(2, 3, 3, rank=4, dim=2, norm=True, psi="other")


def test_hocp_models_default_to_alg1():
    for name in ("hocp-convnet", "hocp-convnet-s"):
        convs = [m for m in models.build(name, width=0.25, input_size=(3, 16, 32, 32)).modules()
                 if isinstance(m, HOCPConv)]
        assert convs and all(c.psi_order == "alg1" for c in convs)
    s = [m for m in models.build("hocp-convnet-s", width=0.25, input_size=(3, 16, 32, 32)).modules()
         if isinstance(m, HOCPConv)]
    assert all(c.skip is not None for c in s)  # Alg. 1: U^(S) on every block


def test_accuracy_tables_say_which_reading_and_split_produced_the_numbers(tmp_path):
    from paper_tables.accuracy import UNRECORDED, readings_notes
    from suite.runs import Run
    new = {"reading": reading("fcnn-c"), "splits": {"decide": "val", "report": "test"}}
    runs = {"fcnn-c": [Run(tmp_path, new, {}), Run(tmp_path, {}, {})], "fcnn-a": [Run(tmp_path, {"reading": None}, {})]}
    notes = "\n".join(readings_notes(runs))
    assert f"Reading of fcnn-c: {UNRECORDED} / BN after the bases" in notes or \
        f"Reading of fcnn-c: BN after the bases, before the projection / {UNRECORDED}" in notes
    assert "fcnn-a" not in notes  # no other reading: nothing to say
    assert "Reported split: test" in notes and "predate the held-out validation split" in notes


def test_text_readings_quote_the_paper_and_name_registered_models():
    """The slips of the papers' text (HO-CP eq. 15, Alg. 1's loop and U^(S); FCNN's Caffe BatchNorm): each with its
    sentence, found in the paper, and the models that implement the choice."""
    from suite.models.readings import TEXT_READINGS, text_readings
    from tests.test_ledger_quotes import PAPER_FILES, PAPERS, normalise, parts

    assert {"hocp-eq15-factor-order", "hocp-alg1-loop-bounds", "hocp-skip-shape", "fcnn-bn-moving-average"} <= \
        set(TEXT_READINGS)
    for key, r in TEXT_READINGS.items():
        assert r.paper in PAPER_FILES and r.differs and r.choice and set(r.models) <= set(models.names()), key
        if PAPERS.is_dir():
            text = normalise((PAPERS / PAPER_FILES[r.paper]).read_text())
            assert all(p in text for p in parts(r.quote)), key
    assert set(text_readings("HO-CP", ["convnet3d-cp-finetune"])) == {"hocp-eq15-factor-order",
                                                                      "hocp-alg1-loop-bounds"}  # as hocp-convnet
    assert set(text_readings("HO-CP", ["hocp-convnet-s"])) >= {"hocp-skip-shape"}
    assert set(text_readings("FCNN", ["fcnn-l"])) == {"fcnn-bn-moving-average"}
