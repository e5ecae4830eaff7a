"""Executors: where ``run_one`` calls run. A small registry so a cluster executor plugs in.

An executor factory is registered with ``@register(name)`` and called as
``factory(folder=Path, resources=dict, options=dict)``; it returns an :class:`Executor`: one
interface for every executor, so the CLI never asks which one it has.

- ``submit(fn, tasks)`` yields ``(task, handle)`` as each task is submitted (or, in-process, run),
  where a handle has ``job_id``, ``done()``, ``state`` and ``error()`` (the exception or the text
  that says why the job failed, None if it did not); a run's result is read from its run directory
  (suite.runs), never from a job's pickle; submitit's executors submit all tasks in one ``batch``, which SLURM receives
  as one job array (like ``map_array``);
- ``wait(submitted, on_done)`` calls ``on_done(task, handle)`` as each handle ends; ``close()``
  releases local workers;
- ``folder``: where the executor keeps its jobs' logs (submitit), else None.

Built in:

- ``pool`` (default, of ``python -m jobs run`` and of ``make``): ``workers`` local worker processes, one
  single-threaded run per core (fastest on a small, shared CPU); while it waits it shows each worker's
  run and epoch (:class:`jobs.progress.WorkerBoard`).
- ``inprocess``: runs each task right here, one after the other; no SLURM, no subprocess.
- ``local``: submitit's ``LocalExecutor`` (one subprocess per task, same machine).
- ``debug``: submitit's ``DebugExecutor`` (in this process, through submitit's machinery).
- ``slurm``: submitit's ``SlurmExecutor``; an experiment's runs go out as one job array.

``preview(name, ...)`` says what an executor would do with a list of runs without starting anything
(``jobs run --dry-run``); for ``slurm`` that includes the sbatch script submitit would submit.
"""
from __future__ import annotations

import shutil
import time
from os import kill as os_kill
from pathlib import Path

EXECUTORS: dict = {}
PREVIEWS: dict = {}  # name -> preview(folder=, resources=, options=, count=) -> lines, for --dry-run
DEFAULT = "pool"  # also the Makefile's EXECUTOR


def register(name: str, *, preview=None):
    def deco(factory):
        EXECUTORS[name] = factory
        if preview is not None:
            PREVIEWS[name] = preview
        return factory
    return deco


def names() -> list[str]:
    return sorted(EXECUTORS)


def check_name(name: str) -> str:
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; valid executors: {', '.join(names())}")
    return name


def get(name: str, *, folder, resources: dict | None = None, options: dict | None = None):
    return EXECUTORS[check_name(name)](folder=Path(folder), resources=dict(resources or {}),
                                       options=dict(options or {}))


def preview(name: str, *, folder, resources: dict | None = None, options: dict | None = None,
            count: int = 1) -> list[str]:
    """What executor ``name`` would do with ``count`` runs; starts, submits and writes nothing."""
    describe = PREVIEWS.get(check_name(name))
    if describe is None:
        doc = (EXECUTORS[name].__doc__ or "").strip().split("\n")[0]
        return [f"executor {name}" + (f": {doc}" if doc else "")]
    return describe(folder=Path(folder), resources=dict(resources or {}), options=dict(options or {}), count=count)


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

    def abort(self) -> None:
        """Interrupted (jobs run got SIGINT/SIGTERM): cancel what has not started, stop local workers (their
        runs resume later from their last checkpoint). Cluster jobs already submitted keep running."""

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


def launch_options(options: dict) -> dict:
    """What every call of a submission gets besides its Task (the run's identity): ``log``, live-curve backends."""
    return {"log": tuple(options["log"])} if options.get("log") else {}


@register("inprocess")
class InProcessExecutor(Executor):
    """runs each task in this process, one after the other"""

    def __init__(self, *, folder, resources, options):
        self.progress, self.launch = options.get("progress", True), launch_options(options)

    def submit_one(self, fn, task):
        try:
            return DoneJob(fn(**task.kwargs(), **self.launch, progress=self.progress))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # recorded on the handle, like a failed cluster job
            return DoneJob(error=e)


class SubmititExecutor(Executor):
    def __init__(self, executor, progress: bool, folder, launch: dict | None = None):
        self.executor, self.progress, self.folder, self.launch = executor, progress, Path(folder), launch or {}

    def submit(self, fn, tasks):
        """Every task in one submission: on SLURM a single job array (``--array=0-N``)."""
        tasks = list(tasks)
        with self.executor.batch():
            jobs = [self.executor.submit(fn, **t.kwargs(), **self.launch, progress=self.progress) for t in tasks]
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
    """submitit's LocalExecutor: one subprocess per task on this machine, logs under the submitit folder"""
    import submitit
    ex = submitit.LocalExecutor(folder=str(folder))
    ex.update_parameters(timeout_min=int(options.get("timeout_min", resources.get("timeout_min", 24 * 60))))
    ex.update_parameters(setup=[pythonpath_setup()])
    return SubmititExecutor(ex, options.get("progress", False), folder, launch_options(options))


@register("debug")
def debug_executor(*, folder, resources, options):
    """submitit's DebugExecutor: each task in this process, through submitit's machinery"""
    import submitit
    return SubmititExecutor(submitit.DebugExecutor(folder=str(folder)), options.get("progress", True), folder,
                            launch_options(options))


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


_started = None  # in a pool worker: the queue on which it says which job it starts (see WorkerBoard)


def _pool_worker_init(threads: int, parent: int, started=None) -> None:
    """Each worker gets its share of the cores, for torch and for the Numba kernels (auto backend),
    and dies with its parent (else a killed ``jobs run`` leaves its workers training)."""
    import os
    import threading
    global _started
    _started = started

    def orphaned():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=orphaned, name="die-with-parent", daemon=True).start()
    import signal
    import sys
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped by the parent: unwind, release the lock
    import torch
    torch.set_num_threads(threads)
    try:
        import numba
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:  # pragma: no cover - numba is a dependency
        pass


def _pool_call(fn, job_id: str, kwargs: dict):
    """A pool task: say which job this worker starts (its process id names the worker), then run it."""
    import os
    if _started is not None:
        _started.put((os.getpid(), job_id))
    try:
        return fn(**kwargs, progress=False)
    except SystemExit:  # stopped by the parent (SIGTERM): the run's lock is released; never start the next one
        os._exit(143)


def pool_shape(workers=None) -> tuple[int, int]:
    """(worker processes, torch threads per worker): ``workers`` (default: one per core), the cores shared."""
    import os
    cores = os.cpu_count() or 1
    workers = int(workers or cores)
    if workers < 1:
        raise ValueError(f"workers: expected >= 1, got {workers}")
    return workers, max(1, cores // workers)


def _pool_preview(*, folder, resources, options, count) -> list[str]:
    workers, threads = pool_shape(options.get("workers"))
    return [f"executor pool: {min(workers, count)} worker process(es) on this machine ({workers} allowed), "
            f"{threads} torch thread(s) each; each worker trains one run at a time"]


@register("pool", preview=_pool_preview)
class PoolExecutor(Executor):
    """``workers`` local worker processes (default: one per core), each with cores/workers torch threads.

    On a small shared CPU, one single-threaded run per core is much faster than one run using every core:
    many small convolutions parallelise poorly, and OpenMP threads spin badly when cores are oversubscribed.
    While waiting, a :class:`jobs.progress.WorkerBoard` shows each worker's run and epoch (a tqdm line per
    worker, or with ``progress`` off a plain line whenever one changes).
    """

    def __init__(self, *, folder, resources, options):
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor
        self.workers, threads = pool_shape(options.get("workers"))
        self.progress, self.board, self.launch = options.get("progress", True), None, launch_options(options)
        ctx = multiprocessing.get_context("spawn")
        self.started = ctx.SimpleQueue()  # see WorkerBoard
        self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_pool_worker_init,
                                        initargs=(threads, os.getpid(), self.started))
        self.count = 0

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.started.close()

    def abort(self) -> None:
        import signal
        processes = list(getattr(self.pool, "_processes", {}).values())  # the stdlib offers no public way
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                os_kill(p.pid, signal.SIGTERM)  # the worker unwinds (releasing its run's lock) and exits
        for p in processes:
            p.join(30)

    def submit_one(self, fn, task):
        self.count += 1
        job_id = f"pool-{self.count}"
        return FutureJob(self.pool.submit(_pool_call, fn, job_id, {**task.kwargs(), **self.launch}), job_id)

    def refresh(self) -> None:
        if self.board is not None:
            self.board.update()

    def wait(self, submitted, on_done) -> None:
        from .progress import WorkerBoard

        def done(task, handle):
            self.board.update(ended=handle.job_id)  # the last epoch of the run that ended, on its worker's line
            on_done(task, handle)
        self.board = WorkerBoard(self.started, submitted, bars=self.progress)
        try:
            super().wait(submitted, done)
        finally:
            self.board.close()
            self.board = None

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


def sbatch_script(folder, resources: dict, name: str, count: int) -> str:
    """The sbatch script submitit would submit for ``count`` runs (one job array when more than one), built
    by submitit's own SlurmExecutor from the parameters the ``slurm`` executor gives it, without submitting:
    the generic names converted as submitit's AutoExecutor converts them, the ``slurm_`` ones unprefixed."""
    import submitit

    class Preview(submitit.SlurmExecutor):
        @classmethod
        def affinity(cls) -> int:  # builds the script only, so no srun is needed on this machine
            return 2

    params = slurm_parameters(resources, name)
    ex = Preview(folder)
    generic = ex._convert_parameters({k: v for k, v in params.items() if not k.startswith("slurm_")})
    ex.update_parameters(**generic, **{k[len("slurm_"):]: v for k, v in params.items() if k.startswith("slurm_")})
    if count > 1:
        ex.parameters["map_count"] = count  # as SlurmExecutor submits a batch: one array
    return ex._make_submission_file_text(ex._submitit_command_str, "dry-run")


def _slurm_preview(*, folder, resources, options, count) -> list[str]:
    params = {k: v for k, v in slurm_parameters(resources, options.get("name", "fcnn-suite")).items()
              if k != "slurm_setup"}
    return [f"executor slurm: {'one job array of ' if count > 1 else ''}{count} run(s); logs and submitit's "
            f"files under {folder}",
            "resources: " + ", ".join(f"{k.removeprefix('slurm_')} {v}" for k, v in sorted(params.items())),
            "sbatch script (as submitit would write it; job ids are SLURM's):",
            *("    " + line for line in sbatch_script(folder, resources, options.get("name", "fcnn-suite"),
                                                   count).splitlines())]


@register("slurm", preview=_slurm_preview)
def slurm_executor(*, folder, resources, options):
    """submitit on SLURM. ``resources``: the profile's hints merged with command-line overrides
    (see RESOURCE_KEYS); logs and submitit's pickles go to ``folder``."""
    import submitit
    if shutil.which("sbatch") is None:
        raise ValueError("executor 'slurm': sbatch is not on PATH; run on a SLURM login node, or start a "
                         "local test cluster with scripts/slurm-cluster.sh up")
    ex = submitit.AutoExecutor(folder=str(folder), cluster="slurm")
    ex.update_parameters(**slurm_parameters(resources, options.get("name", "fcnn-suite")))
    return SlurmExecutor(ex, options.get("progress", False), folder, launch_options(options))


class SlurmExecutor(SubmititExecutor):
    def refresh(self) -> None:
        from .records import refresh_states
        refresh_states()  # else a cancelled job looks running for up to 10 min
