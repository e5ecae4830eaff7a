"""``python -m jobs run|status|collect|list|show``: run an experiment, see its runs, gather its table, show
where its setting comes from."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from suite import results

from . import executors, experiments, records, runner


def _split(value: str | None):
    return [v for v in value.split(",") if v] if value else None


def resource_overrides(args) -> dict:
    """Cluster resources given on the command line (they override the profile's)."""
    r = {"partition": args.partition, "account": args.account, "constraint": args.constraint,
         "timeout_min": None if args.time is None else executors.parse_time(args.time),
         "gpus_per_node": args.gpus, "cpus_per_task": args.cpus, "mem_gb": args.mem, "nodes": args.nodes,
         "tasks_per_node": args.tasks_per_node, "array_parallelism": args.array_parallelism}
    return {k: v for k, v in r.items() if v is not None}


def report(task, job) -> bool:
    try:
        s = executors.first_result(job)
    except Exception as e:  # report every failed run, then fail the command
        print(f"  {task.model:<18} seed {task.seed}: FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return False
    print(f"  {task.model:<18} seed {task.seed}: top-1 {s['top1']:.2f}%  top-5 {s['top5']:.2f}%  "
          f"({s['epochs']} epochs, {s['train_seconds']:.0f} s)  {runner.run_dir(task)}", flush=True)
    return True


def cmd_run(args) -> int:
    exp = experiments.get(args.experiment)
    results.check_profile(args.profile)
    overrides = tuple(runner.parse_override(o) for o in args.set or ())
    tasks = runner.tasks_for(args.experiment, args.profile, args.results, args.data,
                             _split(args.models), [int(s) for s in _split(args.seeds)] if args.seeds else None,
                             overrides)
    setting = runner.setting_for(exp, args.profile, overrides)
    folder = Path(args.results) / "_submitit" / exp.results_key / args.profile
    ex = executors.get(args.executor, folder=folder, resources={**setting.resources, **resource_overrides(args)},
                       options={"progress": not args.no_progress, "workers": args.workers,
                                "name": f"{exp.name}-{args.profile}"})
    print(f"{exp.name} ({exp.paper} {exp.target}), profile {args.profile}, executor {args.executor}: "
          f"{len(tasks)} run(s) -> {Path(args.results) / exp.results_key / args.profile}", flush=True)
    t0 = time.perf_counter()
    submitted = []
    for task, job in ex.submit(runner.run_one, tasks):
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
    ok = []

    def on_done(task, job):
        bar.update()
        ok.append(report(task, job))

    ex.wait(submitted, on_done)
    bar.close()
    failed = ok.count(False)
    print(f"{len(tasks) - failed}/{len(tasks)} run(s) finished in {time.perf_counter() - t0:.0f} s", flush=True)
    return 1 if failed else 0


def status_rows(exp, profile, results_root) -> list[dict]:
    jobs = records.read_jobs(results_root, exp, profile)
    tasks = {(t.model, t.seed): t for t in runner.tasks_for(exp.name, profile, results_root)}
    for (model, seed), rec in jobs.items():  # the latest submission of each (model, seed), as submitted
        tasks[(model, seed)] = runner.Task(exp.name, model, seed, profile, str(results_root),
                                           overrides=tuple(tuple(o) for o in rec.get("overrides", ())))
    rows = []
    for task in tasks.values():
        d = runner.run_dir(task)
        row = {"model": task.model, "seed": task.seed, "dir": str(d), "job": jobs.get((task.model, task.seed))}
        row["job_state"], row["error"] = records.job_state(row["job"]) if row["job"] else ("", None)
        if not (d / results.CONFIG).is_file():
            row["state"] = "not started"
        else:
            try:
                run = results.read_run(d)
                row["state"] = f"finished: top-1 {run.summary['top1']:.2f}% ({run.summary['epochs']} epochs)"
            except results.UnfinishedRun:
                metrics = d / results.METRICS
                row["state"] = f"unfinished: {len(metrics.read_text().splitlines())} epoch(s) done"
            except results.BadRun as e:
                row["state"] = f"bad: {e}"
        rows.append(row)
    return rows


def cmd_status(args) -> int:
    names = [args.experiment] if args.experiment else experiments.names()
    profiles = [results.check_profile(args.profile)] if args.profile else list(results.PROFILES)
    for name in names:
        exp = experiments.get(name)
        for profile in profiles:
            rows = status_rows(exp, profile, args.results)
            if not args.experiment and all(r["state"] == "not started" for r in rows):
                continue
            print(f"{exp.name} [{profile}]")
            for r in rows:
                job = f"  job {r['job']['executor']}:{r['job']['job_id']}" if r["job"] else ""
                job += f" {r['job_state']}" if r["job_state"] else ""
                print(f"  {r['model']:<18} seed {r['seed']}: {r['state']}{job}")
                if r["error"]:
                    print("\n".join("      | " + line for line in r["error"].splitlines()))
    return 0


def cmd_collect(args) -> int:
    import paper_tables
    exp = experiments.get(args.experiment)
    for line in records.wait_for_jobs(exp, results.check_profile(args.profile), args.results, args.timeout):
        print(f"collect: {line}", file=sys.stderr)
    text = paper_tables.render(args.experiment, profile=args.profile, results_root=args.results, out_dir=args.out)
    print(text)
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
    print(provenance.table(exp.name, args.profile, setting))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, experiment_required=True):
        if experiment_required:
            sp.add_argument("experiment", help=f"one of: {', '.join(experiments.names())}")
        else:
            sp.add_argument("experiment", nargs="?", help="default: every experiment")
        sp.add_argument("--results", default=str(results.DEFAULT_RESULTS), help="results root (default: %(default)s)")

    r = sub.add_parser("run", help="train an experiment's models")
    common(r)
    r.add_argument("--profile", default="local", help=f"one of {', '.join(results.PROFILES)} (default local)")
    r.add_argument("--executor", default=executors.DEFAULT, help="default: %(default)s; see `list`")
    r.add_argument("--data", default=None, help="dataset directory (paper profile)")
    r.add_argument("--models", default=None, help="comma-separated subset of the experiment's models")
    r.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    r.add_argument("--workers", type=int, default=None, help="pool executor: worker processes (default: cores)")
    r.add_argument("--no-wait", action="store_true", help="submit and return (cluster executors)")
    r.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    r.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override the profile's setting, e.g. recipe.epochs=1, train_limit=500, model.width=0.5 "
                        "(repeatable; the run's config records it)")
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
    s.set_defaults(fn=cmd_status)
    c = sub.add_parser("collect", help="render the experiment's table/figure from its finished runs")
    common(c)
    c.add_argument("--profile", default="local")
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
    except ValueError as e:  # unknown names, missing data: one clear line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
