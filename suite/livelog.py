"""Live training curves: every epoch's metrics sent to TensorBoard and/or Weights & Biases as the epoch ends
(``python -m jobs run ... --log tensorboard``), not exported after the run (``paper_tables curves --tensorboard``
does that, from metrics.jsonl).

``suite.train`` calls an :class:`EpochLoggers` once per finished epoch with the row it appends to
``metrics.jsonl`` (so the live curves and the table read the same numbers) and closes it when the run ends.
Backends (``BACKENDS``):

- ``tensorboard``: event files under ``<run dir>/tb/`` (torch.utils.tensorboard; ``tensorboard --logdir
  results/``), one scalar per metric, the step is the epoch; a resumed run appends a new event file and its
  epochs continue where the checkpoint left off.
- ``wandb``: one W&B run per run directory (its id is the directory's name, so a resumed run continues it),
  the run's config as W&B config, files under ``<run dir>/wandb/``; project $WANDB_PROJECT, else
  ``fcnn-hocp-suite``; W&B's own settings (WANDB_MODE=offline, WANDB_API_KEY, ...) apply.

The backend to log to is a launch option of ``jobs run`` (it travels to every executor with the call), not a
part of the run's configuration: logging never changes a run's identity or its results. Under DDP only rank 0
logs (``jobs.runner``).
"""
from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

# backend -> (the module it needs, how to install it)
BACKENDS = {"tensorboard": ("tensorboard", "pip install tensorboard"), "wandb": ("wandb", "pip install wandb")}
TB_DIR = "tb"
DEFAULT_WANDB_PROJECT = "fcnn-hocp-suite"


def parse(values) -> tuple[str, ...]:
    """The backends of ``--log`` (repeatable or comma-separated), each checked to be known and installed: an
    unknown or absent one is a one-line ValueError naming it (and the pip command), before any run starts."""
    names = tuple(dict.fromkeys(v.strip() for text in values or () for v in str(text).split(",") if v.strip()))
    for name in names:
        if name not in BACKENDS:
            raise ValueError(f"--log {name}: unknown backend; expected one or more (comma-separated) of: "
                             f"{', '.join(BACKENDS)}")
        module, pip = BACKENDS[name]
        if find_spec(module) is None:
            raise ValueError(f"--log {name}: needs the {module} package, which is not installed; install it with "
                             f"`{pip}` (or run without --log {name})")
    return names


class TensorBoardLogger:
    """Scalars of each epoch into ``<run dir>/tb/``, flushed at once (a running ``tensorboard`` sees them)."""

    def __init__(self, run_dir: Path, config: dict):
        from torch.utils.tensorboard import SummaryWriter
        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / TB_DIR))

    def epoch(self, row: dict) -> None:
        for key, value in _scalars(row).items():
            self.writer.add_scalar(key, value, int(row["epoch"]))
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class WandbLogger:
    """One W&B run per run directory, resumed with it."""

    def __init__(self, run_dir: Path, config: dict):
        import wandb
        run_dir = Path(run_dir)
        self.run = wandb.init(project=os.environ.get("WANDB_PROJECT") or DEFAULT_WANDB_PROJECT, id=run_dir.name,
                              name=run_dir.name, resume="allow", dir=str(run_dir), config=config,
                              group=f"{config.get('experiment')}/{config.get('profile')}", reinit=True)

    def epoch(self, row: dict) -> None:
        self.run.log(_scalars(row), step=int(row["epoch"]))

    def close(self) -> None:
        self.run.finish()


LOGGERS = {"tensorboard": TensorBoardLogger, "wandb": WandbLogger}


def _scalars(row: dict) -> dict:
    """The numeric values of a metrics row, less its epoch (the step)."""
    return {k: float(v) for k, v in row.items()
            if k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool)}


class EpochLoggers:
    """The loggers of one run: ``epoch(row)`` after every finished epoch, ``close()`` when the run ends."""

    def __init__(self, names=(), run_dir=None, config: dict | None = None):
        self.loggers = [LOGGERS[name](Path(run_dir), dict(config or {})) for name in parse(names)]

    def epoch(self, row: dict) -> None:
        for logger in self.loggers:
            logger.epoch(row)

    def close(self) -> None:
        for logger in self.loggers:
            logger.close()
