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
# The states a row can be in (suite.runs.classify), in the order the summary line counts them.
STATES = (runs.FINISHED, runs.RUNNING, runs.UNFINISHED, runs.FAILED, runs.BAD, runs.NOT_STARTED)
FAILING = (runs.BAD, runs.FAILED)  # any selected run in one of these: exit status 1
EXIT_CODES = """exit status: 0 when no selected run is bad or failed (runs not started, running or unfinished are
fine), 1 when at least one is (a script can wait on it: `python -m jobs status fcnn-table2 --state bad,failed`),
2 for a usage error (an unknown experiment, profile, state or --set key)."""


def parse_states(values) -> tuple[str, ...]:
    """The states of ``--state`` (repeatable, or comma-separated; "not-started" for "not started")."""
    chosen = [v.strip().replace("-", " ").replace("_", " ") for text in values or () for v in text.split(",")]
    unknown = [v for v in chosen if v not in STATES]
    if unknown:
        raise ValueError(f"--state: unknown state {unknown[0]!r}; expected one or more (comma-separated) of: "
                         f"{', '.join(s.replace(' ', '-') for s in STATES)}")
    return tuple(dict.fromkeys(chosen))


def summary(rows) -> dict:
    """How many rows are in each state (every state of STATES, zero included) and in all."""
    counts = {s: 0 for s in STATES}
    for r in rows:
        counts[r["code"]] += 1
    return {"runs": len(rows), **counts}


def summary_line(counts: dict) -> str:
    """``12 runs: 2 finished, 0 running, 1 unfinished, 0 failed, 1 bad, 8 not started``."""
    n = counts["runs"]
    return f"{n} run{'' if n == 1 else 's'}: " + ", ".join(f"{counts[s]} {s}" for s in STATES)


def exit_code(rows) -> int:
    return 1 if any(r["code"] in FAILING for r in rows) else 0


def selected_identities(exp, profile, overrides, data_root) -> list[tuple[str | None, dict]]:
    """(identity or None, setting) of every configuration that ``--set`` selects: the configuration itself, or
    each point of the experiment's default grid. None: the data directory is not given (the setting is compared
    without the data's fingerprint, as ``collect`` does)."""
    sweep = sweeps.resolve(exp, profile, None, overrides)
    configs = [sweep.overrides(p) for p in sweep.points()] if sweep else [overrides]
    return [(runner.identity_for(exp, profile, over, data_root), runner.setting_config(exp, profile, over))
            for over in configs]


def _in_selection(path: str, selection) -> bool:
    """Whether the run directory ``path`` is one of ``selection``'s (see :func:`selected_identities`)."""
    config = _config_of(Path(path))
    for identity, setting in selection:
        if identity is not None and (Path(path).name.endswith(f"_{identity}")
                                     or (config is not None and runs.identity_key(config) == identity)):
            return True
        if identity is None and config is not None:
            drop = (*runs.IDENTITY_EXCLUDED, "data")
            if {k: v for k, v in config.items() if k not in drop} == json.loads(json.dumps(setting)):
                return True
    return False


def _config_of(path: Path) -> dict | None:
    try:
        config = runs.read_json(path / runs.CONFIG)
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) else None


def selected_rows(exp, profile, args) -> list[dict]:
    """The status rows of ``exp``/``profile`` that ``--set`` and ``--state`` select."""
    overrides = tuple(runner.parse_override(o) for o in getattr(args, "set", None) or ())
    rows = status_rows(exp, profile, args.results, args.data, overrides)
    if overrides:  # the runs of that configuration only, as `collect --set` renders
        selection = selected_identities(exp, profile, overrides, args.data)
        rows = [r for r in rows if _in_selection(r["dir"], selection)]
    states = parse_states(getattr(args, "state", None))
    return [r for r in rows if r["code"] in states] if states else rows


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
    states = parse_states(args.state)  # a bad --state fails before anything is read
    shown, selected, rows_json = 0, [], []
    for name in names:
        exp = experiments.get(name)
        for profile in chosen:
            rows = selected_rows(exp, profile, args)
            started = [r for r in rows if r["code"] != runs.NOT_STARTED]
            if not args.experiment:  # every experiment: its started runs only
                if not started:
                    continue
                rows = started
            rows = [r for r in rows if r["code"] in states] if states else rows
            selected += rows
            if args.json:
                rows_json += [json_row(exp, profile, r) for r in rows]
                continue
            shown += 1
            _print_rows(exp, profile, rows, args, started)
    rc = exit_code(selected)
    counts = summary(selected)
    if args.json:
        print(json.dumps({"summary": counts, "exit_status": rc, "runs": rows_json}, indent=1))
    elif not shown:
        print(f"no runs found under {args.results}; start one with `python -m jobs run fcnn-table2` "
              f"(or `make reproduce-table2`), or point --results / ${runs.RESULTS_ENV} at a results root")
    else:
        print(f"summary: {summary_line(counts)}" + (f" (state {', '.join(states)})" if states else ""))
    return rc


def _print_rows(exp, profile, rows, args, started) -> None:
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


def add_options(sp) -> None:
    """The options of ``status`` beyond the experiment, --results and --profile."""
    sp.add_argument("--data", default=None, help="dataset directory (paper profile), to list its runs not started")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="only the runs of this configuration, as `collect --set` selects them (repeatable)")
    sp.add_argument("--state", action="append", metavar="STATE[,STATE...]",
                    help=f"only the runs in these states (repeatable or comma-separated): "
                         f"{', '.join(s.replace(' ', '-') for s in STATES)}")
    sp.add_argument("--json", action="store_true", help="print the summary and the rows as one JSON object "
                                                        "(keys below)")
