"""suite.train: a run killed mid-epoch and resumed ends with exactly the metrics and weights of an
uninterrupted run of the same seed; schedules follow the papers' recipes."""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from suite import runs, train

REPO = Path(__file__).resolve().parents[1]

# One script for all three runs, so the killed, resumed and uninterrupted runs build the same model.
SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import torch
    from torch import nn
    from suite import data, train
    torch.set_num_threads(1)
    run_dir, kill_epoch, kill_step, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.manual_seed(seed)  # model init
    model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(4),
                          nn.Flatten(), nn.Dropout(0.2), nn.Linear(6 * 7 * 7, 10))
    tr = data.build("digits", "train", resize=32, crop=28, limit=160)
    va = data.build("digits", "val", resize=32, crop=28, limit=100)
    def hook(epoch, step):
        if epoch == kill_epoch and step == kill_step:
            os.kill(os.getpid(), signal.SIGKILL)  # a real kill: no cleanup, no exception handlers
    recipe = train.Recipe(lr=0.05, batch_size=32, epochs=3, schedule="plateau", patience=0, gamma=0.5)
    train.train(model, tr, va, recipe=recipe, run_dir=run_dir, seed=seed, progress=False, hook=hook,
                config={"experiment": "resume-test", "model": "tiny", "profile": "local"})
    torch.save(model.state_dict(), os.path.join(run_dir, "final_weights.pt"))
""")


def run_script(tmp_path, run_dir, seed, kill_epoch=-1, kill_step=-1):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(script), str(run_dir), str(kill_epoch), str(kill_step), str(seed)],
                          env=env, capture_output=True, text=True, timeout=300)


def metrics(run_dir):
    rows = [json.loads(line) for line in (Path(run_dir) / runs.METRICS).read_text().splitlines()]
    for r in rows:
        r.pop("seconds"), r.pop("time")  # wall time and clock are the only things allowed to differ
        assert r.pop("run_id") == f"resume-test/local/{Path(run_dir).name}"
    return rows


def test_resume_after_kill_gives_identical_metrics(tmp_path, fresh_seed):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    p = run_script(tmp_path, whole, fresh_seed)
    assert p.returncode == 0, p.stderr
    p = run_script(tmp_path, killed, fresh_seed, kill_epoch=1, kill_step=2)  # SIGKILL in the middle of epoch 2
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert not runs.is_finished(killed) and (killed / runs.CHECKPOINT).is_file()
    assert [r["epoch"] for r in metrics(killed)] == [1]
    p = run_script(tmp_path, killed, fresh_seed)  # resume: same command, no kill
    assert p.returncode == 0, p.stderr
    assert metrics(killed) == metrics(whole) and len(metrics(whole)) == 3
    log = (killed / "train.log").read_text().splitlines()  # every epoch logged once, the resume noted
    assert [line.split("| epoch ")[1].split(" |")[0] for line in log if "| epoch " in line] == ["1/3", "2/3", "3/3"]
    assert sum("resumed after epoch 1" in line for line in log) == 1
    assert len({r["lr"] for r in metrics(whole)}) >= 1
    a, b = torch.load(whole / "final_weights.pt"), torch.load(killed / "final_weights.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    sa, sb = (json.loads((d / runs.SUMMARY).read_text()) for d in (whole, killed))
    for key in ("top1", "top5", "epochs", "final_train_loss", "stopped"):
        assert sa[key] == sb[key]


class Constant(nn.Module):
    """Logits that do not learn: validation accuracy plateaus from the first epoch."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        return self.w.expand(x.shape[0], 10) + 0 * x.flatten(1)[:, :1]


class Tiny(torch.utils.data.Dataset):
    num_classes, sample_shape = 10, (1, 4, 4)

    def __init__(self, seed, n=40):
        g = torch.Generator().manual_seed(seed)
        self.x, self.y = torch.randn(n, 1, 4, 4, generator=g), torch.randint(0, 10, (n,), generator=g)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


def test_plateau_divides_lr_by_ten_until_min_lr(tmp_path, fresh_seed):
    """FCNN Sec. 3: lr from 0.1, ÷10 when validation accuracy plateaus, until 1e-6."""
    recipe = train.Recipe(lr=0.1, batch_size=20, epochs=50, schedule="plateau", patience=0, min_lr=1e-6)
    s = train.train(Constant(), Tiny(fresh_seed), Tiny(fresh_seed), recipe=recipe, run_dir=tmp_path, progress=False,
                    config={"experiment": "e", "model": "constant", "profile": "local"})
    lrs = [r["lr"] for r in runs.read_metrics(tmp_path / runs.METRICS)]
    distinct = sorted(set(round(lr, 12) for lr in lrs), reverse=True)
    assert distinct == pytest.approx([0.1 * 10 ** -k for k in range(6)])  # 0.1, 0.01, ..., 1e-6
    assert all(b in (pytest.approx(a), pytest.approx(a / 10)) for a, b in zip(lrs, lrs[1:]))
    assert s["stopped"] == "min_lr" and s["epochs"] == len(lrs) < 50


def test_step_schedule(tmp_path, fresh_seed):
    """FCNN Sec. 3.4: a fixed number of epochs per learning rate."""
    recipe = train.Recipe(lr=0.1, batch_size=20, epochs=5, schedule="step", step_epochs=2)
    train.train(Constant(), Tiny(fresh_seed), Tiny(fresh_seed), recipe=recipe, run_dir=tmp_path, progress=False,
                config={"experiment": "e", "model": "constant", "profile": "local"})
    lrs = [r["lr"] for r in runs.read_metrics(tmp_path / runs.METRICS)]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])


def test_finished_run_is_not_retrained(tmp_path, fresh_seed):
    recipe = train.Recipe(lr=0.1, batch_size=20, epochs=1)
    cfg = {"experiment": "e", "model": "constant", "profile": "local"}
    s1 = train.train(Constant(), Tiny(fresh_seed), Tiny(fresh_seed), recipe=recipe, run_dir=tmp_path, progress=False,
                     config=cfg)
    def boom(epoch, step):
        raise AssertionError("a finished run must not train again")
    s2 = train.train(Constant(), Tiny(fresh_seed), Tiny(fresh_seed), recipe=recipe, run_dir=tmp_path, progress=False,
                     config=cfg,
                     hook=boom)
    assert s1 == s2


def test_topk_and_recipe_validation():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.05], [0.2, 0.3, 0.5]])
    assert train.topk_correct(logits, torch.tensor([1, 1, 0]), ks=(1, 2)) == [1, 2]
    assert train.topk_correct(logits, torch.tensor([1, 1, 0]), ks=(1, 5)) == [1, 3]  # k capped at #classes
    with pytest.raises(ValueError, match="schedule"):
        train.Recipe(schedule="cosine")
    with pytest.raises(ValueError, match="batch_size"):
        train.Recipe(batch_size=0)
    with pytest.raises(ValueError, match="unknown keys"):
        train.Recipe.from_dict({"lr": 0.1, "warmup": 5})
    from suite.experiments import _fcnn, _hocp
    assert _fcnn.FCNN_CAFFE.batch_size == 96 and _fcnn.FCNN_TORCH.batch_size == 256
    assert _hocp.HOCP_JESTER.batch_size == 32 and 1e-5 <= _hocp.HOCP_JESTER.lr <= 0.1


def test_diverged_run_fails_clearly_and_never_finishes(tmp_path, fresh_seed):
    """Case 4: non-finite loss or weights stop the run with a clear error; no summary is written,
    failure.json says why, and the run never reads as finished."""
    cfg = {"experiment": "e", "model": "constant", "profile": "local"}
    recipe = train.Recipe(lr=0.1, batch_size=40, epochs=2)
    model = Constant()

    def blow_up(epoch, step):  # what a too large learning rate does, in one step
        with torch.no_grad():
            model.w.fill_(float("inf"))
    with pytest.raises(runs.Diverged, match="epoch 1: training diverged .*lower the learning rate"):
        train.train(model, Tiny(fresh_seed), Tiny(fresh_seed), recipe=recipe, run_dir=tmp_path / "a",
                    progress=False, config=cfg, hook=blow_up)
    st = runs.classify(tmp_path / "a")
    assert st.state == runs.FAILED and "Diverged" in st.reason and not runs.is_finished(tmp_path / "a")
    model = Constant()
    with torch.no_grad():
        model.w.fill_(float("inf"))
    with pytest.raises(runs.Diverged, match="weights w"):
        train.check_finite(model, 1.0, "here")
    with pytest.raises(runs.Diverged, match="validation loss nan"):
        train.check_finite(Constant(), float("nan"), "here")


def test_checkpoints_hold_tensors_and_plain_data_only(tmp_path, fresh_seed):
    """Case 2: a checkpoint loads with weights_only=True; a planted pickle or a truncated file is an
    error naming the file, and its payload never runs."""
    import pickle
    cfg = {"experiment": "e", "model": "constant", "profile": "local"}
    recipe = train.Recipe(lr=0.1, batch_size=20, epochs=1)
    train.train(Constant(), Tiny(fresh_seed), Tiny(fresh_seed), recipe=recipe, run_dir=tmp_path, progress=False,
                config=cfg)
    ckpt = torch.load(tmp_path / runs.CHECKPOINT, weights_only=True)
    assert set(ckpt) >= {"model", "optimizer", "rng", "history"}
    data = (tmp_path / runs.CHECKPOINT).read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"{tmp_path / 'cut.pt'}: unreadable checkpoint .*delete it"):
        train.load_checkpoint(tmp_path / "cut.pt")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError, match="unreadable checkpoint"):
        train.load_checkpoint(tmp_path / "evil.pt")
    assert not marker.exists()
