"""HO-CP Sec. 3's Ψ as an experiment (hocp-psi-ablation): HO-CP ConvNet with Ψ between its CP factors vs the same
column with linear CP factors (hocp-convnet-no-psi), its setting, its claim and its table."""
import csv

import pytest
import torch
from torch import nn

import paper_tables
from jobs import provenance
from paper_tables import claims, stats
from suite import complexity, experiments, models, runs
from suite import paper_values as pv
from suite.experiments import hocp_psi_ablation, hocp_table2
from suite.layers import HOCPConv
from suite.models.readings import reading

SMALL_3D = {"in_channels": 1, "width": 0.0625, "input_size": (1, 16, 32, 32)}  # ranks 6, 24, 48, 96


def _pair(seed):
    torch.manual_seed(seed)
    psi = models.build("hocp-convnet", num_classes=40, **SMALL_3D).double()
    linear = models.build("hocp-convnet-no-psi", num_classes=40, **SMALL_3D).double()
    return psi, linear


# ------------------------------------------------------------------------------------------------ the model
def test_no_psi_is_hocp_convnet_with_linear_factors(fresh_seed):
    psi, linear = _pair(fresh_seed)
    convs = [m for m in linear.modules() if isinstance(m, HOCPConv)]
    assert len(convs) == 4 and all(c.linear and c.psi is None and c.rank == 6 * c.in_channels for c in convs)
    assert all(not c.linear for c in psi.modules() if isinstance(c, HOCPConv))
    a, b = complexity.count(psi), complexity.count(linear)
    assert a.conv_parameters == b.conv_parameters  # R(C + T + 9) per layer; Ψ's batch norm is not a conv weight
    assert reading("hocp-convnet-no-psi").startswith("ablation beside hocp-convnet")
    with pytest.raises(ValueError, match="psi"):  # a variant is the setting it fixes
        models.build("hocp-convnet-no-psi", psi="alg1")


def test_no_psi_equals_the_psi_model_with_psi_replaced_by_identity(fresh_seed):
    """Same weights; with every Ψ module an identity, HO-CP ConvNet computes exactly what the ablation does."""
    psi, linear = _pair(fresh_seed)
    missing, unexpected = linear.load_state_dict(psi.state_dict(), strict=False)
    assert not missing and unexpected and all(".conv.psi." in k for k in unexpected)  # only Ψ's BN is left over
    x = torch.randn(3, *SMALL_3D["input_size"], dtype=torch.float64)
    psi.eval(), linear.eval()
    with torch.no_grad():
        assert not torch.allclose(psi(x), linear(x))  # Ψ changes the output
        for conv in (m for m in psi.modules() if isinstance(m, HOCPConv)):
            conv.psi = nn.ModuleList(nn.Identity() for _ in conv.psi)
        torch.testing.assert_close(psi(x), linear(x), rtol=1e-10, atol=1e-10)


def test_no_psi_forward_and_gradient(fresh_seed):
    _, linear = _pair(fresh_seed)
    x = torch.randn(2, *SMALL_3D["input_size"], dtype=torch.float64)
    out = linear(x)
    assert out.shape == (2, 40) and torch.isfinite(out).all()
    out.square().sum().backward()
    factors = [p for c in linear.modules() if isinstance(c, HOCPConv)
               for p in (c.channel_in, *c.spatial, c.channel_out)]
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in factors)
    layer = HOCPConv(3, 4, 3, dim=3, rank=5).double()  # the linear layer's own gradient, against finite differences
    xs = torch.randn(1, 3, 4, 5, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: layer(a), (xs,))


# ---------------------------------------------------------------------------------------------- experiment
def test_the_experiment_and_its_settings():
    exp = experiments.get("hocp-psi-ablation")
    assert exp.models == ("hocp-convnet", "hocp-convnet-no-psi") and exp.paper == "HO-CP"
    local, paper = exp.setting("local"), exp.setting("paper")
    assert len(local.seeds) >= 3 and local.dataset == hocp_table2.LOCAL_JESTER.dataset  # Table 2's data
    assert local.data_options["frames"] == hocp_table2.LOCAL_JESTER.data_options["frames"]
    assert local.model_overrides["width"] == hocp_table2.LOCAL_JESTER.model_overrides["width"]
    assert local.model_overrides["input_size"] == (1, 16, local.data_options["size"], local.data_options["size"])
    assert {local.recipe_for(m) for m in exp.models} == {local.recipe}  # one recipe: they differ by Ψ alone
    assert paper == experiments.get("hocp-table2").setting("paper")  # the paper profile is Table 2's
    assert exp.sweeps == experiments.get("hocp-table2").sweeps and experiments.sweeps(exp.name)
    assert provenance.missing(exp.name) == []
    assert provenance.of(exp.name, "paper")["model.psi_ablation"][1].kind == "chosen"
    for name in exp.models:  # both build under the local setting
        net = models.build(name, num_classes=40, **local.model_overrides)
        with torch.no_grad():
            assert net.eval()(torch.zeros(1, *local.model_overrides["input_size"])).shape == (1, 40)


def test_the_claim_quotes_sec3_and_asks_for_a_margin():
    (claim,) = experiments.claims_of("hocp-psi-ablation")
    assert claim.key == "hocp-psi-end-to-end" and claim.source == "HO-CP Sec. 3"
    assert "notoriously hard to train end-to-end" in claim.quote and "adding non-linearities Ψ" in claim.quote
    t = claim.test
    assert (t.kind, t.a, t.b, t.margin) == ("better", "hocp-convnet", "hocp-convnet-no-psi", claims.MARGIN)
    assert t.describe() == "top-1 hocp-convnet − hocp-convnet-no-psi > 1 point"
    assert hocp_psi_ablation.PAPER_ACCURACY["hocp-convnet"]["top1"] == pv.HOCP_TABLE2["hocp-convnet"].top1


@pytest.mark.parametrize("lo, hi, verdict", [(0.5, 3.0, "inconclusive"), (1.2, 3.0, "holds"),
                                             (-2.0, 0.8, "contradicted")])
def test_better_by_a_margin_decides_against_the_margin(lo, hi, verdict):
    assert stats.decide("better", lo, hi, 1.0) == verdict
    assert stats.decide("better", 0.5, 3.0) == "holds"  # no margin: as before
    assert stats.thresholds("better", 1.0) == (1.0,) and stats.thresholds("better") == (0.0,)


# ---------------------------------------------------------------------------------------------- table, verdict
def _planted(root, model, seed, top1, loss):
    config = {"experiment": "hocp-psi-ablation", "profile": "local", "model": model, "seed": seed,
              "dataset": "moving-digits", "recipe": {"lr": 0.05, "epochs": 2}, "data": {"source": "test"}}
    d = runs.run_dir_for(root, config)
    runs.start_run(d, config)
    history = [{"epoch": 1, "train_loss": loss + 1, "val_top1": top1 - 5, "val_top5": 90.0, "val_loss": 2.0,
                "lr": 0.05},
               {"epoch": 2, "train_loss": loss, "val_top1": top1, "val_top5": 95.0, "val_loss": 1.0, "lr": 0.005}]
    runs.write_metrics(d, history)
    runs.atomic_write_bytes(d / runs.CHECKPOINT, b"weights")
    runs.finish_run(d, runs.make_summary(config, history, 1.0, "epochs"))


def _plant_pair(root, gap):
    for seed, base in enumerate((40.0, 42.0, 41.0)):
        _planted(root, "hocp-convnet", seed, base + gap, 0.5)
        _planted(root, "hocp-convnet-no-psi", seed, base + 0.1 * seed, 3.5)


@pytest.mark.parametrize("gap, verdict", [(10.0, "holds"), (0.0, "contradicted"), (1.1, "inconclusive")])
def test_verdict_from_planted_runs(tmp_path, gap, verdict):
    _plant_pair(tmp_path, gap)
    v = claims.evaluate(experiments.claims_of("hocp-psi-ablation")[0], "local", tmp_path)
    assert v.verdict == verdict and v.test.startswith("paired") and v.n == "3/3"
    assert v.effect == pytest.approx(gap - 0.1) and v.paper_effect is None


@pytest.mark.slow  # counts the paper-size 3-D networks
def test_table_from_planted_runs(tmp_path):
    root = tmp_path / "results"
    _plant_pair(root, 10.0)
    md = paper_tables.render("hocp-psi-ablation", "local", root, tmp_path / "out")
    assert md.startswith("### HO-CP Sec. 3") and "### Claims of hocp-psi-ablation" in md and "holds" in md
    with open(tmp_path / "out" / "hocp_psi_ablation_local.csv") as f:
        rows = {r["Network"]: r for r in csv.DictReader(f)}
    assert float(rows["hocp-convnet-no-psi"]["Final training loss (mean)"]) == 3.5
    assert rows["hocp-convnet"]["Top-1 % (paper)"] == str(pv.HOCP_TABLE2["hocp-convnet"].top1)
    assert rows["hocp-convnet-no-psi"]["Top-1 % (paper)"] == "" and rows["hocp-convnet"]["n"] == "3"
    params = "# conv params 10⁶ (computed)"
    assert rows["hocp-convnet"][params] == rows["hocp-convnet-no-psi"][params]
