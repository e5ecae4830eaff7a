"""``python -m jobs run``: triage an experiment's runs (finished ones are reported, running ones skipped), submit
the rest to an executor, report each as it ends; ``--dry-run`` prints what would happen."""
from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from pathlib import Path

from suite import experiments, host, livelog, profiles, runs

from . import executors, records, runner, sweeps


def _split(value: str | None):
    return [v for v in value.split(",") if v] if value else None


def parse_seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        seeds = [int(s) for s in _split(text) or []]
    except ValueError:
        seeds = []
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"--seeds: expected comma-separated non-negative integers, e.g. 0,1,2; got {text!r}")
    return seeds


def parse_overrides(args) -> tuple:
    return tuple(runner.parse_override(o) for o in args.set or ())


def resource_overrides(args) -> dict:
    """Cluster resources given on the command line (they override the profile's)."""
    r = {"partition": args.partition, "account": args.account, "constraint": args.constraint,
         "timeout_min": None if args.time is None else executors.parse_time(args.time),
         "gpus_per_node": args.gpus, "cpus_per_task": args.cpus, "mem_gb": args.mem, "nodes": args.nodes,
         "tasks_per_node": args.tasks_per_node, "array_parallelism": args.array_parallelism}
    return {k: v for k, v in r.items() if v is not None}


def check_writable(directory: Path) -> None:
    """Fail before submitting anything if the results directory cannot be written, or its file system has no
    flock (host.LockUnsupported, naming the mount: the run locks need it)."""
    import tempfile
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory) as f:
            host.flock(f.fileno(), blocking=False, path=directory)
    except host.LockUnsupported:
        raise
    except OSError as e:
        raise ValueError(f"results directory {directory} is not writable ({e.strerror}); choose a writable "
                         f"one with --results") from None


def _line(task, text: str) -> str:
    return f"  {task.model:<18} seed {task.seed}: {text}"


def report(task, job) -> bool | None:
    """Print how a run ended; True finished, False failed, None skipped (another process trains it)."""
    status = runs.classify(runner.run_dir(task))
    if status.state == runs.FINISHED:
        s = status.run.summary
        print(_line(task, f"top-1 {s['top1']:.2f}%  top-5 {s['top5']:.2f}%  ({s['epochs']} epochs, "
                          f"{s['train_seconds']:.0f} s)  {status.path}"), flush=True)
        return True
    error = job.error()
    if isinstance(error, runs.RunLocked) or status.state == runs.RUNNING:
        print(_line(task, f"skipped: {error or status.describe()}"), flush=True)
        return None
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error or status.describe())
    print(_line(task, f"FAILED: {text}"), file=sys.stderr, flush=True)
    return False


def triage(tasks) -> tuple[list, int]:
    """(the tasks to submit, how many runs are finished): finished runs are reported, runs that another
    process trains are skipped (the lock names it), bad runs are retrained (their worker sets the bad
    directory aside)."""
    todo, finished = [], 0
    for task in tasks:
        status = runs.classify(runner.run_dir(task))
        if status.state == runs.FINISHED:
            finished += 1
            print(_line(task, f"already {status.describe()}  {status.path}"), flush=True)
        elif status.state == runs.RUNNING:
            print(_line(task, f"skipped: {status.describe()}"), flush=True)
        else:
            if status.state in (runs.BAD, runs.FAILED):
                print(_line(task, f"{status.describe()}; training it again"), flush=True)
            todo.append(task)
    return todo, finished


def parse_sweep(args, exp, profile, overrides):
    """The sweep of the command line (``--sweep``, else the experiment's default grid; see jobs.sweeps)."""
    return sweeps.resolve(exp, profile, getattr(args, "sweep", None), overrides, getattr(args, "no_sweep", False))


def configurations(args, exp, overrides) -> tuple[object, list[tuple]]:
    """(the sweep or None, the overrides of every configuration to run: each grid point, or ``overrides``)."""
    sweep = parse_sweep(args, exp, args.profile, overrides)
    return sweep, [sweep.overrides(p) for p in sweep.points()] if sweep else [overrides]


def cmd_run(args) -> int:
    exp = experiments.get(args.experiment)
    profiles.check_profile(args.profile)
    livelog.parse(getattr(args, "log", None))  # a missing package fails before any run starts
    sweep, configs = configurations(args, exp, parse_overrides(args))
    models = _split(args.models)
    seeds = parse_seeds(args.seeds)
    tasks = [t for overrides in configs
             for t in runner.tasks_for(args.experiment, args.profile, args.results, args.data, models, seeds,
                                       overrides)]
    for overrides in configs:
        runner.validate(exp, args.profile, overrides, args.data, models)
    out = Path(args.results) / exp.results_key / args.profile
    if args.dry_run:
        return dry_run(args, exp, tasks, configs[0])
    check_writable(out)
    setting = runner.setting_for(exp, args.profile, configs[0])
    folder = Path(args.results) / "_submitit" / exp.results_key / args.profile
    print(f"{exp.name} ({exp.paper} {exp.target}), profile {args.profile}, executor {args.executor}: "
          f"{len(tasks)} run(s) -> {out}" + (f"; sweep: {sweep.describe()} ({len(configs)} configurations"
                                            f"{', the experiment default' if sweep.default else ''})" if sweep else ""),
          flush=True)
    rc = _run_tasks(args, exp, tasks, setting, folder)
    if sweep and not args.no_wait:  # every run of the grid ended: select on the validation split
        sweeps.report(exp, args.profile, sweep, args.results, args.data, models)
    elif sweep:
        print(f"sweep: `python -m jobs collect {exp.name} --profile {args.profile}` with the same --set/--sweep "
              f"options selects each model's point once the runs ended", flush=True)
    return rc


def _run_tasks(args, exp, tasks, setting, folder) -> int:
    todo, done = triage(tasks)
    if not todo:
        print(f"{done}/{len(tasks)} run(s) finished; nothing to train", flush=True)
        return 0
    ex = executors.get(args.executor, folder=folder, resources={**setting.resources, **resource_overrides(args)},
                       options={"progress": not args.no_progress, "workers": args.workers,
                                "name": f"{exp.name}-{args.profile}", "log": livelog.parse(getattr(args, "log", None))})
    try:
        with interruptible():
            return _submit_and_wait(args, exp, ex, tasks, todo, done, folder)
    except KeyboardInterrupt:
        ex.abort()
        raise
    finally:
        ex.close()


class Interrupted(KeyboardInterrupt):
    """``jobs run`` got SIGINT or SIGTERM; ``code`` is the exit status (128 + the signal's number)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum, self.code = signum, 128 + signum


@contextlib.contextmanager
def interruptible():
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def add_log_option(sp) -> None:
    """``run --log BACKEND``: live training curves (suite.livelog), a launch option, not part of the runs."""
    sp.add_argument("--log", action="append", metavar="BACKEND[,BACKEND]",
                    help=f"send each epoch's metrics as it ends to: {', '.join(livelog.BACKENDS)} (repeatable; "
                         f"TensorBoard event files go to <run dir>/{livelog.TB_DIR}/; not part of the run's identity)")


def dry_run(args, exp, tasks, overrides) -> int:
    """What ``run`` would do: each run (model, seed, run directory, overrides) and whether it would be
    trained, then the executor, the resources and, for slurm, the sbatch script. Writes nothing."""
    setting = runner.setting_for(exp, args.profile, overrides)
    resources = {**setting.resources, **resource_overrides(args)}
    folder = Path(args.results) / "_submitit" / exp.results_key / args.profile
    print(f"dry run (nothing is submitted or written): {exp.name} ({exp.paper} {exp.target}), profile "
          f"{args.profile}, executor {args.executor}")
    todo = 0
    for task in tasks:
        status = runs.classify(runner.run_dir(task), check_lock=True)
        if status.state in (runs.FINISHED, runs.RUNNING):
            action = f"would skip ({status.describe()})"
        else:
            todo += 1
            action = "would train" + (f" (now {status.describe()})" if status.state != runs.NOT_STARTED else "")
        over = runs.format_overrides(dict(task.overrides)) if task.overrides else "none"
        print(_line(task, f"{action}\n      run dir {runner.run_dir(task)}\n      overrides {over}"))
    print(f"{todo} of {len(tasks)} run(s) would be submitted")
    options = {"workers": args.workers, "name": f"{exp.name}-{args.profile}"}
    print("\n".join(executors.preview(args.executor, folder=folder, resources=resources, options=options,
                                      count=max(todo, 1))))
    if args.executor != "slurm":
        shown = ", ".join(f"{k} {v}" for k, v in sorted(resources.items())) or "none"
        print(f"resources (used by the slurm executor only): {shown}")
    return 0


def _submit_and_wait(args, exp, ex, tasks, todo, done: int, folder) -> int:
    t0 = time.perf_counter()
    submitted = []
    for task, job in ex.submit(runner.run_one, todo):
        submitted.append((task, job))
        records.record_jobs(args.results, exp, args.profile, args.executor, [(task, job)], ex.folder)
    if args.no_wait:
        for task, job in submitted:
            print(f"  submitted {task.model} seed {task.seed}: job {job.job_id}")
        print(f"logs: {folder}; see `python -m jobs status {exp.name} --profile {args.profile} "
              f"--results {args.results}`", flush=True)
        return 0
    from tqdm.auto import tqdm
    # runs that ended while being submitted (in-process) need no bar
    bar = tqdm(total=len(submitted), desc="runs finished",
               disable=args.no_progress or all(job.done() for _, job in submitted))
    outcomes = []

    def on_done(task, job):
        bar.update()
        outcomes.append(report(task, job))

    ex.wait(submitted, on_done)
    bar.close()
    failed, skipped = outcomes.count(False), outcomes.count(None)
    print(f"{done + outcomes.count(True)}/{len(tasks)} run(s) finished in {time.perf_counter() - t0:.0f} s"
          + (f"; {skipped} skipped (trained by another process)" if skipped else ""), flush=True)
    return 1 if failed else 0

