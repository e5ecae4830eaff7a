"""Run directories under ``results/``: how training writes them and how tables read them back.

One directory per run (DESIGN.md, "Results")::

    results/<experiment>/<profile>/<model>_s<seed>_<confighash>/
        config.json      what was run: experiment, model, profile, seed, dataset, the data's
                         fingerprint, recipe, every override (the run's identity)
        env.json         where it ran (git commit, package versions, CPU/GPU)
        metrics.jsonl    one JSON object per finished epoch
        checkpoint.pt    the latest epoch's state (tensors and plain data only), for resuming
        failure.json     why the last attempt failed (e.g. diverged), if it did
        summary.json     written atomically, last; holds the digest of every file above
    results/<experiment>/<profile>/.<run name>.lock   flock'd while a process trains the run

:func:`classify` is the one reading of a run directory (not started / running / unfinished /
failed / finished / bad): ``jobs run``, ``jobs status`` and the tables all use it, so they cannot
disagree. A run is *finished* only when it verifies: summary.json agrees with the last line of
metrics.jsonl and with config.json, every number is finite, the code commit is recorded, and no file
changed after the summary was written. Nothing here ever unpickles: JSON is parsed, checkpoints are
only hashed.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

SCHEMA = 2
CONFIG, ENV, METRICS, SUMMARY, CHECKPOINT, FAILURE = (
    "config.json", "env.json", "metrics.jsonl", "summary.json", "checkpoint.pt", "failure.json")
DIGESTED = (CONFIG, ENV, METRICS, CHECKPOINT)  # files a summary vouches for, by their SHA-256
TEST = "test.json"  # the reported test split's metrics, read once after training (digested when present)
# Keys (and types) a summary must hold to be read as a finished run.
SUMMARY_KEYS = {"schema": int, "experiment": str, "model": str, "profile": str, "seed": int,
                "epochs": int, "top1": float, "top5": float, "best_top1": float, "final_train_loss": float,
                "train_seconds": float, "stopped": str, "finished_at": str, "git_commit": str, "files": dict}
METRIC_KEYS = {"epoch": int, "train_loss": float, "val_top1": float, "val_top5": float, "val_loss": float,
               "lr": float}
PACKAGES = ("torch", "torchvision", "numpy", "numba", "numba-cuda", "submitit", "fcnn-hocp-suite")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = REPO / "results"
RESULTS_ENV = "SUITE_RESULTS"  # a results root elsewhere than this checkout (e.g. a cluster's shared scratch)
RESULTS_HELP = f"results root (default: ${RESULTS_ENV} if set, else {DEFAULT_RESULTS})"
PROFILES = ("paper", "local")
HEARTBEAT_S = 15.0  # a training process touches its lock file at most this often


def results_root(root=None) -> Path:
    """``root`` if given, else ``$SUITE_RESULTS`` if set, else ``results/`` of this checkout; read at each
    call (not at import), so the variable set by a job script or a test applies."""
    if root is not None and str(root):
        return Path(root)
    env = os.environ.get(RESULTS_ENV, "").strip()
    return Path(env).expanduser() if env else DEFAULT_RESULTS


def project_version() -> str:
    """This project's version: the installed package's metadata, else pyproject.toml's (a plain checkout)."""
    try:
        return metadata.version("fcnn-hocp-suite")
    except metadata.PackageNotFoundError:
        import tomllib
        return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


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

    def __reduce__(self):  # crosses process boundaries (pool workers) intact
        return type(self), (self.path, self.reason)


class UnfinishedRun(BadRun):
    """A run directory without ``summary.json``: still training, or killed before the end."""


class RunLocked(RuntimeError):
    """Another process holds the run directory's lock (it is training that run)."""

    def __init__(self, run_dir, holder: str):
        super().__init__(f"{run_dir}: being trained by {holder}; skipped (not trained twice)")
        self.path, self.holder = Path(run_dir), holder

    def __reduce__(self):
        return type(self), (self.path, self.holder)


class Diverged(FloatingPointError):
    """Training produced a non-finite loss, validation loss or weight."""


# ----------------------------------------------------------------------------------------------- writing
def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, for every thread)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``: readers see
    the old file or the new one, never half of one. The file gets the user's umask (mkstemp's 0600
    would hide shared results from colleagues)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode())


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
    code = git_commit() or f"fcnn-hocp-suite {versions['fcnn-hocp-suite']} (not a git checkout)"
    env = {"git_commit": code, "python": sys.version.split()[0], "packages": versions,
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
    """Write config.json (refusing a directory holding another config) and env.json; clear the
    failure of a previous attempt."""
    run_dir = Path(run_dir)
    if not check_config(run_dir, config):
        atomic_write_json(run_dir / CONFIG, config)
    atomic_write_json(run_dir / ENV, {**environment(), **(env or {})})
    (run_dir / FAILURE).unlink(missing_ok=True)


def write_metrics(run_dir: Path, history: list[dict]) -> None:
    """Rewrite metrics.jsonl from the full per-epoch history (atomic, so a resumed run never keeps
    a line of an epoch its checkpoint does not have)."""
    text = "".join(json.dumps(row, sort_keys=True, allow_nan=False) + "\n" for row in history)
    atomic_write_bytes(Path(run_dir) / METRICS, text.encode())


def record_failure(run_dir: Path, error: BaseException) -> None:
    """failure.json: why this attempt ended without a summary (shown by status; cleared on restart)."""
    atomic_write_json(Path(run_dir) / FAILURE, {"error": type(error).__name__, "message": str(error),
                                                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_summary(config: dict, history: list[dict], elapsed: float, stopped: str) -> dict:
    """The summary of a run that trained ``history`` (its per-epoch metrics) under ``config``."""
    if not history:
        raise ValueError("no epoch was trained (recipe.epochs must be >= 1)")
    last = history[-1]
    return {"experiment": config.get("experiment", ""), "model": config.get("model", ""),
            "profile": config.get("profile", ""), "seed": int(config["seed"]), "epochs": len(history),
            "top1": last["val_top1"], "top5": last["val_top5"], "best_top1": max(h["val_top1"] for h in history),
            "final_train_loss": last["train_loss"], "train_seconds": round(float(elapsed), 3), "stopped": stopped,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def finish_run(run_dir: Path, summary: dict) -> dict:
    """Write summary.json, atomically and last: from now on the run is finished. Adds the schema,
    the code commit from env.json and the digest of every result file, then verifies the whole run
    before writing (a run that would not read back as finished is never marked finished)."""
    run_dir = Path(run_dir)
    env = read_json(run_dir / ENV) if (run_dir / ENV).is_file() else {}
    summary = {**summary, "schema": SCHEMA, "git_commit": env.get("git_commit") if isinstance(env, dict) else None,
               "files": {name: file_digest(run_dir / name) for name in (*DIGESTED, TEST) if (run_dir / name).is_file()}}
    try:
        verify(run_dir, summary)
    except ValueError as e:
        raise BadRun(run_dir, f"{run_dir}: not marked finished: {e}") from None
    atomic_write_json(run_dir / SUMMARY, summary)
    return summary


def is_finished(run_dir: Path) -> bool:
    """summary.json exists (not yet verified: see :func:`classify`)."""
    return (Path(run_dir) / SUMMARY).is_file()


# ----------------------------------------------------------------------------------------------- locking
def lock_path(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    return run_dir.parent / f".{run_dir.name}.lock"


@contextlib.contextmanager
def lock_run(run_dir: Path):
    """Hold the run's lock (an flock'd file beside the run directory naming host and PID) for the
    block; yields a ``heartbeat()`` to call while training. :class:`RunLocked` if another process
    holds it. The lock dies with its process: a killed run never stays locked."""
    import fcntl
    path = lock_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        for attempt in range(3):  # a reader's probe (lock_holder) holds it for microseconds
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == 2:
                    raise RunLocked(run_dir, lock_holder(run_dir)[1] or "another process") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode())
        last = [0.0]

        def heartbeat() -> None:
            if time.monotonic() - last[0] >= HEARTBEAT_S:
                os.utime(fd)
                last[0] = time.monotonic()
        heartbeat()
        yield heartbeat
    finally:
        os.close(fd)  # releases the flock


def lock_holder(run_dir: Path) -> tuple[bool, str, float | None]:
    """(held, "host:pid", seconds since the holder's last heartbeat) of the run's lock."""
    import fcntl
    path = lock_path(run_dir)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False, "", None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False, "", None
        except BlockingIOError:
            pass
        age = max(0.0, time.time() - os.fstat(fd).st_mtime)
        try:
            info = json.loads(os.read(fd, 4096) or b"{}")
            holder = f"{info['host']}:{info['pid']}"
        except (ValueError, KeyError, TypeError):
            holder = "a process (unreadable lock file)"
        return True, holder, age
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------- reading
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


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_schema(obj, keys: dict, what: str) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    for key, typ in keys.items():
        if key not in obj:
            raise ValueError(f"{what}: missing key {key!r}")
        value = obj[key]
        ok = _is_number(value) if typ is float else isinstance(value, typ) and not (typ is int and isinstance(value, bool))
        if not ok:
            raise ValueError(f"{what}: key {key!r} expected {typ.__name__}, got {value!r}")
        if typ is float and not math.isfinite(value):
            raise ValueError(f"{what}: key {key!r} is {value!r}, expected a finite number")


def _reject_constant(name: str):
    raise ValueError(f"non-finite number {name}")


def read_json(path: Path):
    """Parse a JSON file; ValueError naming the file if it is not valid JSON or holds NaN/Infinity."""
    path = Path(path)
    try:
        return json.loads(path.read_bytes(), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path.name}: not valid JSON ({e})") from None


def read_metrics(path: Path) -> list[dict]:
    rows = []
    try:
        lines = Path(path).read_bytes().decode().splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{METRICS}: not text (garbage?)") from None
    for i, line in enumerate(lines, 1):
        try:
            row = json.loads(line, parse_constant=_reject_constant)
        except ValueError as e:
            raise ValueError(f"{METRICS}: line {i} is not valid JSON (truncated?): {line[:60]!r} ({e})") from None
        check_schema(row, METRIC_KEYS, f"{METRICS} line {i}")
        if row["epoch"] != i:
            raise ValueError(f"{METRICS} line {i}: epoch {row['epoch']}, expected {i}")
        rows.append(row)
    return rows


def verify(run_dir: Path, summary) -> tuple[dict, list[dict]]:
    """Check that ``summary`` describes ``run_dir`` (see the module docstring); returns (config,
    metrics). ValueError with the reason otherwise."""
    run_dir = Path(run_dir)
    if isinstance(summary, dict) and summary.get("schema", SCHEMA) != SCHEMA:
        raise ValueError(f"summary.json: schema {summary['schema']!r}, expected {SCHEMA} (written by another "
                         f"version of the suite, without what verifies a run; run it again)")
    check_schema(summary, SUMMARY_KEYS, SUMMARY)
    for name in (CONFIG, METRICS):
        if not (run_dir / name).is_file():
            raise ValueError(f"missing {name}")
    config = read_json(run_dir / CONFIG)
    if not isinstance(config, dict):
        raise ValueError(f"{CONFIG}: expected a JSON object, got {type(config).__name__}")
    metrics = read_metrics(run_dir / METRICS)
    if len(metrics) != summary["epochs"] or not metrics:
        raise ValueError(f"{METRICS} has {len(metrics)} epochs, summary says {summary['epochs']}")
    for key in ("experiment", "model", "profile", "seed"):
        if config.get(key) != summary[key]:
            raise ValueError(f"config {key}={config.get(key)!r} differs from summary {key}={summary[key]!r}")
    last = metrics[-1]
    # a run reporting its test split (read once after training) keeps the last validation top-1/5 as val_top1/5
    on_test = summary.get("reported_split") == "test"
    expected = {"val_top1" if on_test else "top1": last["val_top1"], "val_top5" if on_test else "top5": last["val_top5"],
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
    if not summary["git_commit"]:
        raise ValueError("summary.json: no code commit recorded")
    digests = summary["files"]
    for name in DIGESTED:
        if name not in digests:
            raise ValueError(f"summary.json: no digest of {name}")
        if not (run_dir / name).is_file():
            raise ValueError(f"missing {name}")
        if file_digest(run_dir / name) != digests[name]:
            raise ValueError(f"{name} changed after the run finished (its digest differs from summary.json)")
    if on_test and file_digest(run_dir / TEST) != digests[TEST]:
        raise ValueError(f"{TEST} changed after the run finished (its digest differs from summary.json)")
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


# ------------------------------------------------------------------------------------------ classifying
NOT_STARTED, RUNNING, UNFINISHED, FAILED, FINISHED, BAD = (
    "not started", "running", "unfinished", "failed", "finished", "bad")


@dataclass
class RunStatus:
    """What :func:`classify` found in a run directory."""
    path: Path
    state: str                      # one of NOT_STARTED ... BAD
    reason: str = ""                # FAILED, BAD: why
    epochs: int = 0                 # epochs done (RUNNING, UNFINISHED, FAILED, FINISHED)
    holder: str = ""                # RUNNING: host:pid holding the lock
    heartbeat_age: float | None = None
    run: Run | None = None          # FINISHED

    def describe(self) -> str:
        if self.state == FINISHED:
            s = self.run.summary
            return f"finished: top-1 {s['top1']:.2f}% ({s['epochs']} epochs)"
        if self.state == RUNNING:
            age = "" if self.heartbeat_age is None else f", heartbeat {self.heartbeat_age:.0f} s ago"
            return f"running: {self.epochs} epoch(s) done ({self.holder}{age})"
        if self.state == UNFINISHED:
            return f"unfinished: {self.epochs} epoch(s) done"
        if self.state in (FAILED, BAD):
            return f"{self.state}: {self.reason}"
        return self.state


def metrics_so_far(run_dir: Path) -> list[dict]:
    """The epochs logged so far, unverified (a run being written may have a torn last line): for progress
    displays, never for tables."""
    rows = []
    try:
        for line in (Path(run_dir) / METRICS).read_bytes().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                break
            if isinstance(row, dict):
                rows.append(row)
    except OSError:
        pass
    return rows


def _epochs_done(run_dir: Path) -> int:
    return len(metrics_so_far(run_dir))


def classify(run_dir: Path, *, check_lock: bool = True) -> RunStatus:
    """The one reading of a run directory, for ``jobs run``, ``jobs status`` and the tables. Never
    raises for what it finds on disk: a damaged directory is BAD with the reason. ``check_lock``:
    False for the lock's own holder."""
    run_dir = Path(run_dir)
    held, holder, age = lock_holder(run_dir) if check_lock else (False, "", None)
    if held:
        return RunStatus(run_dir, RUNNING, epochs=_epochs_done(run_dir), holder=holder, heartbeat_age=age)
    try:
        present = run_dir.is_dir() and any(not p.name.startswith(".") for p in run_dir.iterdir())
        if not present:
            return RunStatus(run_dir, NOT_STARTED)
        if is_finished(run_dir):
            run = read_run(run_dir)
            return RunStatus(run_dir, FINISHED, epochs=len(run.metrics), run=run)
        if not (run_dir / CONFIG).is_file():
            return RunStatus(run_dir, BAD, f"missing {CONFIG}")
        config = read_json(run_dir / CONFIG)
        if not isinstance(config, dict):
            return RunStatus(run_dir, BAD, f"{CONFIG}: expected a JSON object, got {type(config).__name__}")
        if (run_dir / FAILURE).is_file():
            return RunStatus(run_dir, FAILED, _failure_text(run_dir), epochs=_epochs_done(run_dir))
        return RunStatus(run_dir, UNFINISHED, epochs=_epochs_done(run_dir))
    except BadRun as e:
        return RunStatus(run_dir, BAD, e.reason)
    except (ValueError, OSError) as e:
        return RunStatus(run_dir, BAD, str(e))


def _failure_text(run_dir: Path) -> str:
    try:
        f = read_json(run_dir / FAILURE)
        return f"{f['error']}: {f['message']}"
    except (ValueError, OSError, KeyError, TypeError):
        return f"{FAILURE} unreadable"


def set_aside(run_dir: Path) -> Path:
    """Rename a bad run directory out of the way (never delete data): ``.<name>.bad-<UTC time>``,
    which no reader lists; returns the new path."""
    run_dir = Path(run_dir)
    target = run_dir.with_name(f".{run_dir.name}.bad-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    n = 1
    while target.exists():
        target, n = target.with_name(f"{target.name.split('~')[0]}~{n}"), n + 1
    run_dir.rename(target)
    return target


# ------------------------------------------------------------------------------------------ identities
IDENTITY_EXCLUDED = ("model", "seed", "num_classes", "reading", "provenance")  # per model, or documentation of the setting


def identity_key(config: dict) -> str:
    """A configuration's identity: its whole resolved config (profile, overrides, data fingerprint,
    recipe, ...) except what tells the runs of one table apart (model, seed)."""
    return config_hash({k: v for k, v in config.items() if k not in IDENTITY_EXCLUDED})


def format_overrides(overrides: dict) -> str:
    """Overrides as the command line gives them: ``--set recipe.epochs=1 --set train_limit=500``."""
    return " ".join(f"--set {k}={json.dumps(v)}" for k, v in sorted(overrides.items()))


def describe_identity(config: dict) -> str:
    """Short label of a configuration: its overrides (``--set``), or 'no --set overrides'."""
    label = format_overrides(config.get("overrides") or {}) or "no --set overrides"
    return f"{label} [identity {identity_key(config)}]"


@dataclass(frozen=True)
class PerModel:
    """One configuration per model (a sweep's, selected on the validation split by ``jobs.sweeps``):
    ``identities`` model -> identity (a model without one has no runs in the table); ``considered``:
    every identity the selection chose among (their other runs are not "another configuration");
    ``notes``: how it was selected, for the tables."""
    identities: dict
    considered: frozenset = frozenset()
    notes: tuple = ()


# Which configuration the tables render when the caller does not say (``jobs collect`` says).
SELECTED_IDENTITY: contextvars.ContextVar[str | PerModel | None] = contextvars.ContextVar("selected_identity",
                                                                                         default=None)


@contextlib.contextmanager
def selecting(identity: str | PerModel | None):
    """Within the block, :func:`scan` selects the runs of ``identity`` (see ``jobs collect --set``), or of
    each model's identity (a :class:`PerModel`, see ``jobs collect --sweep``)."""
    token = SELECTED_IDENTITY.set(identity)
    try:
        yield
    finally:
        SELECTED_IDENTITY.reset(token)


def run_dirs(results_root, experiment: str | None = None, profile: str | None = None) -> list[Path]:
    """Every run directory results/<experiment>/<profile>/<run>/ (hidden ones, e.g. runs set aside,
    excluded)."""
    root = Path(results_root)
    dirs = []
    for exp_dir in [root / experiment] if experiment else sorted(root.iterdir()) if root.is_dir() else []:
        if exp_dir.name.startswith((".", "_")) or not exp_dir.is_dir():
            continue
        for prof_dir in [exp_dir / profile] if profile else sorted(exp_dir.iterdir()):
            if prof_dir.is_dir():
                dirs += [d for d in sorted(prof_dir.iterdir()) if d.is_dir() and not d.name.startswith((".", "_"))]
    return dirs


@dataclass
class Selection:
    """Finished runs of one configuration, the bad ones, and the other configurations present."""
    runs: list[Run]
    bad: list[BadRun]
    identity: str | PerModel | None
    others: list[tuple[str, int]]   # (description, number of finished runs) of the configurations not used
    notes: list[str] = field(default_factory=list)  # how the configuration was selected (PerModel.notes)

    def keeps(self, model: str, identity: str) -> bool:
        """Whether a run of ``model`` with ``identity`` belongs to this selection."""
        if isinstance(self.identity, PerModel):
            return self.identity.identities.get(model) == identity
        return identity == self.identity


def select_runs(results_root, experiment: str | None = None, profile: str | None = None,
                identity: str | PerModel | None = None) -> Selection:
    """The verified finished runs of one identity under results/<experiment>/<profile>/.

    ``identity`` (default: the one selected with :func:`selecting`, else the configuration without
    overrides whose latest run finished last) picks the configuration, or a :class:`PerModel` one per
    model; runs of the others are never mixed in, only counted. A run whose config names another profile
    or experiment than the directory it sits in is bad. Unfinished and running runs are neither good nor bad.
    """
    groups, bad = finished_groups(results_root, experiment, profile)
    identity = identity or SELECTED_IDENTITY.get() or _default_identity(groups)
    if isinstance(identity, PerModel):
        chosen = [r for rs in groups.values() for r in rs if identity.identities.get(r.config.get("model")) == r.identity]
        others = [(describe_identity(runs[0].config), len(runs)) for key, runs in sorted(groups.items())
                  if key not in identity.considered and key not in identity.identities.values()]
        return Selection(chosen, bad, identity, others, list(identity.notes))
    others = [(describe_identity(runs[0].config), len(runs)) for key, runs in sorted(groups.items()) if key != identity]
    return Selection(groups.get(identity, []), bad, identity, others)


def finished_groups(results_root, experiment: str | None = None,
                    profile: str | None = None) -> tuple[dict[str, list[Run]], list[BadRun]]:
    """({identity: its verified finished runs}, the bad runs) under results/<experiment>/<profile>/."""
    good, bad = [], []
    for d in run_dirs(results_root, experiment, profile):
        st = classify(d)
        if st.state != FINISHED:  # named by the tables as skipped, with the reason
            if st.state != NOT_STARTED:
                bad.append(BadRun(d, st.describe() if st.state != BAD else st.reason))
        else:
            cfg = st.run.config
            if profile and cfg.get("profile") != profile:
                bad.append(BadRun(d, f"profile {cfg.get('profile')!r} in a {profile!r} directory"))
            elif experiment and cfg.get("experiment") != experiment:
                bad.append(BadRun(d, f"experiment {cfg.get('experiment')!r} in a {experiment!r} directory"))
            else:
                good.append(st.run)
    groups: dict[str, list[Run]] = {}
    for run in good:
        groups.setdefault(run.identity, []).append(run)
    return groups, bad


def _default_identity(groups: dict) -> str | None:
    plain = {k: rs for k, rs in groups.items() if not rs[0].config.get("overrides")}
    if not plain:
        return None
    return max(plain, key=lambda k: max(r.summary["finished_at"] for r in plain[k]))


def scan(results_root, experiment: str | None = None, profile: str | None = None):
    """(finished runs of one configuration, bad runs): :func:`select_runs` without the rest."""
    sel = select_runs(results_root, experiment, profile)
    return sel.runs, sel.bad


# ----------------------------------------------------------------------------------------------- pandas
def runs_frame(results_root, experiment: str | None = None, profile: str | None = None):
    """One row per run (identity, status, summary, flattened config and env): see :mod:`suite.frames`."""
    from .frames import runs_frame as frame
    return frame(results_root, experiment, profile)


def metrics_frame(results_root, experiment: str | None = None, profile: str | None = None):
    """One row per logged epoch per run (identity, status, metrics.jsonl keys): see :mod:`suite.frames`."""
    from .frames import metrics_frame as frame
    return frame(results_root, experiment, profile)
