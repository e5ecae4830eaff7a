"""No recipe reads the reported split for any decision: schedules and stopping read the validation split,
which for CIFAR-10, the local digits and moving digits is held out of the training data; the reported
top-1 comes from the test split, read once after training."""
import pytest
import torch
from torch import nn

from jobs import runner
from suite import data, experiments, runs, train


class Labelled(torch.utils.data.Dataset):
    """Inputs whose first pixel is ``offset``; all labelled ``label`` (a constant model gets 100 % or 0 %)."""
    num_classes, sample_shape = 3, (1, 2, 2)

    def __init__(self, label, n=12):
        self.label, self.n = label, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.randn(1, 2, 2), self.label


class Prefers0(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([5.0, 0.0, 0.0]))

    def forward(self, x):
        return self.w.expand(x.shape[0], 3) + 0 * x.flatten(1)[:, :1]


@pytest.mark.parametrize("name", experiments.names())
@pytest.mark.parametrize("profile", ["paper", "local"])
def test_every_setting_decides_on_val_and_reports_the_held_out_test_split(name, profile):
    s = experiments.get(name).setting(profile)
    splits = s.to_config()["splits"]
    assert splits["decide"] == "val"
    assert splits["report"] == ("test" if s.dataset in data.HELD_OUT else "val")
    if s.dataset in ("imagenet", "imagenet-150", "jester"):  # the papers report on these val sets
        assert splits["held_out"] is None


def test_schedule_reads_val_and_summary_reports_test(tmp_path, monkeypatch):
    """val: every sample labelled 0 (the model is right: 100 %); test: labelled 1 (0 %). The plateau
    scheduler must only ever see 100, the summary must report 0."""
    seen = []
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
    step = plateau.step

    def spy(self, metric, *a, **k):
        seen.append(metric)
        return step(self, metric, *a, **k)

    monkeypatch.setattr(plateau, "step", spy)
    recipe = train.Recipe(lr=1e-9, batch_size=4, epochs=3, schedule="plateau", patience=5, min_lr=0)
    s = train.train(Prefers0(), Labelled(0), Labelled(0), test_set=Labelled(1), recipe=recipe, run_dir=tmp_path,
                    progress=False, config={"experiment": "e", "model": "m", "profile": "local"})
    assert seen == [100.0] * 3
    assert s["top1"] == 0.0 and s["val_top1"] == 100.0 and s["reported_split"] == "test"
    assert all(r["val_top1"] == 100.0 for r in runs.read_metrics(tmp_path / runs.METRICS))


def test_local_run_reports_the_untouched_test_split(tmp_path):
    """A tiny real run (HO-CP Table 1, local): config records the splits and provenance; the history is the
    val split's accuracy; the summary's top-1 is the final weights' accuracy on the test split."""
    over = (("recipe.epochs", 1), ("train_limit", 64), ("val_limit", 50), ("recipe.batch_size", 32))
    s = runner.run_one("hocp-table1", "mobilenetv2-cifar", 0, "local", tmp_path, overrides=over, progress=False)
    task = runner.Task("hocp-table1", "mobilenetv2-cifar", 0, "local", str(tmp_path), overrides=over)
    run = runs.read_run(runner.run_dir(task))
    assert run.config["splits"]["report"] == "test" and run.config["provenance"]["splits"]["kind"] == "chosen"
    assert s["reported_split"] == "test"
    setting = runner.setting_for(experiments.get("hocp-table1"), "local", over)
    net = runner.build_model("mobilenetv2-cifar", num_classes=10, overrides={**setting.model_overrides})
    net.load_state_dict(torch.load(runner.run_dir(task) / runs.CHECKPOINT, weights_only=False)["model"])
    test = data.build(setting.dataset, "test", **setting.data_options)
    val = data.build(setting.dataset, "val", limit=setting.val_limit, **setting.data_options)
    assert len(test) == 1000
    assert train.evaluate(net, test)["top1"] == pytest.approx(s["top1"])
    assert train.evaluate(net, val)["top1"] == pytest.approx(run.metrics[-1]["val_top1"])
