"""``python -m jobs status``: one row per run of an experiment (those its profile defines, those submitted and those
on disk), each classified by :func:`suite.runs.classify`."""
from __future__ import annotations

import json
from pathlib import Path

from suite import experiments, profiles, runs

from . import records, runner, sweeps


def _overrides_of(path: Path, record: dict | None) -> dict:
    try:
        return dict(runs.read_json(path / runs.CONFIG).get("overrides") or {})
    except (OSError, ValueError, AttributeError, TypeError):
        return {k: v for k, v in (record or {}).get("overrides", [])} if record else {}


def status_rows(exp, profile, results_root, data_root=None, overrides=()) -> list[dict]:
    """One row per run of the experiment: the profile's runs (those of ``overrides``), every run
    submitted (jobs.jsonl) and every run directory on disk; each classified by suite.runs."""
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
    for d in runs.run_dirs(results_root, exp.results_key, profile):
        model, _, rest = d.name.partition("_s")
        if model in exp.models:
            rows.setdefault(str(d), {"model": model, "seed": rest.split("_")[0]})
    out = []
    for path, row in rows.items():
        if row["model"] not in exp.models:
            continue
        status = runs.classify(path)
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
    chosen = [profiles.check_profile(args.profile)] if args.profile else list(profiles.PROFILES)
    shown, rows_json = 0, []
    for name in names:
        exp = experiments.get(name)
        for profile in chosen:
            rows = status_rows(exp, profile, args.results, args.data)
            started = [r for r in rows if r["code"] != runs.NOT_STARTED]
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
                over = f"  [{runs.format_overrides(r['overrides'])}]" if r["overrides"] else ""
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
              f"(or `make reproduce-table2`), or point --results / ${runs.RESULTS_ENV} at a results root")
    return 0

