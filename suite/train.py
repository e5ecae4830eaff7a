"""The papers' training recipes, with per-epoch checkpoints and exact resume.

FCNN Sec. 3: SGD with momentum, mini-batch 96 (Caffe runs; 256 for the Torch runs of Sec. 3.4), BN
after every conv, dropout 0.2, "start the learning rate from 0.1 and divide it by a factor of 10 when
the validation accuracy plateaus until 10⁻⁶"; Sec. 3.4: "30 epochs for each learning rate and 100
epochs in total". Top-1/top-5 accuracy of the center crop on the validation set.

HO-CP Sec. 4.2: batch 32 on Jester, learning rate validated in [1e-5, 0.1] with decay ×0.1 on plateau,
average over 3 runs (three seeds; the averaging happens when tables read the runs).

Determinism and resume: every epoch reseeds torch/numpy/random from (seed, epoch) and draws its data
order from a generator seeded the same way, so epoch e does the same work whether or not the process
was restarted before it. The checkpoint (written atomically after every epoch) holds the model,
optimizer, scheduler, metric history and the RNG states; a killed run restarted with the same config
resumes after its last finished epoch and ends with the same metrics as an uninterrupted run.
"""
from __future__ import annotations

import io
import math
import random
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from . import results

SCHEDULES = ("plateau", "step")


@dataclass(frozen=True)
class Recipe:
    """One training recipe. ``schedule="plateau"``: lr ×``gamma`` when validation top-1 has not improved
    for ``patience`` epochs, stop once lr would fall below ``min_lr`` or after ``epochs``;
    ``schedule="step"``: lr ×``gamma`` every ``step_epochs`` epochs, ``epochs`` in all."""

    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 96
    epochs: int = 100
    schedule: str = "plateau"
    gamma: float = 0.1
    patience: int = 2
    min_lr: float = 1e-6
    step_epochs: int = 30
    eval_batch_size: int = 256
    num_workers: int = 0

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {SCHEDULES}, got {self.schedule!r}")
        for name in ("batch_size", "epochs", "eval_batch_size", "step_epochs"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise ValueError(f"{name}: expected a positive int, got {getattr(self, name)!r}")
        if not (self.lr > 0 and 0 < self.gamma < 1 and self.min_lr >= 0):
            raise ValueError(f"lr > 0, 0 < gamma < 1, min_lr >= 0 expected, got lr={self.lr}, "
                             f"gamma={self.gamma}, min_lr={self.min_lr}")

    @classmethod
    def from_dict(cls, d: dict) -> "Recipe":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"recipe: unknown keys {sorted(unknown)}; valid keys: {sorted(known)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)


# FCNN Sec. 3 (Caffe: batch 96, lr 0.1 ÷10 on plateau down to 1e-6) and Sec. 3.4 (Torch: batch 256,
# 30 epochs per lr step, 100 in all); HO-CP Sec. 4.2 (batch 32 on Jester, ×0.1 on plateau). Which field is
# stated by a paper and which is chosen (weight decay 1e-4: torchvision's reference recipes) is in
# jobs/provenance.py.
FCNN_CAFFE = Recipe(lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=96, epochs=100, schedule="plateau",
                    min_lr=1e-6)
FCNN_TORCH = Recipe(lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=256, epochs=100, schedule="step",
                    step_epochs=30)
HOCP_JESTER = Recipe(lr=0.01, momentum=0.9, weight_decay=1e-4, batch_size=32, epochs=60, schedule="plateau",
                     min_lr=1e-5)
HOCP_CIFAR = Recipe(lr=0.1, momentum=0.9, weight_decay=4e-5, batch_size=128, epochs=200, schedule="plateau",
                    min_lr=1e-5)


# ----------------------------------------------------------------------------------------------- helpers
def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919) % (2 ** 31)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])


def topk_correct(logits: torch.Tensor, target: torch.Tensor, ks=(1, 5)) -> list[int]:
    """Number of samples whose label is among the top-k scores, for each k (k capped at #classes)."""
    maxk = min(max(ks), logits.shape[1])
    pred = logits.topk(maxk, dim=1).indices
    hit = pred.eq(target.unsqueeze(1))
    return [int(hit[:, :min(k, maxk)].any(dim=1).sum()) for k in ks]


@torch.no_grad()
def evaluate(model, dataset, *, batch_size: int = 256, num_workers: int = 0, device="cpu") -> dict:
    """Top-1 / top-5 accuracy (%) and mean loss over ``dataset`` (its transform is the center crop)."""
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    n = c1 = c5 = 0
    loss = 0.0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        out = model(x)
        loss += float(F.cross_entropy(out, y, reduction="sum"))
        a, b = topk_correct(out, y)
        c1, c5, n = c1 + a, c5 + b, n + len(y)
    if n == 0:
        raise ValueError("evaluate: the validation set is empty")
    return {"top1": 100.0 * c1 / n, "top5": 100.0 * c5 / n, "loss": loss / n}


def make_optimizer(model, recipe: Recipe):
    return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                           weight_decay=recipe.weight_decay)


def make_scheduler(optimizer, recipe: Recipe):
    if recipe.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=recipe.step_epochs, gamma=recipe.gamma)
    # min_lr slightly below the floor so that reaching it is visible as "would go below" -> stop
    return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=recipe.gamma,
                                                      patience=recipe.patience)


def current_lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def save_checkpoint(path: Path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    results.atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: Path) -> dict | None:
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)


# ----------------------------------------------------------------------------------------------- training
def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_epoch(model, loader, optimizer, *, progress: bool, desc: str, hook=None, device="cpu") -> float:
    """One pass over ``loader``; returns the mean training loss."""
    from tqdm.auto import tqdm
    model.train()
    total, n = 0.0, 0
    for step, (x, y) in enumerate(tqdm(loader, desc=desc, leave=False, disable=not progress)):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}: training loss is {float(loss)} at step {step}; lower the lr")
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        n += len(y)
        if hook is not None:
            hook(step)
    return total / max(n, 1)


def train(model, train_set, val_set, *, recipe: Recipe, run_dir, seed: int = 0, config: dict | None = None,
          env: dict | None = None, progress: bool = True, hook=None, device=None, test_set=None) -> dict:
    """Train ``model`` with ``recipe`` into ``run_dir`` (see :mod:`suite.results`), resuming from
    ``run_dir/checkpoint.pt`` if present. Returns the summary (also written to summary.json).

    ``config`` (JSON) defines the run: resuming into a directory holding another config is refused.
    ``env`` adds entries to env.json (e.g. where the data came from).
    ``hook(epoch, step)`` is called after every optimizer step (tests use it to kill a run mid-epoch).
    ``device``: default CUDA when available (paper profile on a GPU node), else CPU.
    ``test_set``: the reported split, when it is not ``val_set``: read once, after the last epoch, for the
    summary's top-1/top-5; the schedule and the stopping rule read ``val_set`` only.
    """
    run_dir = Path(run_dir)
    config = dict(config or {})
    config.setdefault("seed", seed)
    config.setdefault("recipe", recipe.to_dict())
    if results.is_finished(run_dir):  # done: never retrain, never rewrite its env.json
        results.check_config(run_dir, config)
        return results.read_json(run_dir / results.SUMMARY)
    device = torch.device(device) if device is not None else default_device()
    results.start_run(run_dir, config, {**(env or {}), "device": str(device)})
    model.to(device)
    optimizer = make_optimizer(model, recipe)
    scheduler = make_scheduler(optimizer, recipe)
    history, best, start, elapsed = [], 0.0, 0, 0.0
    ckpt = load_checkpoint(run_dir / results.CHECKPOINT)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        model.to(device)
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        history, start, elapsed = ckpt["history"], ckpt["epoch"], ckpt["elapsed"]
        print(f"{run_dir.name}: resumed from epoch {start} ({run_dir / results.CHECKPOINT})", flush=True)
        set_rng_state(ckpt["rng"])
        results.write_metrics(run_dir, history)  # drop any line of an epoch the checkpoint lacks
    stopped = ckpt.get("stopped") if ckpt is not None else None  # e.g. killed between checkpoint and summary
    for epoch in range(start, recipe.epochs):
        if stopped:
            break
        t0 = time.perf_counter()
        seed_everything(epoch_seed(seed, epoch))
        order = torch.Generator().manual_seed(epoch_seed(seed, epoch) + 1)
        loader = DataLoader(train_set, batch_size=recipe.batch_size, shuffle=True, generator=order,
                            num_workers=recipe.num_workers, drop_last=False)
        lr = current_lr(optimizer)
        step_hook = (lambda step, e=epoch: hook(e, step)) if hook else None
        loss = train_epoch(model, loader, optimizer, progress=progress,
                           desc=f"{config.get('model', 'model')} s{seed} epoch {epoch + 1}/{recipe.epochs}",
                           hook=step_hook, device=device)
        val = evaluate(model, val_set, batch_size=recipe.eval_batch_size, num_workers=recipe.num_workers,
                       device=device)
        elapsed += time.perf_counter() - t0
        history.append({"epoch": epoch + 1, "train_loss": loss, "val_top1": val["top1"],
                        "val_top5": val["top5"], "val_loss": val["loss"], "lr": lr,
                        "seconds": round(time.perf_counter() - t0, 3)})
        if recipe.schedule == "plateau":
            scheduler.step(val["top1"])
        else:
            scheduler.step()
        stop = None
        if recipe.schedule == "plateau" and current_lr(optimizer) < recipe.min_lr * (1 - 1e-9):
            stop = "min_lr"  # "divide it by a factor of 10 ... until 1e-6"
        save_checkpoint(run_dir / results.CHECKPOINT, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "history": history, "epoch": epoch + 1,
            "elapsed": elapsed, "rng": rng_state(), "stopped": stop})
        results.write_metrics(run_dir, history)
        if stop:
            stopped = stop
            break
    reported = None
    if test_set is not None and history:
        reported = evaluate(model, test_set, batch_size=recipe.eval_batch_size, num_workers=recipe.num_workers,
                            device=device)
    return _finish(run_dir, config, history, elapsed, stopped or "epochs", reported)


def _finish(run_dir: Path, config: dict, history: list[dict], elapsed: float, stopped: str,
            reported: dict | None = None) -> dict:
    """``reported``: the test split's metrics (else the last epoch's validation metrics are reported)."""
    if not history:
        raise ValueError(f"{run_dir}: no epoch was trained (recipe.epochs must be >= 1)")
    last = history[-1]
    summary = {"schema": results.SCHEMA, "experiment": config.get("experiment", ""),
               "model": config.get("model", ""), "profile": config.get("profile", ""),
               "seed": int(config["seed"]), "epochs": len(history),
               "top1": (reported or {}).get("top1", last["val_top1"]),
               "top5": (reported or {}).get("top5", last["val_top5"]),
               "reported_split": "val" if reported is None else "test",
               "val_top1": last["val_top1"], "best_top1": max(h["val_top1"] for h in history),
               "final_train_loss": last["train_loss"], "train_seconds": round(elapsed, 3),
               "stopped": stopped, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if not all(math.isfinite(summary[k]) for k in ("top1", "top5")):
        raise FloatingPointError(f"{run_dir}: non-finite accuracy {summary['top1']}")
    results.finish_run(run_dir, summary)
    return summary
