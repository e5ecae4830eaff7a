"""Run directories under ``results/``: how training writes them and how tables read them back.

One directory per run (DESIGN.md, "Results")::

    results/<experiment>/<profile>/<model>_s<seed>_<confighash>/
        config.json      what was run (experiment, model, profile, seed, dataset, recipe, ...)
        env.json         where it ran (git commit, package versions, CPU/GPU)
        metrics.jsonl    one JSON object per finished epoch
        checkpoint.pt    the latest epoch's state (model, optimizer, schedule, RNG), for resuming
        summary.json     written atomically, last: its presence is what makes a run *finished*

A run without ``summary.json`` is unfinished and is never read as finished. :func:`scan` sorts every
run directory into finished runs and bad ones (with the reason), so a table generator can render from
the good runs and name the bad ones.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

SCHEMA = 1
CONFIG, ENV, METRICS, SUMMARY, CHECKPOINT = (
    "config.json", "env.json", "metrics.jsonl", "summary.json", "checkpoint.pt")
# Keys (and types) a summary must hold to be read as a finished run.
SUMMARY_KEYS = {"schema": int, "experiment": str, "model": str, "profile": str, "seed": int,
                "epochs": int, "top1": float, "top5": float}
METRIC_KEYS = {"epoch": int, "train_loss": float, "val_top1": float, "val_top5": float, "lr": float}
PACKAGES = ("torch", "torchvision", "numpy", "numba", "numba-cuda", "submitit", "fcnn-hocp-suite")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = REPO / "results"
PROFILES = ("paper", "local")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    return profile


class BadRun(ValueError):
    """A run directory that cannot be read as a finished, well-formed run; ``reason`` says why.
    (:func:`scan` lists these beside the good runs, so tables can name what they skipped.)"""

    def __init__(self, path, reason: str):
        super().__init__(reason)
        self.path, self.reason = Path(path), reason


class UnfinishedRun(BadRun):
    """A run directory without ``summary.json``: still training, or killed before the end."""


# ----------------------------------------------------------------------------------------------- writing
def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``: readers see
    the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def append_json_lines(path: Path, rows) -> None:
    """Append one JSON object per line to a log (jobs.jsonl) in one write: a reader sees whole
    lines, except at worst a torn last one, which readers of such logs skip."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))


def config_hash(config: dict) -> str:
    """Short stable hash of a run's config: a changed recipe gets a new directory, not a wrong resume."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]


def run_dir_for(results_root, config: dict) -> Path:
    """The directory of the run described by ``config`` (needs experiment, profile, model, seed)."""
    for key in ("experiment", "profile", "model", "seed"):
        if key not in config:
            raise ValueError(f"config: expected key {key!r} (experiment, profile, model, seed), got {sorted(config)}")
    name = f"{config['model']}_s{config['seed']}_{config_hash(config)}"
    return Path(results_root) / config["experiment"] / config["profile"] / name


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict:
    """Git commit, package versions and hardware of this process (env.json)."""
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    env = {"git_commit": git_commit(), "python": sys.version.split()[0], "packages": versions,
           "platform": platform.platform(), "machine": platform.machine(),
           "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
           "hostname": platform.node(), "slurm_job_id": os.environ.get("SLURM_JOB_ID")}
    try:
        import torch
        env["torch_threads"] = torch.get_num_threads()
        env["cuda"] = torch.cuda.is_available()
        env["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return env


def check_config(run_dir: Path, config: dict) -> bool:
    """True if ``run_dir`` holds ``config``, False if it holds none; ValueError if it holds another."""
    path = Path(run_dir) / CONFIG
    if not path.exists():
        return False
    if read_json(path) != json.loads(json.dumps(config)):
        raise ValueError(f"{run_dir}: holds a run with another config; expected the same config to resume")
    return True


def start_run(run_dir: Path, config: dict, env: dict | None = None) -> None:
    """Write config.json (refusing a directory holding another config) and env.json."""
    run_dir = Path(run_dir)
    if not check_config(run_dir, config):
        atomic_write_json(run_dir / CONFIG, config)
    atomic_write_json(run_dir / ENV, {**environment(), **(env or {})})


def write_metrics(run_dir: Path, history: list[dict]) -> None:
    """Rewrite metrics.jsonl from the full per-epoch history (atomic, so a resumed run never keeps
    a line of an epoch its checkpoint does not have)."""
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in history)
    atomic_write_bytes(Path(run_dir) / METRICS, text.encode())


def finish_run(run_dir: Path, summary: dict) -> None:
    """Write summary.json, atomically and last: from now on the run is finished."""
    check_schema(summary, SUMMARY_KEYS, "summary.json")
    atomic_write_json(Path(run_dir) / SUMMARY, summary)


def is_finished(run_dir: Path) -> bool:
    return (Path(run_dir) / SUMMARY).is_file()


# ----------------------------------------------------------------------------------------------- reading
@dataclass
class Run:
    """A finished run as read back from its directory."""
    path: Path
    config: dict
    summary: dict
    metrics: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def check_schema(obj, keys: dict, what: str) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    for key, typ in keys.items():
        if key not in obj:
            raise ValueError(f"{what}: missing key {key!r}")
        value = obj[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) if typ is float \
            else isinstance(value, typ) and not (typ is int and isinstance(value, bool))
        if not ok:
            raise ValueError(f"{what}: key {key!r} expected {typ.__name__}, got {value!r}")
    if what == "summary.json" and obj["schema"] != SCHEMA:
        raise ValueError(f"summary.json: schema {obj['schema']!r}, expected {SCHEMA}")


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{Path(path).name}: not valid JSON ({e})") from None


def read_metrics(path: Path) -> list[dict]:
    rows = []
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise ValueError(f"{METRICS}: line {i} is not valid JSON (truncated?): {line[:60]!r}") from None
        check_schema(row, METRIC_KEYS, f"{METRICS} line {i}")
        rows.append(row)
    return rows


def read_run(run_dir: Path) -> Run:
    """Read one finished run; :class:`UnfinishedRun` if it has no summary yet, :class:`BadRun`
    (with the reason) if it is not a finished, well-formed run."""
    run_dir = Path(run_dir)
    for name in (CONFIG, METRICS):
        if not (run_dir / name).is_file():
            raise BadRun(run_dir, f"missing {name}")
    if not is_finished(run_dir):
        raise UnfinishedRun(run_dir, f"unfinished: no {SUMMARY}")
    try:
        return _read_finished(run_dir)
    except (ValueError, OSError) as e:
        raise BadRun(run_dir, str(e)) from None


def _read_finished(run_dir: Path) -> Run:
    config = read_json(run_dir / CONFIG)
    summary = read_json(run_dir / SUMMARY)
    check_schema(summary, SUMMARY_KEYS, SUMMARY)
    metrics = read_metrics(run_dir / METRICS)
    if len(metrics) != summary["epochs"]:
        raise ValueError(f"{METRICS} has {len(metrics)} epochs, summary says {summary['epochs']}")
    for key in ("experiment", "model", "profile", "seed"):
        if config.get(key) != summary[key]:
            raise ValueError(f"config {key}={config.get(key)!r} differs from summary {key}={summary[key]!r}")
    return Run(run_dir, config, summary, metrics)


def run_dirs(results_root, experiment: str | None = None, profile: str | None = None) -> list[Path]:
    """Every run directory (one holding config.json) under results/<experiment>/<profile>/."""
    root = Path(results_root)
    base = root / experiment if experiment else root
    if profile:
        bases = [base / profile] if experiment else sorted(base.glob(f"*/{profile}"))
    else:
        bases = [base]
    dirs = set()
    for b in bases:
        if b.is_dir():
            dirs.update(p.parent for p in b.rglob(CONFIG))
            dirs.update(p.parent for p in b.rglob(SUMMARY))
    return sorted(dirs)


def scan(results_root, experiment: str | None = None, profile: str | None = None):
    """(finished runs, bad runs) under ``results_root`` for one experiment and profile.

    A run whose config names another profile or experiment than the directory it sits in is bad: the
    reader never mixes profiles silently.
    """
    good, bad = [], []
    for d in run_dirs(results_root, experiment, profile):
        try:
            run = read_run(d)
            if profile and run.config.get("profile") != profile:
                raise BadRun(d, f"profile {run.config.get('profile')!r} in a {profile!r} directory")
            if experiment and run.config.get("experiment") != experiment:
                raise BadRun(d, f"experiment {run.config.get('experiment')!r} in a {experiment!r} directory")
            good.append(run)
        except BadRun as e:
            bad.append(e)
    return good, bad


# ----------------------------------------------------------------------------------------------- pandas
def runs_frame(results_root, experiment: str | None = None, profile: str | None = None):
    """One row per run (identity, status, summary, flattened config and env): see :mod:`suite.frames`."""
    from .frames import runs_frame as frame
    return frame(results_root, experiment, profile)


def metrics_frame(results_root, experiment: str | None = None, profile: str | None = None):
    """One row per logged epoch per run (identity, status, metrics.jsonl keys): see :mod:`suite.frames`."""
    from .frames import metrics_frame as frame
    return frame(results_root, experiment, profile)
