"""``python -m jobs run|status|collect|list``: run an experiment, see its runs, gather its table."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import executors, experiments, runner


def _split(value: str | None):
    return [v for v in value.split(",") if v] if value else None


def record_jobs(results_root, exp, profile, executor: str, submitted) -> None:
    """Append one line per submitted job to results/<experiment>/<profile>/jobs.jsonl (for status)."""
    path = Path(results_root) / exp.results_key / profile / "jobs.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        for task, job in submitted:
            f.write(json.dumps({"model": task.model, "seed": task.seed, "executor": executor,
                                "job_id": str(job.job_id), "submitted": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                      time.gmtime())}) + "\n")


def read_jobs(results_root, exp, profile) -> dict:
    path = Path(results_root) / exp.results_key / profile / "jobs.jsonl"
    jobs = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                j = json.loads(line)
                jobs[(j["model"], j["seed"])] = j
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a torn last line of a log is not worth failing status over
    return jobs


def report(task, job) -> bool:
    try:
        s = job.result()
    except Exception as e:  # report every failed run, then fail the command
        print(f"  {task.model:<18} seed {task.seed}: FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return False
    print(f"  {task.model:<18} seed {task.seed}: top-1 {s['top1']:.2f}%  top-5 {s['top5']:.2f}%  "
          f"({s['epochs']} epochs, {s['train_seconds']:.0f} s)  {runner.run_dir(task)}", flush=True)
    return True


def cmd_run(args) -> int:
    exp = experiments.get(args.experiment)
    experiments.check_profile(args.profile)
    tasks = runner.tasks_for(args.experiment, args.profile, args.results, args.data,
                             _split(args.models), [int(s) for s in _split(args.seeds)] if args.seeds else None)
    setting = exp.setting(args.profile)
    folder = Path(args.results) / "_submitit" / exp.results_key / args.profile
    ex = executors.get(args.executor, folder=folder, resources=setting.resources,
                       options={"progress": not args.no_progress, "workers": args.workers})
    print(f"{exp.name} ({exp.paper} {exp.target}), profile {args.profile}, executor {args.executor}: "
          f"{len(tasks)} run(s) -> {Path(args.results) / exp.results_key / args.profile}", flush=True)
    t0 = time.perf_counter()
    submitted = []
    for task in tasks:
        job = ex.submit(runner.run_one, task)
        submitted.append((task, job))
        record_jobs(args.results, exp, args.profile, args.executor, [(task, job)])
    if args.no_wait:
        for task, job in submitted:
            print(f"  submitted {task.model} seed {task.seed}: job {job.job_id}")
        return 0
    failed = 0
    from tqdm.auto import tqdm
    bar = tqdm(total=len(submitted), desc="runs finished", disable=args.no_progress or args.executor == "inprocess")
    pending = list(submitted)
    while pending:
        for task, job in [p for p in pending if p[1].done()]:
            pending.remove((task, job))
            bar.update()
            failed += not report(task, job)
        if pending:
            time.sleep(0.5)
    bar.close()
    print(f"{len(tasks) - failed}/{len(tasks)} run(s) finished in {time.perf_counter() - t0:.0f} s", flush=True)
    return 1 if failed else 0


def status_rows(exp, profile, results_root) -> list[dict]:
    from suite import results
    jobs = read_jobs(results_root, exp, profile)
    rows = []
    for task in runner.tasks_for(exp.name, profile, results_root):
        d = runner.run_dir(task)
        row = {"model": task.model, "seed": task.seed, "dir": str(d), "job": jobs.get((task.model, task.seed))}
        if not (d / results.CONFIG).is_file():
            row["state"] = "not started"
        else:
            try:
                run = results.read_run(d)
                row["state"] = f"finished: top-1 {run.summary['top1']:.2f}% ({run.summary['epochs']} epochs)"
            except ValueError as e:
                metrics = d / results.METRICS
                n = len(metrics.read_text().splitlines()) if metrics.is_file() else 0
                row["state"] = (f"unfinished: {n} epoch(s) done" if "unfinished" in str(e)
                                else f"bad: {e}")
        rows.append(row)
    return rows


def cmd_status(args) -> int:
    names = [args.experiment] if args.experiment else experiments.names()
    profiles = [experiments.check_profile(args.profile)] if args.profile else list(experiments.PROFILES)
    for name in names:
        exp = experiments.get(name)
        for profile in profiles:
            rows = status_rows(exp, profile, args.results)
            if not args.experiment and all(r["state"] == "not started" for r in rows):
                continue
            print(f"{exp.name} [{profile}]")
            for r in rows:
                job = f"  job {r['job']['executor']}:{r['job']['job_id']}" if r["job"] else ""
                print(f"  {r['model']:<18} seed {r['seed']}: {r['state']}{job}")
    return 0


def cmd_collect(args) -> int:
    from paper_tables import accuracy
    text = accuracy.render(args.experiment, profile=args.profile, results_root=args.results, out_dir=args.out)
    print(text)
    return 0


def cmd_list(args) -> int:
    for name in experiments.names():
        e = experiments.get(name)
        print(f"{name:<14} {e.paper} {e.target}: {', '.join(e.models)}")
    print(f"profiles: {', '.join(experiments.PROFILES)}; executors: {', '.join(executors.names())}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, experiment_required=True):
        if experiment_required:
            sp.add_argument("experiment", help=f"one of: {', '.join(experiments.names())}")
        else:
            sp.add_argument("experiment", nargs="?", help="default: every experiment")
        sp.add_argument("--results", default=str(runner.DEFAULT_RESULTS), help="results root (default: %(default)s)")

    r = sub.add_parser("run", help="train an experiment's models")
    common(r)
    r.add_argument("--profile", default="local", help=f"one of {', '.join(experiments.PROFILES)} (default local)")
    r.add_argument("--executor", default=executors.DEFAULT, help="default: %(default)s; see `list`")
    r.add_argument("--data", default=None, help="dataset directory (paper profile)")
    r.add_argument("--models", default=None, help="comma-separated subset of the experiment's models")
    r.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    r.add_argument("--workers", type=int, default=None, help="pool executor: worker processes (default: cores)")
    r.add_argument("--no-wait", action="store_true", help="submit and return (cluster executors)")
    r.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    r.set_defaults(fn=cmd_run)
    s = sub.add_parser("status", help="state of each run of an experiment")
    common(s, experiment_required=False)
    s.add_argument("--profile", default=None)
    s.set_defaults(fn=cmd_status)
    c = sub.add_parser("collect", help="render the experiment's table/figure from its finished runs")
    common(c)
    c.add_argument("--profile", default="local")
    c.add_argument("--out", default=None, help="output directory (default: paper_tables/out)")
    c.set_defaults(fn=cmd_collect)
    sub.add_parser("list", help="experiments, profiles, executors").set_defaults(fn=cmd_list)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except ValueError as e:  # unknown names, missing data: one clear line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
