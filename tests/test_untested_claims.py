"""The claims the papers argue but never test, as experiments: FCNN Sec. 2.3 (Model E without its residual,
fcnn-residual) and HO-CP Sec. 3 (3D-ConvNet trained, CP-decomposed and fine-tuned vs HO-CP ConvNet from scratch,
hocp-compress); the decomposition inside suite.train; per-model recipes (FCNN Table 7's reference networks)."""
import csv
import json
from dataclasses import replace

import pytest
import torch

import paper_tables
from jobs import provenance, runner
from paper_tables import claims
from paper_tables import complexity as tables_complexity
from suite import complexity, data, experiments, models, runs, train
from suite import paper_values as pv
from suite.experiments import fcnn_table2, fcnn_table7, hocp_compress
from suite.layers import HOCPConv, SingleBasisConv2d
from suite.models.readings import ABLATIONS, reading

SMALL_3D = {"in_channels": 1, "width": 0.0625, "input_size": (1, 16, 32, 32)}  # ranks 6, 24, 48, 96


# ------------------------------------------------------------------------------------------------ models
def test_e_without_residual_differs_only_by_the_residual():
    e, x = models.build("fcnn-e"), models.build("fcnn-e-no-residual")
    layers = [m for m in x.modules() if isinstance(m, SingleBasisConv2d)]
    assert layers and not any(m.residual for m in layers)
    assert all(m.residual for m in e.modules() if isinstance(m, SingleBasisConv2d))
    a, b = complexity.count(e), complexity.count(x)
    assert (a.multiplications, a.parameters) == (b.multiplications, b.parameters)  # the residual is an addition
    x.load_state_dict(e.state_dict())  # same parameters; the outputs differ by the residual alone
    inp = torch.randn(2, 3, 77, 77)
    with torch.no_grad():
        assert not torch.allclose(e.eval()(inp), x.eval()(inp))
    assert reading("fcnn-e-no-residual").startswith("ablation beside fcnn-e")


def test_decompose_replaces_each_dense_kernel_by_its_cp_at_hocp_convnet_rank():
    net = models.build("convnet3d-cp-finetune", num_classes=40, **SMALL_3D).double().eval()
    x = torch.randn(2, 1, 16, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        dense = net(x)
        first = net.blocks[0][0].weight.clone()
    errors = net.decompose()
    convs = [block[0] for block in net.blocks]
    assert all(isinstance(c, HOCPConv) and c.linear and c.rank == 6 * c.in_channels for c in convs)
    assert len(errors) == 4 and all(0 <= e < 1 for e in errors)
    with torch.no_grad():  # the reported error is the CP kernel's distance to the trained one
        w = convs[0].to_dense()
    assert errors[0] == pytest.approx(float((w - first).norm() / first.norm()), rel=1e-6)
    with torch.no_grad():
        assert net(x).shape == dense.shape
    with pytest.raises(ValueError, match="already decomposed"):
        net.decompose()
    shapes = models.build("convnet3d-cp-finetune", num_classes=40, **SMALL_3D)
    assert shapes.decompose(fit=False) == [0.0] * 4
    assert {k: v.shape for k, v in shapes.state_dict().items()} == {k: v.shape for k, v in net.state_dict().items()}
    hocp = complexity.count(models.build("hocp-convnet", num_classes=40, **SMALL_3D))
    assert complexity.count(shapes).conv_parameters == hocp.conv_parameters  # same rank, R(C + T + 9) per layer


# ----------------------------------------------------------------------------------- training with a decomposition
def _moving(split, n):
    return data.build("moving-digits", split, limit=n, frames=16, size=32, digit_size=16)


def _decompose_run(run_dir, seed, hook=None):
    torch.manual_seed(seed)
    net = models.build("convnet3d-cp-finetune", num_classes=40, **SMALL_3D)
    recipe = train.Recipe(lr=0.01, batch_size=16, epochs=2, decompose_after=1, schedule="step", step_epochs=1,
                          eval_batch_size=32)
    config = {"experiment": "decompose-test", "model": "convnet3d-cp-finetune", "profile": "local"}
    return net, train.train(net, _moving("train", 32), _moving("val", 16), recipe=recipe, run_dir=run_dir, seed=seed,
                            progress=False, config=config, hook=hook, device="cpu")


def _metrics(run_dir):
    rows = runs.read_metrics(run_dir / runs.METRICS)
    return [{k: v for k, v in r.items() if k not in ("seconds", "time", "run_id")} for r in rows]


@pytest.mark.slow  # three short 3-D runs with a CP-ALS decomposition each (~1-3 min on 2 loaded cores)
def test_training_decomposes_after_the_dense_epochs_and_resumes_after_it(tmp_path, fresh_seed):
    net, summary = _decompose_run(tmp_path / "whole", fresh_seed)
    assert all(isinstance(block[0], HOCPConv) for block in net.blocks)
    first, second = _metrics(tmp_path / "whole")
    assert {"decomposed_val_top1", "decomposed_val_top5", "decomposed_val_loss", "decomposition_error"} <= set(first)
    assert first["decomposed_layers"] == 4 and "decomposed_val_top1" not in second
    assert 0 <= first["decomposition_error"] < 1 and summary["epochs"] == 2
    runs.read_run(tmp_path / "whole")  # verifies as every run does

    class Killed(Exception):
        pass

    def kill(epoch, step):  # the second epoch: after the decomposition, before its first step ends
        if epoch == 1:
            raise Killed
    with pytest.raises(Killed):
        _decompose_run(tmp_path / "killed", fresh_seed, hook=kill)
    assert [m["epoch"] for m in _metrics(tmp_path / "killed")] == [1]
    net, resumed = _decompose_run(tmp_path / "killed", fresh_seed)  # rebuilds the decomposed shapes, loads them
    assert _metrics(tmp_path / "killed") == _metrics(tmp_path / "whole")
    assert (resumed["top1"], resumed["final_train_loss"]) == (summary["top1"], summary["final_train_loss"])


def test_decompose_after_is_checked_and_left_out_of_the_identity(tmp_path):
    assert "decompose_after" not in train.Recipe().to_dict()  # every run without it keeps its identity
    assert train.Recipe(epochs=4, decompose_after=2).to_dict()["decompose_after"] == 2
    for bad in (4, 5, -1):
        with pytest.raises(ValueError, match="decompose_after"):
            train.Recipe(epochs=4, decompose_after=bad)
    recipe = train.Recipe(lr=0.01, batch_size=16, epochs=2, decompose_after=1, eval_batch_size=32)
    net = models.build("convnet3d", num_classes=40, **SMALL_3D)
    with pytest.raises(ValueError, match="no decompose"):
        train.train(net, _moving("train", 16), _moving("val", 16), recipe=recipe, run_dir=tmp_path, progress=False,
                    device="cpu", config={"experiment": "e", "model": "convnet3d", "profile": "local"})


# ---------------------------------------------------------------------------------------------- experiments
def test_the_two_experiments_and_their_settings():
    residual, compress = experiments.get("fcnn-residual"), experiments.get("hocp-compress")
    assert residual.models == ("fcnn-e", "fcnn-e-no-residual")
    assert residual.setting("local") is fcnn_table2.LOCAL_TABLE2  # E compared on FCNN Table 2's footing
    assert residual.setting("paper") == experiments.get("fcnn-table2").setting("paper")
    local = compress.setting("local")
    cp, scratch = (local.recipe_for(m) for m in compress.models)
    assert cp.decompose_after == hocp_compress.COMPRESS_DENSE and scratch.decompose_after == 0
    assert cp.epochs == scratch.epochs and cp.schedule == scratch.schedule == "step"  # equal budget, one schedule
    paper = compress.setting("paper").recipe_for("convnet3d-cp-finetune")
    assert 0 < paper.decompose_after < paper.epochs
    for name in ("fcnn-residual", "hocp-compress"):
        assert provenance.missing(name) == []
    prov = provenance.of("hocp-compress", "paper")["model_recipes.convnet3d-cp-finetune.decompose_after"][1]
    assert prov.kind == "chosen" and "Lebedev" in prov.follows


def test_model_recipes_are_recorded_shared_and_overridable():
    exp = experiments.get("fcnn-table7")
    s = exp.setting("local")
    assert s.recipe_for("vgg16").lr == 0.01 and s.recipe_for("vgg16").weight_decay == 5e-4
    assert s.recipe_for("alexnet").weight_decay == 5e-4 and s.recipe_for("fcnn-l").lr == 0.05
    a, b = (runner.run_config(exp, m, 0, "local") for m in ("fcnn-l", "vgg16"))
    assert a["model_recipes"]["vgg16"] == {"lr": 0.01, "weight_decay": 5e-4}
    assert runs.identity_key(a) == runs.identity_key(b)  # one table, one identity
    assert "model_recipes" not in experiments.get("fcnn-table2").setting("local").to_config()
    over = runner.setting_for(exp, "local", (("recipe.lr", 0.05),))  # --set recipe.lr: every model, over its own
    assert {over.recipe_for(m).lr for m in exp.models} == {0.05}
    assert over.recipe_for("vgg16").weight_decay == 5e-4
    with pytest.raises(ValueError, match="unknown recipe field"):
        experiments.Setting("digits", train.Recipe(), model_recipes={"x": {"learning_rate": 1}}).recipe_for("x")


def test_reference_recipes_are_chosen_with_their_published_source():
    rows = provenance.of("fcnn-table7", "paper")
    for net, own in fcnn_table7.REFERENCE_RECIPES.items():
        for key, value in own.items():
            v, prov = rows[f"model_recipes.{net}.{key}"]
            assert v == value and prov.kind == "chosen" and prov.follows
    assert "Krizhevsky" in rows["model_recipes.alexnet.lr"][1].follows
    assert "quick_solver" in rows["model_recipes.googlenet.weight_decay"][1].follows


@pytest.mark.parametrize("net", ["vgg16", "alexnet"])
def test_reference_net_at_its_recipe_gives_finite_losses(tmp_path, net):
    """A few batches of the local Table 7 setting at the net's own lr and weight decay: finite, not diverged."""
    s = experiments.get("fcnn-table7").setting("local")
    recipe = replace(s.recipe_for(net), epochs=1, batch_size=16, eval_batch_size=32)
    own = fcnn_table7.REFERENCE_RECIPES[net]
    assert (recipe.lr, recipe.weight_decay) == (own["lr"], own["weight_decay"])
    tr = data.build(s.dataset, "train", limit=48, **s.data_options)
    va = data.build(s.dataset, "val", limit=32, **s.data_options)
    net_module = runner.build_model(net, num_classes=10, overrides=dict(s.model_overrides))
    train.train(net_module, tr, va, recipe=recipe, run_dir=tmp_path, progress=False, device="cpu",
                config={"experiment": "fcnn-table7", "model": net, "profile": "local"})
    run = runs.read_run(tmp_path)
    assert run.config["recipe"]["lr"] == fcnn_table7.REFERENCE_RECIPES[net]["lr"]
    assert all(torch.isfinite(torch.tensor([m["train_loss"], m["val_loss"]])).all() for m in run.metrics)


# ----------------------------------------------------------------------------------------------- tables, claims
def _planted(root, experiment, model, seed, top1, decomposed=None):
    """A verified finished run whose last metrics line records ``decomposed`` (the keys suite.train writes)."""
    config = {"experiment": experiment, "profile": "local", "model": model, "seed": seed, "dataset": "moving-digits",
              "recipe": {"lr": 0.01, "epochs": 2}, "data": {"source": "test"}}
    d = runs.run_dir_for(root, config)
    runs.start_run(d, config)
    history = [{"epoch": 1, "train_loss": 2.0, "val_top1": top1 - 5, "val_top5": 90.0, "val_loss": 2.0, "lr": 0.01,
                **(decomposed or {})},
               {"epoch": 2, "train_loss": 1.0, "val_top1": top1, "val_top5": 95.0, "val_loss": 1.0, "lr": 0.01}]
    runs.write_metrics(d, history)
    runs.atomic_write_bytes(d / runs.CHECKPOINT, b"weights")
    runs.finish_run(d, runs.make_summary(config, history, 1.0, "epochs"))


@pytest.mark.slow  # counts the paper-size 3-D networks (~1 min on 2 cores)
def test_compress_table_and_verdict_from_planted_runs(tmp_path):
    root = tmp_path / "results"
    for seed, (cp, scratch) in enumerate([(60.0, 70.0), (62.0, 71.0), (61.0, 72.0)]):
        _planted(root, "hocp-compress", "convnet3d-cp-finetune", seed, cp,
                 {"decomposed_val_top1": 20.0 + seed, "decomposed_val_top5": 50.0, "decomposed_val_loss": 3.0,
                  "decomposed_layers": 4, "decomposition_error": 0.25})
        _planted(root, "hocp-compress", "hocp-convnet", seed, scratch)
    md = paper_tables.render("hocp-compress", "local", root, tmp_path / "out")
    with open(tmp_path / "out" / "hocp_compress_local.csv") as f:
        rows = {r["Network"]: r for r in csv.DictReader(f)}
    cp = rows["convnet3d-cp-finetune"]
    assert float(cp["Val top-1 % right after decomposition (mean)"]) == 21.0
    assert float(cp["Val top-1 % at the last dense epoch (mean)"]) == 56.0  # 61 - 5, mean of the seeds
    assert float(cp["CP relative error (mean)"]) == 0.25 and cp["Top-1 % (paper)"] == ""
    assert rows["hocp-convnet"]["Top-1 % (paper)"] == str(pv.HOCP_TABLE2["hocp-convnet"].top1)
    assert rows["hocp-convnet"]["Val top-1 % right after decomposition (mean)"] == ""
    assert "### Claims of hocp-compress" in md and "hocp-scratch-vs-compress" in md
    v = claims.evaluate(next(c for c in claims.CLAIMS if c.key == "hocp-scratch-vs-compress"), "local", root)
    assert v.verdict == "holds" and v.effect == pytest.approx(10.0) and v.paper_effect is None


@pytest.mark.slow  # counts model E at 221x221
def test_residual_table_and_verdict_from_planted_runs(tmp_path):
    root = tmp_path / "results"
    for seed in range(3):
        _planted(root, "fcnn-residual", "fcnn-e", seed, 80.0 - seed)
        _planted(root, "fcnn-residual", "fcnn-e-no-residual", seed, 85.0 - seed)  # planted: the claim fails
    md = paper_tables.render("fcnn-residual", "local", root, tmp_path / "out")
    assert md.startswith("### FCNN Sec. 2.3") and "the residual learning is necessary" in md
    v = claims.evaluate(next(c for c in claims.CLAIMS if c.key == "fcnn-residual-necessary"), "local", root)
    assert v.verdict == "contradicted" and v.effect == pytest.approx(-5.0)


def test_new_claims_are_in_the_ledger():
    keys = {c.key: c for c in claims.CLAIMS}
    assert keys["fcnn-residual-necessary"].experiment == "fcnn-residual"
    assert keys["hocp-scratch-vs-compress"].test.kind == "not_worse"
    assert set(paper_tables.GENERATORS) >= {"fcnn-residual", "hocp-compress"}


@pytest.mark.slow  # counts the paper-size networks
def test_variants_table_counts_the_ablations():
    t = tables_complexity.variants_table(tables_complexity.COUNTS)
    rows = {r[0]: r for r in t.rows}
    assert set(ABLATIONS) <= set(rows) and rows["fcnn-e-no-residual"][1] == "ablation"
    e = tables_complexity.COUNTS("fcnn-e")
    assert rows["fcnn-e-no-residual"][6] == f"{round(e.multiplications / 1e6, 2)} / {round(e.multiplications / 1e6, 2)}"
    cp = tables_complexity.as_trained("convnet3d-cp-finetune")
    assert cp.conv_parameters == tables_complexity.COUNTS("hocp-convnet").conv_parameters
    assert cp.conv_parameters < tables_complexity.COUNTS("convnet3d").conv_parameters


def test_table7_paper_values_name_their_sources():
    assert "Caffe’s implementation[11]" in pv.FCNN_TABLE7_SOURCES
    for name, r in pv.FCNN_TABLE7.items():
        assert r.source
    assert "Caffe" in pv.FCNN_TABLE7["alexnet"].source and "Caffe" in pv.FCNN_TABLE7["googlenet"].source
    assert "Facebook" in pv.FCNN_TABLE7["resnet18"].source and "[15]" in pv.FCNN_TABLE7["vgg16"].source
    assert json.dumps(pv.FCNN_TABLE7_SOURCES)
