"""``python -m jobs run|status|collect|list|show``: run an experiment, see its runs, gather its table, show
where its setting comes from. The results root is --results, else $SUITE_RESULTS, else results/ of this
checkout."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from suite import experiments, results

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


def validated(check, prefix: str = ""):
    """An argparse ``type=`` that checks a value with ``check`` (which raises ValueError naming what is
    valid) and keeps the text: argparse then names the option in its error and exits 2."""
    def convert(text: str) -> str:
        try:
            check(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(prefix)) from None
        return text
    convert.__name__ = getattr(check, "__name__", "value")
    return convert


def positive_int(text: str) -> int:
    """argparse ``type=``: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative(kind):
    """argparse ``type=``: a number of ``kind`` (int, float) >= 0."""
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = -1
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"expected a non-negative {kind.__name__}, got {text!r}")
        return value
    convert.__name__ = f"non-negative {kind.__name__}"
    return convert


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
                                "name": f"{exp.name}-{args.profile}"})
    try:
        return _submit_and_wait(args, exp, ex, tasks, todo, done, folder)
    finally:
        ex.close()


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
        status = results.classify(runner.run_dir(task), check_lock=True)
        if status.state in (results.FINISHED, results.RUNNING):
            action = f"would skip ({status.describe()})"
        else:
            todo += 1
            action = "would train" + (f" (now {status.describe()})" if status.state != results.NOT_STARTED else "")
        over = results.format_overrides(dict(task.overrides)) if task.overrides else "none"
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
                   job=row.get("job"), code=status.state, epochs=status.epochs)
        row["job_state"], row["error"] = records.job_state(row["job"]) if row["job"] else ("", None)
        out.append(row)
    order = {m: i for i, m in enumerate(exp.models)}
    return sorted(out, key=lambda r: (order[r["model"]], str(r["seed"]), repr(sorted(r["overrides"].items()))))


JSON_ROW_KEYS = ("experiment", "profile", "model", "seed", "state", "description", "epochs", "run_dir",
                 "overrides", "executor", "job_id", "job_state", "error")


def json_row(exp, profile: str, row: dict) -> dict:
    """A status row as ``status --json`` prints it: the keys of JSON_ROW_KEYS, always all of them."""
    job = row["job"] or {}
    seed = row["seed"]
    return {"experiment": exp.name, "profile": profile, "model": row["model"],
            "seed": int(seed) if str(seed).isdigit() else seed, "state": row["code"], "description": row["state"],
            "epochs": row["epochs"], "run_dir": row["dir"], "overrides": row["overrides"],
            "executor": job.get("executor"), "job_id": job.get("job_id"), "job_state": row["job_state"] or None,
            "error": row["error"]}


def cmd_status(args) -> int:
    names = [args.experiment] if args.experiment else experiments.names()
    profiles = [results.check_profile(args.profile)] if args.profile else list(results.PROFILES)
    shown, rows_json = 0, []
    for name in names:
        exp = experiments.get(name)
        for profile in profiles:
            rows = status_rows(exp, profile, args.results, args.data)
            started = [r for r in rows if r["code"] != results.NOT_STARTED]
            if args.json:
                rows_json += [json_row(exp, profile, r) for r in (rows if args.experiment else started)]
                continue
            if not args.experiment and not started:
                continue
            shown += 1
            print(f"{exp.name} [{profile}]")
            for r in rows:
                job = f"  job {r['job']['executor']}:{r['job']['job_id']}" if r["job"] else ""
                job += f" {r['job_state']}" if r["job_state"] else ""
                over = f"  [{results.format_overrides(r['overrides'])}]" if r["overrides"] else ""
                print(f"  {r['model']:<18} seed {r['seed']}: {r['state']}{job}{over}")
                if r["error"]:
                    print("\n".join("      | " + line for line in r["error"].splitlines()))
            if not started:
                print(f"  no run started under {Path(args.results) / exp.results_key / profile}; start them with "
                      f"`python -m jobs run {exp.name} --profile {profile}`")
    if args.json:
        print(json.dumps(rows_json, indent=1))
    elif not shown:
        print(f"no runs found under {args.results}; start one with `python -m jobs run fcnn-table2` "
              f"(or `make reproduce-table2`), or point --results / ${results.RESULTS_ENV} at a results root")
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


LIST_KEYS = ("experiment", "paper", "target", "models", "runs_of", "profiles")


def cmd_list(args) -> int:
    if args.json:
        print(json.dumps([{"experiment": e.name, "paper": e.paper, "target": e.target, "models": list(e.models),
                           "runs_of": e.results_key, "profiles": [p for p in results.PROFILES if p in e.settings]}
                          for e in map(experiments.get, experiments.names())], indent=1))
        return 0
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
    print(f"models: {', '.join(exp.models)}" + (f" (trained by {exp.results_key})" if exp.results_key != exp.name
                                                   else ""))
    print(f"seeds: {', '.join(map(str, setting.seeds))}; dataset {setting.dataset}; results under "
          f"<results root>/{exp.results_key}/{args.profile}/")
    given = ", ".join(f"{k} {v}" for k, v in sorted(setting.resources.items())) or "none"
    used = executors.slurm_parameters(setting.resources, f"{exp.name}-{args.profile}")
    print(f"resources (slurm executor; --partition, --gpus, ... override): the profile's {given}; with the "
          f"defaults: " + ", ".join(f"{k.removeprefix('slurm_')} {v}" for k, v in sorted(used.items())
                                    if k not in ("slurm_setup", "name")))
    print()
    print(provenance.table(exp.name, args.profile, setting, [k for k, _ in overrides]))
    return 0


EXAMPLES = {
    "run": """examples:
  python -m jobs run fcnn-table2                                   # local profile, pool executor
  python -m jobs run fcnn-table2 --models fcnn-a,fcnn-e --seeds 0,1 --set recipe.epochs=2
  python -m jobs run fcnn-table7 --profile paper --data /data/imagenet --executor slurm --dry-run
  python -m jobs run hocp-table1 --profile paper --data /data/cifar10 --executor slurm --partition gpu --no-wait
""",
    "status": """examples:
  python -m jobs status                                # every experiment with runs
  python -m jobs status fcnn-table2 --profile local
  python -m jobs status fcnn-table2 --json | jq '.[] | select(.state != "finished")'

--json prints a list of rows, one per run, each with the keys: """ + ", ".join(JSON_ROW_KEYS) + """
(state: not started, running, unfinished, failed, finished or bad; description: the text line's state;
job_state: the scheduler's, for submitit jobs; error: why a job ended without a finished run).
""",
    "collect": """examples:
  python -m jobs collect fcnn-table2                   # waits for submitted jobs, then the table and curves
  python -m jobs collect fcnn-table7 --profile paper --data /data/imagenet --timeout 600
  python -m jobs collect fcnn-table2 --set recipe.epochs=1 --out /tmp/tables
""",
    "list": """examples:
  python -m jobs list
  python -m jobs list --json

--json prints a list of experiments, each with the keys: """ + ", ".join(LIST_KEYS) + """
(runs_of: the experiment whose runs it reads, e.g. FCNN Figure 2 reads FCNN Table 7's).
""",
    "show": """examples:
  python -m jobs show fcnn-table2                      # the paper profile: every field stated or chosen
  python -m jobs show fcnn-table2 --profile local
  python -m jobs show hocp-table1 --set recipe.epochs=10
""",
}


def sweep_options(sp) -> None:
    """--sweep / --no-sweep of ``run`` and ``collect`` (see jobs.sweeps)."""
    sp.add_argument("--sweep", action="append", metavar="KEY=V1,V2,...",
                    help="train (run) or select from (collect) a grid: every value of KEY (keys as for --set; "
                         "repeatable, several keys give their product); each model's point is selected by its mean "
                         "final validation top-1 over seeds (default: the experiment's own grid for the profile, if any)")
    sp.add_argument("--no-sweep", action="store_true", help="ignore the experiment's default grid: one configuration")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jobs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {results.project_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    experiment_type = validated(experiments.get)
    profile_type, executor_type = validated(results.check_profile), validated(executors.check_name)

    def add(name, **kw):
        return sub.add_parser(name, epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter, **kw)

    def experiment(sp, **kw):
        sp.add_argument("experiment", type=experiment_type, choices=experiments.names(), metavar="EXPERIMENT",
                        **{"help": f"one of: {', '.join(experiments.names())}", **kw})

    def common(sp, experiment_required=True):
        if experiment_required:
            experiment(sp)
        else:
            experiment(sp, nargs="?", help=f"default: every experiment (one of: {', '.join(experiments.names())})")
        sp.add_argument("--results", default=None, help=results.RESULTS_HELP)

    def profile(sp, default, what=""):
        sp.add_argument("--profile", default=default, type=profile_type, choices=results.PROFILES,
                        help=f"one of {', '.join(results.PROFILES)} ({what or f'default {default}'})")

    def configuration(sp, what):
        sp.add_argument("--data", default=None, help="dataset directory (paper profile): part of a run's identity")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help=f"override the profile's setting, e.g. recipe.epochs=1, train_limit=500, "
                             f"model.width=0.5, seeds=[0,1] (repeatable; {what})")

    r = add("run", help="train an experiment's models")
    common(r)
    profile(r, "local")
    r.add_argument("--executor", default=executors.DEFAULT, type=executor_type, choices=executors.names(),
                   help=f"one of {', '.join(executors.names())} (default %(default)s, as `make`)")
    configuration(r, "the run's config records it")
    sweep_options(r)
    r.add_argument("--models", default=None, help="comma-separated subset of the experiment's models")
    r.add_argument("--seeds", default=None, type=validated(parse_seeds, "--seeds: "),
                   help="comma-separated seeds (default: the profile's)")
    r.add_argument("--workers", type=positive_int, default=None, help="pool executor: worker processes (default: cores)")
    r.add_argument("--no-wait", action="store_true", help="submit and return (cluster executors)")
    r.add_argument("--no-progress", action="store_true", help="no tqdm bars (plain lines: the pool's workers, epochs)")
    r.add_argument("--dry-run", action="store_true", help="print what would be submitted (runs, executor, "
                   "resources, the slurm executor's sbatch script) and write nothing")
    g = r.add_argument_group("cluster resources (slurm executor; override the profile's)")
    g.add_argument("--partition", help=executors.RESOURCE_KEYS["partition"])
    g.add_argument("--account", help=executors.RESOURCE_KEYS["account"])
    g.add_argument("--constraint", help=executors.RESOURCE_KEYS["constraint"])
    g.add_argument("--time", type=validated(executors.parse_time, "time: "),
                   help="time limit per run: minutes or [D-]H:M:S")
    g.add_argument("--gpus", type=non_negative(int), help="GPUs per node")
    g.add_argument("--cpus", type=positive_int, help="CPUs per task")
    g.add_argument("--mem", type=positive_int, help="memory per node, GB")
    g.add_argument("--nodes", type=positive_int, help=executors.RESOURCE_KEYS["nodes"])
    g.add_argument("--tasks-per-node", type=positive_int, help=executors.RESOURCE_KEYS["tasks_per_node"])
    g.add_argument("--array-parallelism", type=positive_int, help="at most this many runs of the array at once")
    r.set_defaults(fn=cmd_run)
    s = add("status", help="state of each run of an experiment")
    common(s, experiment_required=False)
    profile(s, None, "default: every profile")
    s.add_argument("--data", default=None, help="dataset directory (paper profile), to list its runs not started")
    s.add_argument("--json", action="store_true", help="print the rows as a JSON list (keys below)")
    s.set_defaults(fn=cmd_status)
    c = add("collect", help="render the experiment's table/figure from its finished runs")
    common(c)
    profile(c, "local")
    configuration(c, "default: the profile's own setting")
    sweep_options(c)
    c.add_argument("--out", default=None, help="output directory (default: paper_tables/out)")
    c.add_argument("--timeout", type=non_negative(float), default=None,
                   help="seconds to wait for submitted jobs (default: no limit)")
    c.set_defaults(fn=cmd_collect)
    ls = add("list", help="experiments, profiles, executors")
    ls.add_argument("--json", action="store_true", help="print the experiments as a JSON list (keys below)")
    ls.set_defaults(fn=cmd_list)
    sh = add("show", help="an experiment's models, resources and setting, each field stated by the paper or "
                          "chosen (and why)")
    experiment(sh)
    profile(sh, "paper")
    sh.add_argument("--set", action="append", metavar="KEY=VALUE", help="as for `run`")
    sh.set_defaults(fn=cmd_show)
    return p


def main(argv=None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help, --version (0) or a usage error (2, argparse's message on stderr)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if hasattr(args, "results"):  # at call time, so $SUITE_RESULTS set after import applies
        args.results = str(results.results_root(args.results))
    try:
        return args.fn(args)
    except TimeoutError as e:  # collect --timeout
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # unknown names, bad --set, missing data: one clear line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # e.g. a results directory that cannot be written
        print(f"error: {e.filename or ''}: {e.strerror or e}; check the path and its permissions (--results)",
              file=sys.stderr)
        return 2
