"""When a run counts as finished: summary.json agrees with the last line of metrics.jsonl and with
config.json, every number is finite, the code commit is recorded, and no file changed after the summary was
written (their SHA-256 digests)."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadRun, UnfinishedRun
from .identity import identity_key
from .layout import CONFIG, DIGESTED, METRICS, SCHEMA, SUMMARY, SUMMARY_KEYS, TEST
from .read import check_schema, read_json, read_metrics


@dataclass
class Run:
    """A finished, verified run as read back from its directory."""
    path: Path
    config: dict
    summary: dict
    metrics: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def identity(self) -> str:
        return identity_key(self.config)


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file (a link or FIFO is refused, never followed or waited on)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{path}: not a regular file")
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_finished(run_dir: Path) -> bool:
    """summary.json exists (not yet verified: see :func:`suite.runs.classify`)."""
    return (Path(run_dir) / SUMMARY).is_file()


def _read_config(run_dir: Path) -> dict:
    for name in (CONFIG, METRICS):
        if not (run_dir / name).is_file():
            raise ValueError(f"missing {name}")
    config = read_json(run_dir / CONFIG)
    if not isinstance(config, dict):
        raise ValueError(f"{CONFIG}: expected a JSON object, got {type(config).__name__}")
    return config


def _check_values(run_dir: Path, summary: dict, metrics: list[dict]) -> None:
    """The summary's numbers are those of metrics.jsonl (and test.json when it reports the test split)."""
    last = metrics[-1]
    # a run reporting its test split (read once after training) keeps the last validation top-1/5 as val_top1/5
    on_test = summary.get("reported_split") == "test"
    expected = {"val_top1" if on_test else "top1": last["val_top1"],
                "val_top5" if on_test else "top5": last["val_top5"],
                "final_train_loss": last["train_loss"], "best_top1": max(m["val_top1"] for m in metrics)}
    for key, value in expected.items():
        if summary.get(key) != value:
            raise ValueError(f"summary {key}={summary.get(key)!r} differs from {METRICS} ({value!r})")
    if on_test:
        if TEST not in summary["files"] or not (run_dir / TEST).is_file():
            raise ValueError(f"summary reports the test split but {TEST} is missing or not digested")
        test = read_json(run_dir / TEST)
        if not isinstance(test, dict):
            raise ValueError(f"{TEST}: expected a JSON object")
        for key in ("top1", "top5"):
            if summary[key] != test.get(key):
                raise ValueError(f"summary {key}={summary[key]!r} differs from {TEST} ({test.get(key)!r})")


def _check_digests(run_dir: Path, summary: dict, absent: tuple = ()) -> None:
    digests = summary["files"]
    for name in DIGESTED:
        if name not in digests:
            raise ValueError(f"summary.json: no digest of {name}")
        if name in absent and not (run_dir / name).exists():
            continue
        if not (run_dir / name).is_file():
            raise ValueError(f"missing {name}")
        if file_digest(run_dir / name) != digests[name]:
            raise ValueError(f"{name} changed after the run finished (its digest differs from summary.json)")
    if summary.get("reported_split") == "test" and file_digest(run_dir / TEST) != digests[TEST]:
        raise ValueError(f"{TEST} changed after the run finished (its digest differs from summary.json)")


def verify(run_dir: Path, summary, absent: tuple = ()) -> tuple[dict, list[dict]]:
    """Check that ``summary`` describes ``run_dir`` (see the module docstring); returns (config,
    metrics). ValueError with the reason otherwise. ``absent``: digested files that may be missing (a
    shipped reference run keeps no checkpoint, see :mod:`.reference`); present, they are still checked."""
    run_dir = Path(run_dir)
    if isinstance(summary, dict) and summary.get("schema", SCHEMA) != SCHEMA:
        raise ValueError(f"summary.json: schema {summary['schema']!r}, expected {SCHEMA} (written by another "
                         f"version of the suite, without what verifies a run; run it again)")
    check_schema(summary, SUMMARY_KEYS, SUMMARY)
    config = _read_config(run_dir)
    metrics = read_metrics(run_dir / METRICS)
    if len(metrics) != summary["epochs"] or not metrics:
        raise ValueError(f"{METRICS} has {len(metrics)} epochs, summary says {summary['epochs']}")
    for key in ("experiment", "model", "profile", "seed"):
        if config.get(key) != summary[key]:
            raise ValueError(f"config {key}={config.get(key)!r} differs from summary {key}={summary[key]!r}")
    _check_values(run_dir, summary, metrics)
    if not summary["git_commit"]:
        raise ValueError("summary.json: no code commit recorded")
    _check_digests(run_dir, summary, absent)
    return config, metrics


def read_run(run_dir: Path) -> Run:
    """Read one finished run; :class:`UnfinishedRun` if it has no summary yet, :class:`BadRun`
    (with the reason) if it does not verify."""
    run_dir = Path(run_dir)
    if not is_finished(run_dir):
        raise UnfinishedRun(run_dir, f"unfinished: no {SUMMARY}")
    try:
        summary = read_json(run_dir / SUMMARY)
        config, metrics = verify(run_dir, summary)
    except (ValueError, OSError) as e:
        raise BadRun(run_dir, str(e)) from None
    return Run(run_dir, config, summary, metrics)
