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
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from . import livelog, runs
from .experiments.recipe import SCHEDULES, Recipe  # noqa: F401  (suite.train.Recipe: the recipe it trains)
from .runs import trainlog


# ----------------------------------------------------------------------------------------------- helpers
def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919) % (2 ** 31)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def rng_state() -> dict:
    """The RNG states as tensors and plain data (a checkpoint loads with ``weights_only=True``)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": [name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)]}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    random.setstate(state["python"])


def topk_correct(logits: torch.Tensor, target: torch.Tensor, ks=(1, 5)) -> list[int]:
    """Number of samples whose label is among the top-k scores, for each k (k capped at #classes)."""
    maxk = min(max(ks), logits.shape[1])
    pred = logits.topk(maxk, dim=1).indices
    hit = pred.eq(target.unsqueeze(1))
    return [int(hit[:, :min(k, maxk)].any(dim=1).sum()) for k in ks]


def batch_layout(recipe: Recipe, dataset) -> torch.memory_format:
    """The torch layout of ``recipe.memory_format`` for ``dataset``'s samples: channels-last only for images (C, H, W);
    "contiguous" keeps every tensor's layout as it comes (``preserve_format``), as before the field existed."""
    if recipe.memory_format == "contiguous":
        return torch.preserve_format
    shape = tuple(getattr(dataset, "sample_shape", None) or dataset[0][0].shape)
    if len(shape) != 3:
        raise ValueError(f"recipe.memory_format: 'channels_last' is for image samples (C, H, W), got samples of "
                         f"shape {shape}; use 'contiguous'")
    return torch.channels_last


@torch.no_grad()
def evaluate(model, dataset, *, batch_size: int = 256, num_workers: int = 0, device="cpu",
             memory_format=torch.preserve_format) -> dict:
    """Top-1 / top-5 accuracy (%) and mean loss over ``dataset`` (its transform is the center crop)."""
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    n = c1 = c5 = 0
    loss = 0.0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True, memory_format=memory_format), y.to(device, non_blocking=True)
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
    runs.atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: Path) -> dict | None:
    """The checkpoint's tensors and plain data; never unpickles code (``weights_only=True``)."""
    if not path.is_file():
        return None
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(ckpt, dict) or not {"model", "optimizer", "scheduler", "history", "epoch"} <= set(ckpt):
            raise ValueError("not a checkpoint of suite.train")
        return ckpt
    except Exception as e:  # truncated, garbage, a foreign pickle: say which file and what to do
        raise ValueError(f"{path}: unreadable checkpoint ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                         f"delete it to restart this run from its first epoch") from None


# ----------------------------------------------------------------------------------------------- training
def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_epoch(model, loader, optimizer, *, progress: bool, desc: str, hook=None, device="cpu",
                memory_format=torch.preserve_format) -> float:
    """One pass over ``loader``; returns the mean training loss."""
    from tqdm.auto import tqdm
    model.train()
    total, n = 0.0, 0
    for step, (x, y) in enumerate(tqdm(loader, desc=desc, leave=False, disable=not progress)):
        x, y = x.to(device, non_blocking=True, memory_format=memory_format), y.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        if not torch.isfinite(loss):
            raise runs.Diverged(f"{desc}: training loss is {float(loss)} at step {step}; training diverged, "
                                   f"lower the learning rate (--set recipe.lr=...)")
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        n += len(y)
        if hook is not None:
            hook(step)
    return total / max(n, 1)


def train(model, train_set, val_set, *, recipe: Recipe, run_dir, seed: int = 0, config: dict | None = None,
          env: dict | None = None, progress: bool = True, hook=None, device=None, test_set=None, log=()) -> dict:
    """Train ``model`` with ``recipe`` into ``run_dir`` (see :mod:`suite.runs`), resuming from
    ``run_dir/checkpoint.pt`` if present. Returns the summary (also written to summary.json).

    ``config`` (JSON) defines the run: resuming into a directory holding another config is refused.
    ``env`` adds entries to env.json (e.g. where the data came from).
    ``hook(epoch, step)`` is called after every optimizer step (tests use it to kill a run mid-epoch).
    ``device``: default CUDA when available (paper profile on a GPU node), else CPU.
    ``test_set``: the reported split, when it is not ``val_set``: read once, after the last epoch, for the
    summary's top-1/top-5; the schedule and the stopping rule read ``val_set`` only.
    ``log``: live-curve backends (see :mod:`suite.livelog`), sent each epoch's metrics row as it ends.
    """
    run_dir = Path(run_dir)
    log = livelog.parse(log)  # an unknown or absent backend fails before the run starts
    config = dict(config or {})
    config.setdefault("seed", seed)
    config.setdefault("recipe", recipe.to_dict())
    with runs.lock_run(run_dir) as heartbeat:
        status = runs.classify(run_dir, check_lock=False)
        if status.state == runs.FINISHED:  # done and verified: never retrain, never rewrite env.json
            runs.check_config(run_dir, config)
            return status.run.summary
        if status.state == runs.BAD:  # keep the damaged directory, train the run afresh
            aside = runs.set_aside(run_dir)
            print(f"{run_dir.name}: bad run ({status.reason}); moved to {aside.name}, training it again", flush=True)
        device = torch.device(device) if device is not None else default_device()
        runs.start_run(run_dir, config, {**(env or {}), "device": str(device)})
        loggers = livelog.EpochLoggers(log, run_dir, config)
        try:
            return _train(model, train_set, val_set, recipe, run_dir, seed, config, progress, hook, device, heartbeat,
                          test_set, loggers)
        except Exception as e:  # the directory says why it stopped (status); a rerun resumes and clears it
            runs.record_failure(run_dir, e)
            raise
        finally:
            loggers.close()


def _train(model, train_set, val_set, recipe, run_dir, seed, config, progress, hook, device, heartbeat,
           test_set=None, loggers=None) -> dict:
    ckpt = load_checkpoint(run_dir / runs.CHECKPOINT)
    if ckpt is not None and 0 < recipe.decompose_after <= ckpt["epoch"]:
        decomposable(model).decompose(fit=False)  # the checkpoint holds the decomposed network: its shapes first
    layout = batch_layout(recipe, train_set)
    model.to(device, memory_format=layout)
    optimizer = make_optimizer(model, recipe)
    scheduler = make_scheduler(optimizer, recipe)
    history, start, elapsed = [], 0, 0.0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        model.to(device, memory_format=layout)
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        history, start, elapsed = ckpt["history"], ckpt["epoch"], ckpt["elapsed"]
        print(f"{run_dir.name}: resumed from epoch {start} ({run_dir / runs.CHECKPOINT})", flush=True)
        set_rng_state(ckpt["rng"])
        runs.write_metrics(run_dir, history)  # drop any line of an epoch the checkpoint lacks
    stopped = ckpt.get("stopped") if ckpt is not None else None  # e.g. killed between checkpoint and summary
    log = trainlog.TrainLog(run_dir, config, epochs_total=recipe.epochs, start_epoch=start)
    for epoch in range(start, recipe.epochs):
        if stopped:
            break
        t0 = time.perf_counter()
        seed_everything(epoch_seed(seed, epoch))
        order = torch.Generator().manual_seed(epoch_seed(seed, epoch) + 1)
        loader = DataLoader(train_set, batch_size=recipe.batch_size, shuffle=True, generator=order,
                            num_workers=recipe.num_workers, drop_last=False)
        lr = current_lr(optimizer)

        def step_hook(step, e=epoch):
            heartbeat()
            if hook:
                hook(e, step)
        desc = f"{config.get('model', 'model')} s{seed} epoch {epoch + 1}/{recipe.epochs}"
        loss = train_epoch(model, loader, optimizer, progress=progress, desc=desc, hook=step_hook, device=device,
                           memory_format=layout)
        val = evaluate(model, val_set, batch_size=recipe.eval_batch_size, num_workers=recipe.num_workers,
                       device=device, memory_format=layout)
        check_finite(model, val["loss"], f"{run_dir}: epoch {epoch + 1}")
        elapsed += time.perf_counter() - t0
        history.append({**log.stamp(), "epoch": epoch + 1, "train_loss": loss, "val_top1": val["top1"],
                        "val_top5": val["top5"], "val_loss": val["loss"], "lr": lr,
                        "seconds": round(time.perf_counter() - t0, 3)})
        if recipe.schedule == "plateau":
            scheduler.step(val["top1"])
        else:
            scheduler.step()
        stop = None
        if recipe.schedule == "plateau" and current_lr(optimizer) < recipe.min_lr * (1 - 1e-9) \
                and epoch + 1 >= recipe.decompose_after:  # the dense phase of a decomposition run never ends it
            stop = "min_lr"  # "divide it by a factor of 10 ... until 1e-6"
        if epoch + 1 == recipe.decompose_after:
            history[-1].update(_decompose(model, val_set, recipe, device))
            optimizer, scheduler = _restart(model, optimizer, scheduler, recipe)
        save_checkpoint(run_dir / runs.CHECKPOINT, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "history": history, "epoch": epoch + 1,
            "elapsed": elapsed, "rng": rng_state(), "stopped": stop})
        runs.write_metrics(run_dir, history)
        heartbeat()
        log.epoch(history[-1], elapsed)
        if loggers is not None:  # live curves: this epoch's row, as metrics.jsonl holds it
            loggers.epoch(history[-1])
        if stop:
            stopped = stop
            break
    summary = runs.make_summary(config, history, elapsed, stopped or "epochs")
    if test_set is not None:  # the reported split, read once, now that no decision is left to make
        test = evaluate(model, test_set, batch_size=recipe.eval_batch_size, num_workers=recipe.num_workers,
                        device=device, memory_format=layout)
        runs.atomic_write_json(run_dir / runs.TEST, test)
        summary = reported_on_test(summary, test)
    return runs.finish_run(run_dir, summary, owner=getattr(heartbeat, "token", None))


def decomposable(model):
    """``model``, checked to offer ``decompose(fit=...)`` (and not to be a DDP wrapper, whose parameters are fixed)."""
    if isinstance(model, torch.nn.parallel.DistributedDataParallel):
        raise ValueError("recipe.decompose_after: decomposing a network in a multi-task (DDP) job is not supported; "
                         "run it as a single task")
    if not callable(getattr(model, "decompose", None)):
        raise ValueError(f"recipe.decompose_after: model {type(model).__name__} has no decompose() method (e.g. "
                         f"'convnet3d-cp-finetune' has one)")
    return model


def _decompose(model, val_set, recipe: Recipe, device) -> dict:
    """Decompose the trained ``model`` in place and measure it before any fine-tuning: validation accuracy right
    after the decomposition and the mean relative reconstruction error of the decomposed kernels. These go into
    the metrics line of the last dense epoch (digested with the run, so tables can trust them)."""
    errors = decomposable(model).decompose(fit=True)
    model.to(device)
    after = evaluate(model, val_set, batch_size=recipe.eval_batch_size, num_workers=recipe.num_workers, device=device)
    check_finite(model, after["loss"], "after the decomposition")
    return {"decomposed_val_top1": after["top1"], "decomposed_val_top5": after["top5"],
            "decomposed_val_loss": after["loss"], "decomposed_layers": len(errors),
            "decomposition_error": float(np.mean(errors))}


def _restart(model, optimizer, scheduler, recipe: Recipe):
    """A new optimizer over the decomposed network's parameters (the momentum buffers belonged to the dense
    kernels) at the learning rate in effect, and the schedule carried on where it was: one schedule for the
    whole run, as the network trained from scratch gets."""
    lr, state = current_lr(optimizer), scheduler.state_dict()
    optimizer = make_optimizer(model, recipe)
    for group in optimizer.param_groups:
        group["lr"] = lr
    scheduler = make_scheduler(optimizer, recipe)
    scheduler.load_state_dict(state)
    return optimizer, scheduler


def reported_on_test(summary: dict, test: dict) -> dict:
    """``summary`` reporting the test split's top-1/top-5; the last validation ones stay as val_top1/5."""
    return {**summary, "top1": test["top1"], "top5": test["top5"], "reported_split": "test",
            "val_top1": summary["top1"], "val_top5": summary["top5"]}


def check_finite(model, val_loss: float, where: str) -> None:
    """A diverged run stops here, before its epoch is saved: it never reaches a summary."""
    bad = [name for name, t in model.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad or not math.isfinite(val_loss):
        what = f"weights {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}" if bad else f"validation loss {val_loss}"
        raise runs.Diverged(f"{where}: training diverged ({what} not finite); lower the learning rate "
                               f"(--set recipe.lr=...)")
