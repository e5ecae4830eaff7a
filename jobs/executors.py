"""Executors: where ``run_one`` calls run. A small registry so a cluster executor plugs in.

An executor factory is registered with ``@register(name)`` and called as
``factory(folder=Path, resources=dict, options=dict)``; it returns an :class:`Executor`: one
interface for every executor, so the CLI never asks which one it has.

- ``submit(fn, tasks)`` yields ``(task, handle)`` as each task is submitted (or, in-process, run),
  where a handle has ``job_id``, ``done()``, ``state`` and ``error()`` (the exception or the text
  that says why the job failed, None if it did not); a run's result is read from its run directory
  (suite.results), never from a job's pickle; submitit's executors submit all tasks in one ``batch``, which SLURM receives
  as one job array (like ``map_array``);
- ``wait(submitted, on_done)`` calls ``on_done(task, handle)`` as each handle ends; ``close()``
  releases local workers;
- ``folder``: where the executor keeps its jobs' logs (submitit), else None.

Built in:

- ``inprocess`` (default): runs each task right here, one after the other; no SLURM, no subprocess.
- ``local``: submitit's ``LocalExecutor`` (one subprocess per task, same machine).
- ``debug``: submitit's ``DebugExecutor`` (in this process, through submitit's machinery).
- ``pool``: ``workers`` local worker processes, one single-threaded run per core (what
  ``make reproduce-table2`` uses locally: fastest on a small, shared CPU).
- ``slurm``: submitit's ``SlurmExecutor``; an experiment's runs go out as one job array.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

EXECUTORS: dict = {}
DEFAULT = "inprocess"


def register(name: str):
    def deco(factory):
        EXECUTORS[name] = factory
        return factory
    return deco


def names() -> list[str]:
    return sorted(EXECUTORS)


def get(name: str, *, folder, resources: dict | None = None, options: dict | None = None):
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; valid executors: {', '.join(names())}")
    return EXECUTORS[name](folder=Path(folder), resources=dict(resources or {}), options=dict(options or {}))


class Executor:
    """The interface every executor has (see the module docstring); subclasses give ``submit_one``
    or override ``submit``."""

    folder: Path | None = None
    poll_s = 0.5

    def submit_one(self, fn, task):
        raise NotImplementedError

    def submit(self, fn, tasks):
        for task in tasks:
            yield task, self.submit_one(fn, task)

    def refresh(self) -> None:
        """Bring the handles' states up to date before a poll (SLURM: one sacct call)."""

    def close(self) -> None:
        """Release local workers (the pool's), after every handle ended or when given up."""

    def wait(self, submitted, on_done) -> None:
        pending = list(submitted)
        while pending:
            self.refresh()
            for item in [p for p in pending if p[1].done()]:
                pending.remove(item)
                on_done(*item)
            if pending:
                time.sleep(self.poll_s)


class DoneJob:
    """Handle of a task that ran in this process (same interface as submitit.Job)."""

    _counter = 0

    def __init__(self, result=None, error: BaseException | None = None):
        DoneJob._counter += 1
        self.job_id = f"inprocess-{DoneJob._counter}"
        self._result, self._error = result, error
        self.state = "FAILED" if error else "COMPLETED"

    def done(self) -> bool:
        return True

    def result(self):
        if self._error is not None:
            raise self._error
        return self._result

    def error(self):
        return self._error


@register("inprocess")
class InProcessExecutor(Executor):
    def __init__(self, *, folder, resources, options):
        self.progress = options.get("progress", True)

    def submit_one(self, fn, task):
        try:
            return DoneJob(fn(**task.kwargs(), progress=self.progress))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # recorded on the handle, like a failed cluster job
            return DoneJob(error=e)


class SubmititExecutor(Executor):
    def __init__(self, executor, progress: bool, folder):
        self.executor, self.progress, self.folder = executor, progress, Path(folder)

    def submit(self, fn, tasks):
        """Every task in one submission: on SLURM a single job array (``--array=0-N``)."""
        tasks = list(tasks)
        with self.executor.batch():
            jobs = [self.executor.submit(fn, **t.kwargs(), progress=self.progress) for t in tasks]
        yield from zip(tasks, map(SubmititHandle, jobs))


class SubmititHandle:
    """A submitit job whose failure is read from its log (text), never from its result pickle."""

    def __init__(self, job):
        self.job = job

    def __getattr__(self, name):  # job_id, state, done, paths, ... of the submitit job
        return getattr(self.job, name)

    def error(self):
        """Why the job ended without a finished run (asked only then): the end of its stderr log."""
        from .records import log_tail
        return log_tail(self.job.paths.stderr) or f"job {self.job.job_id} ended ({self.job.state}) without a log"


@register("local")
def local_executor(*, folder, resources, options):
    import submitit
    ex = submitit.LocalExecutor(folder=str(folder))
    ex.update_parameters(timeout_min=int(options.get("timeout_min", resources.get("timeout_min", 24 * 60))))
    ex.update_parameters(setup=[pythonpath_setup()])
    return SubmititExecutor(ex, options.get("progress", False), folder)


@register("debug")
def debug_executor(*, folder, resources, options):
    import submitit
    return SubmititExecutor(submitit.DebugExecutor(folder=str(folder)), options.get("progress", True), folder)


class FutureJob:
    """A concurrent.futures.Future behind the submitit.Job interface."""

    def __init__(self, future, job_id: str):
        self.future, self.job_id = future, job_id

    @property
    def state(self) -> str:
        if not self.future.done():
            return "RUNNING"
        return "FAILED" if self.future.exception() is not None else "COMPLETED"

    def done(self) -> bool:
        return self.future.done()

    def result(self):
        return self.future.result()

    def error(self):
        return self.future.exception()


def _pool_worker_init(threads: int, parent: int) -> None:
    """Each worker gets its share of the cores, for torch and for the Numba kernels (auto backend),
    and dies with its parent (else a killed ``jobs run`` leaves its workers training)."""
    import os
    import threading

    def orphaned():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=orphaned, name="die-with-parent", daemon=True).start()
    import torch
    torch.set_num_threads(threads)
    try:
        import numba
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:  # pragma: no cover - numba is a dependency
        pass


@register("pool")
class PoolExecutor(Executor):
    """``workers`` local worker processes (default: one per core), each with cores/workers torch threads.

    On a small shared CPU, one single-threaded run per core is much faster than one run using every core:
    many small convolutions parallelise poorly, and OpenMP threads spin badly when cores are oversubscribed.
    """

    def __init__(self, *, folder, resources, options):
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor
        cores = os.cpu_count() or 1
        self.workers = int(options.get("workers") or cores)
        if self.workers < 1:
            raise ValueError(f"workers: expected >= 1, got {self.workers}")
        threads = max(1, cores // self.workers)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_pool_worker_init, initargs=(threads, os.getpid()))
        self.count = 0

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def submit_one(self, fn, task):
        self.count += 1
        return FutureJob(self.pool.submit(fn, **task.kwargs(), progress=False), f"pool-{self.count}")

# ------------------------------------------------------------------------------------------------ SLURM
# Resource keys a profile (experiments.Setting.resources) or the command line may give, with their
# meaning for SLURM. submitit's generic names, plus the cluster-specific ones.
RESOURCE_KEYS = {
    "partition": "SLURM partition (--partition); default: the cluster's default partition",
    "account": "account to charge (--account)",
    "constraint": "node features, e.g. a GPU type (--constraint)",
    "timeout_min": "time limit in minutes (--time); submitit signals USR2 90 s before it and requeues",
    "gpus_per_node": "GPUs per node (--gpus-per-node)",
    "cpus_per_task": "CPUs per task (--cpus-per-task); also the job's OMP_NUM_THREADS",
    "mem_gb": "memory per node in GB (--mem)",
    "nodes": "nodes per run (--nodes); with tasks_per_node > 1 a run trains with DistributedDataParallel",
    "tasks_per_node": "tasks (DDP ranks) per node (--ntasks-per-node), one per GPU",
    "array_parallelism": "at most this many runs of the array at once",
}
SLURM_DEFAULTS = {"timeout_min": 60, "cpus_per_task": 1, "nodes": 1, "tasks_per_node": 1}
_SLURM_SPECIFIC = {"partition", "account", "constraint", "array_parallelism"}


def pythonpath_setup() -> str:
    """Shell line that makes a job import the checkout that submitted it, which need not be the one
    installed in the environment (several clones, worktrees)."""
    repo = Path(__file__).resolve().parents[1]
    return f'export PYTHONPATH="{repo}${{PYTHONPATH:+:$PYTHONPATH}}"'


def parse_time(text) -> int:
    """A SLURM time limit in minutes: ``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M`` or ``D-H:M:S``
    (seconds round up)."""
    t = str(text).strip()
    days, dash, clock = t.partition("-")
    if not dash:
        days, clock = "0", t
    try:
        days, parts = int(days), [int(p) for p in clock.split(":")]
        if not 1 <= len(parts) <= 3:
            raise ValueError
    except ValueError:
        raise ValueError(f"time: expected minutes or [D-]H:M:S (SLURM's format), got {text!r}") from None
    if dash:  # D-H, D-H:M, D-H:M:S
        h, m, sec = parts + [0] * (3 - len(parts))
    else:     # M, M:S, H:M:S
        h, m, sec = parts if len(parts) == 3 else ([0] + parts + [0])[:3]
    minutes = days * 1440 + h * 60 + m + (1 if sec > 0 else 0)
    if minutes <= 0 or min(days, h, m, sec) < 0:
        raise ValueError(f"time: expected a positive time limit, got {text!r}")
    return minutes


def slurm_parameters(resources: dict, name: str) -> dict:
    """Keyword arguments of ``submitit.AutoExecutor.update_parameters`` for ``resources``."""
    unknown = set(resources) - set(RESOURCE_KEYS)
    if unknown:
        raise ValueError(f"resources: unknown keys {sorted(unknown)}; valid keys: {', '.join(RESOURCE_KEYS)}")
    r = {**SLURM_DEFAULTS, **{k: v for k, v in resources.items() if v is not None}}
    for key in r.keys() - {"partition", "account", "constraint"}:
        if not (isinstance(r[key], int) and r[key] >= (0 if key == "gpus_per_node" else 1)):
            raise ValueError(f"resources: {key} expects a positive integer, got {r[key]!r}")
    params = {("slurm_" + k if k in _SLURM_SPECIFIC else k): v for k, v in r.items()}
    # as many BLAS/OpenMP threads as CPUs the job was given
    params["slurm_setup"] = [pythonpath_setup(), "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}"]
    params["name"] = name
    return params


@register("slurm")
def slurm_executor(*, folder, resources, options):
    """submitit on SLURM. ``resources``: the profile's hints merged with command-line overrides
    (see RESOURCE_KEYS); logs and submitit's pickles go to ``folder``."""
    import submitit
    if shutil.which("sbatch") is None:
        raise ValueError("executor 'slurm': sbatch is not on PATH; run on a SLURM login node, or start a "
                         "local test cluster with scripts/slurm-cluster.sh up")
    ex = submitit.AutoExecutor(folder=str(folder), cluster="slurm")
    ex.update_parameters(**slurm_parameters(resources, options.get("name", "fcnn-suite")))
    return SlurmExecutor(ex, options.get("progress", False), folder)


class SlurmExecutor(SubmititExecutor):
    def refresh(self) -> None:
        from .records import refresh_states
        refresh_states()  # else a cancelled job looks running for up to 10 min
