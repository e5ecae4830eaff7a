"""The live training log: one line per finished epoch, on the console and in the run's ``train.log``.

The line follows timm's train script (epoch, lr, train loss, validation top-1/top-5, epoch time) plus the
run's ETA, so a job log (``--no-progress``, SLURM, the pool executor) shows progress without progress bars
(one line, wrapped here)::

    fcnn-table2/local/fcnn-a_s0_0c8a4332 | epoch  3/10 | lr 1.000e-01 | train loss 1.2345 |
        val top-1 61.20% top-5 95.10% | 12.3s | ETA 0:01:26

The ETA is the mean time of the epochs done so far (including those before a resume) times the epochs
left of the recipe's maximum: a plateau schedule may stop earlier, so it is an upper bound there.
``stamp`` gives the run id and UTC time that every ``metrics.jsonl`` line carries.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from .layout import run_id

TRAIN_LOG = "train.log"


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hms(seconds: float) -> str:
    return str(datetime.timedelta(seconds=round(max(seconds, 0.0))))


def eta_seconds(elapsed: float, epochs_done: int, epochs_total: int) -> float:
    """Mean epoch time so far times the epochs left (0 when done or nothing is known yet)."""
    if epochs_done <= 0:
        return 0.0
    return elapsed / epochs_done * max(epochs_total - epochs_done, 0)


def epoch_line(rid: str, row: dict, *, epochs_total: int, elapsed: float) -> str:
    """The log line of one metrics row (keys of ``suite.runs.METRIC_KEYS`` plus ``seconds``)."""
    width = len(str(epochs_total))
    eta = eta_seconds(elapsed, row["epoch"], epochs_total)
    return (f"{rid} | epoch {row['epoch']:>{width}}/{epochs_total} | lr {row['lr']:.3e} | "
            f"train loss {row['train_loss']:.4f} | val top-1 {row['val_top1']:.2f}% top-5 {row['val_top5']:.2f}% | "
            f"{row.get('seconds', 0.0):.1f}s | ETA {hms(eta)}")


class TrainLog:
    """Writes the epoch lines of one run to stdout and appends them, after the UTC time, to
    ``<run_dir>/train.log`` (which keeps the lines of every attempt of a resumed run)."""

    def __init__(self, run_dir, config: dict, *, epochs_total: int, start_epoch: int = 0, echo: bool = True):
        self.path = Path(run_dir) / TRAIN_LOG
        self.rid, self.epochs_total, self.echo = run_id(run_dir, config), epochs_total, echo
        what = f"resumed after epoch {start_epoch}" if start_epoch else "started"
        self.write(f"{self.rid} | {what}, at most {epochs_total} epochs")

    def stamp(self) -> dict:
        """The run id and UTC time a metrics.jsonl line carries."""
        return {"run_id": self.rid, "time": utc_now()}

    def epoch(self, row: dict, elapsed: float) -> str:
        """Log one finished epoch; ``elapsed`` is the run's training time so far over all its epochs."""
        line = epoch_line(self.rid, row, epochs_total=self.epochs_total, elapsed=elapsed)
        self.write(line)
        return line

    def write(self, line: str) -> None:
        if self.echo:
            print(line, flush=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:  # one write per line (UTC time first): a reader sees whole lines
            f.write(f"{utc_now()} {line}\n")
