"""``python -m jobs run|status|collect|list|show``: run an experiment, see its runs, gather its table, show
where its setting comes from."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from suite import results

from . import executors, experiments, records, runner, sweeps


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
    """Fail before submitting anything if the results directory cannot be written."""
    import tempfile
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
    except OSError as e:
        raise ValueError(f"results directory {directory} is not writable ({e.strerror}); choose a writable "
                         f"one with --results") from None


def _line(task, text: str) -> str:
    return f"  {task.model:<18} seed {task.seed}: {text}"


def report(task, job) -> bool | None:
    """Print how a run ended; True finished, False failed, None skipped (another process trains it)."""
    status = results.classify(runner.run_dir(task))
    if status.state == results.FINISHED:
        s = status.run.summary
        print(_line(task, f"top-1 {s['top1']:.2f}%  top-5 {s['top5']:.2f}%  ({s['epochs']} epochs, "
                          f"{s['train_seconds']:.0f} s)  {status.path}"), flush=True)
        return True
    error = job.error()
    if isinstance(error, results.RunLocked) or status.state == results.RUNNING:
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
        status = results.classify(runner.run_dir(task))
        if status.state == results.FINISHED:
            finished += 1
            print(_line(task, f"already {status.describe()}  {status.path}"), flush=True)
        elif status.state == results.RUNNING:
            print(_line(task, f"skipped: {status.describe()}"), flush=True)
        else:
            if status.state in (results.BAD, results.FAILED):
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
    results.check_profile(args.profile)
    sweep, configs = configurations(args, exp, parse_overrides(args))
    models = _split(args.models)
    tasks = [t for overrides in configs for t in runner.tasks_for(args.experiment, args.profile, args.results,
                                                                   args.data, models, parse_seeds(args.seeds), overrides)]
    for overrides in configs:
        runner.validate(exp, args.profile, overrides, args.data, models)
    out = Path(args.results) / exp.results_key / args.profile
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
                                "name": f"{exp.name}-{args.profile}"})
    try:
        return _submit_and_wait(args, exp, ex, tasks, todo, done, folder)
    finally:
        ex.close()


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


# ------------------------------------------------------------------------------------------------ status
def _overrides_of(path: Path, record: dict | None) -> dict:
    try:
        return dict(results.read_json(path / results.CONFIG).get("overrides") or {})
    except (OSError, ValueError, AttributeError, TypeError):
        return {k: v for k, v in (record or {}).get("overrides", [])} if record else {}


def status_rows(exp, profile, results_root, data_root=None, overrides=()) -> list[dict]:
    """One row per run of the experiment: the profile's runs (those of ``overrides``), every run
    submitted (jobs.jsonl) and every run directory on disk; each classified by suite.results."""
    from suite.data import DatasetError
    rows: dict[str, dict] = {}
    sweep = sweeps.resolve(exp, profile, None, overrides)  # a profile with a default grid: its points' runs
    try:
        for over in [sweep.overrides(p) for p in sweep.points()] if sweep else [overrides]:
            for t in runner.tasks_for(exp.name, profile, results_root, data_root, overrides=over):
                rows[str(runner.run_dir(t))] = {"model": t.model, "seed": t.seed}
    except DatasetError:  # the paper profile without --data: only what was submitted or exists
        pass
    jobs = records.read_jobs(results_root, exp, profile)
    records.refresh_jobs(jobs.values())
    for key, rec in jobs.items():
        if isinstance(key, str):
            rows.setdefault(key, {"model": rec["model"], "seed": rec["seed"]})["job"] = rec
    for d in results.run_dirs(results_root, exp.results_key, profile):
        model, _, rest = d.name.partition("_s")
        if model in exp.models:
            rows.setdefault(str(d), {"model": model, "seed": rest.split("_")[0]})
    out = []
    for path, row in rows.items():
        if row["model"] not in exp.models:
            continue
        status = results.classify(path)
        row.update(dir=path, state=status.describe(), overrides=_overrides_of(Path(path), row.get("job")),
                   job=row.get("job"))
        row["job_state"], row["error"] = records.job_state(row["job"]) if row["job"] else ("", None)
        out.append(row)
    order = {m: i for i, m in enumerate(exp.models)}
    return sorted(out, key=lambda r: (order[r["model"]], str(r["seed"]), repr(sorted(r["overrides"].items()))))


def cmd_status(args) -> int:
    names = [args.experiment] if args.experiment else experiments.names()
    profiles = [results.check_profile(args.profile)] if args.profile else list(results.PROFILES)
    for name in names:
        exp = experiments.get(name)
        for profile in profiles:
            rows = status_rows(exp, profile, args.results, args.data)
            if not args.experiment and all(r["state"] == results.NOT_STARTED for r in rows):
                continue
            print(f"{exp.name} [{profile}]")
            for r in rows:
                job = f"  job {r['job']['executor']}:{r['job']['job_id']}" if r["job"] else ""
                job += f" {r['job_state']}" if r["job_state"] else ""
                over = f"  [{results.format_overrides(r['overrides'])}]" if r["overrides"] else ""
                print(f"  {r['model']:<18} seed {r['seed']}: {r['state']}{job}{over}")
                if r["error"]:
                    print("\n".join("      | " + line for line in r["error"].splitlines()))
    return 0


# ------------------------------------------------------------------------------------------------ collect
def selected_identity(exp, profile, overrides, data_root, results_root) -> tuple[str, list[str]]:
    """The identity of the configuration to render (the profile's setting with ``overrides``), and
    notes. Without --data on a profile that reads a data directory, the finished runs of that setting
    are taken on the data most of them used; the others are named."""
    from suite.data import DatasetError
    try:
        return results.identity_key(runner.run_config(exp, exp.models[0], 0, profile, overrides, data_root)), []
    except DatasetError:
        pass
    expected = json.loads(json.dumps(runner.setting_config(exp, profile, overrides)))
    groups: dict[str, list] = {}
    for d in results.run_dirs(results_root, exp.results_key, profile):
        status = results.classify(d)
        if status.state == results.FINISHED:
            config = {k: v for k, v in status.run.config.items() if k not in (*results.IDENTITY_EXCLUDED, "data")}
            if config == expected:
                groups.setdefault(status.run.identity, []).append(status.run)
    if not groups:
        return "", []
    key = max(groups, key=lambda k: len(groups[k]))
    return key, [f"{len(rs)} run(s) of this setting on other data ({rs[0].config.get('data')}) not used; choose the "
                 f"data with --data" for k, rs in groups.items() if k != key]


def cmd_collect(args) -> int:
    import paper_tables
    from paper_tables import curves
    exp = experiments.get(args.experiment)
    profile = results.check_profile(args.profile)
    overrides = parse_overrides(args)
    runner.setting_for(exp, profile, overrides)  # a bad --set is an error here too
    for line in records.wait_for_jobs(exp, profile, args.results, args.timeout):
        print(f"collect: {line}", file=sys.stderr)
    sweep = parse_sweep(args, exp, profile, overrides)
    if sweep:  # each model's grid point with the best validation top-1
        selection = sweeps.report(exp, profile, sweep, args.results, args.data)
        notes, chosen = [], sweeps.per_model(selection, runner.setting_for(exp, profile, overrides).splits()["report"])
    else:
        identity, notes = selected_identity(exp, profile, overrides, args.data, args.results)
        chosen = identity or "none"
    with results.selecting(chosen):  # the tables see the runs of this configuration (per model: a sweep's) only
        text = paper_tables.render(args.experiment, profile=profile, results_root=args.results, out_dir=args.out)
        others = results.select_runs(args.results, exp.results_key, profile).others
        curve_line = curves.collect_line(args.experiment, profile, args.results, args.out)
    print(text)
    for line in notes + [f"other configuration present, not in this table: {desc}: {n} finished run(s); render it "
                         f"with those --set options" for desc, n in others]:
        print(f"collect: {line}")
    print(curve_line, file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    for name in experiments.names():
        e = experiments.get(name)
        print(f"{name:<14} {e.paper} {e.target}: {', '.join(e.models)}")
    print(f"profiles: {', '.join(results.PROFILES)}; executors: {', '.join(executors.names())}")
    return 0


def cmd_show(args) -> int:
    from . import provenance
    exp = experiments.get(args.experiment)
    overrides = tuple(runner.parse_override(o) for o in args.set or ())
    setting = runner.setting_for(exp, results.check_profile(args.profile), overrides)
    print(provenance.table(exp.name, args.profile, setting, [k for k, _ in overrides]))
    return 0


def sweep_options(sp) -> None:
    """--sweep / --no-sweep of ``run`` and ``collect`` (see jobs.sweeps)."""
    sp.add_argument("--sweep", action="append", metavar="KEY=V1,V2,...",
                    help="train (run) or select from (collect) a grid: every value of KEY (keys as for --set; "
                         "repeatable, several keys give their product); each model's point is selected by its mean "
                         "final validation top-1 over seeds (default: the experiment's own grid for the profile, if any)")
    sp.add_argument("--no-sweep", action="store_true", help="ignore the experiment's default grid: one configuration")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, experiment_required=True):
        if experiment_required:
            sp.add_argument("experiment", help=f"one of: {', '.join(experiments.names())}")
        else:
            sp.add_argument("experiment", nargs="?", help="default: every experiment")
        sp.add_argument("--results", default=str(results.DEFAULT_RESULTS), help="results root (default: %(default)s)")

    def configuration(sp, what):
        sp.add_argument("--data", default=None, help="dataset directory (paper profile): part of a run's identity")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help=f"override the profile's setting, e.g. recipe.epochs=1, train_limit=500, "
                             f"model.width=0.5, seeds=[0,1] (repeatable; {what})")

    r = sub.add_parser("run", help="train an experiment's models")
    common(r)
    r.add_argument("--profile", default="local", help=f"one of {', '.join(results.PROFILES)} (default local)")
    r.add_argument("--executor", default=executors.DEFAULT, help="default: %(default)s; see `list`")
    configuration(r, "the run's config records it")
    sweep_options(r)
    r.add_argument("--models", default=None, help="comma-separated subset of the experiment's models")
    r.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    r.add_argument("--workers", type=int, default=None, help="pool executor: worker processes (default: cores)")
    r.add_argument("--no-wait", action="store_true", help="submit and return (cluster executors)")
    r.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    g = r.add_argument_group("cluster resources (slurm executor; override the profile's)")
    g.add_argument("--partition", help=executors.RESOURCE_KEYS["partition"])
    g.add_argument("--account", help=executors.RESOURCE_KEYS["account"])
    g.add_argument("--constraint", help=executors.RESOURCE_KEYS["constraint"])
    g.add_argument("--time", help="time limit per run: minutes or [D-]H:M:S")
    g.add_argument("--gpus", type=int, help="GPUs per node")
    g.add_argument("--cpus", type=int, help="CPUs per task")
    g.add_argument("--mem", type=int, help="memory per node, GB")
    g.add_argument("--nodes", type=int, help=executors.RESOURCE_KEYS["nodes"])
    g.add_argument("--tasks-per-node", type=int, help=executors.RESOURCE_KEYS["tasks_per_node"])
    g.add_argument("--array-parallelism", type=int, help="at most this many runs of the array at once")
    r.set_defaults(fn=cmd_run)
    s = sub.add_parser("status", help="state of each run of an experiment")
    common(s, experiment_required=False)
    s.add_argument("--profile", default=None)
    s.add_argument("--data", default=None, help="dataset directory (paper profile), to list its runs not started")
    s.set_defaults(fn=cmd_status)
    c = sub.add_parser("collect", help="render the experiment's table/figure from its finished runs")
    common(c)
    c.add_argument("--profile", default="local")
    configuration(c, "default: the profile's own setting")
    sweep_options(c)
    c.add_argument("--out", default=None, help="output directory (default: paper_tables/out)")
    c.add_argument("--timeout", type=float, default=None, help="seconds to wait for submitted jobs (default: no limit)")
    c.set_defaults(fn=cmd_collect)
    sub.add_parser("list", help="experiments, profiles, executors").set_defaults(fn=cmd_list)
    sh = sub.add_parser("show", help="an experiment's setting, each field stated by the paper or chosen (and why)")
    sh.add_argument("experiment", help=f"one of: {', '.join(experiments.names())}")
    sh.add_argument("--profile", default="paper", help=f"one of {', '.join(results.PROFILES)} (default paper)")
    sh.add_argument("--set", action="append", metavar="KEY=VALUE", help="as for `run`")
    sh.set_defaults(fn=cmd_show)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except ValueError as e:  # unknown names, bad --set, missing data: one clear line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # e.g. a results directory that cannot be written
        print(f"error: {e.filename or ''}: {e.strerror or e}; check the path and its permissions (--results)",
              file=sys.stderr)
        return 2
