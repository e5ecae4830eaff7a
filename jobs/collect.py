"""``python -m jobs collect``: wait for an experiment's submitted jobs, then render its table from the finished runs
of one configuration (or of each model's grid point, for a sweep) and its training curves, and last put those runs
beside the reference run shipped in reference/ per model (`paper_tables.reference.compare`, docs/reference.md)."""
from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

from suite import experiments, profiles, runs

from . import records, runner, sweeps
from .launch import parse_overrides, parse_sweep


def selected_identity(exp, profile, overrides, data_root, results_root) -> tuple[str, list[str]]:
    """The identity of the configuration to render (the profile's setting with ``overrides``), and
    notes. Without --data on a profile that reads a data directory, the finished runs of that setting
    are taken on the data most of them used; the others are named (:func:`suite.runs.identity_on_any_data`)."""
    identity = runner.identity_for(exp, profile, overrides, data_root)
    if identity is not None:
        return identity, []
    groups, _ = runs.finished_groups(results_root, exp.results_key, profile)
    return runs.identity_on_any_data(groups, runner.setting_config(exp, profile, overrides))


def file_tag(overrides, sweep, chosen) -> str:
    """The suffix of the output files' names: "" for the profile's own configuration (no --set, no --sweep
    other than the experiment's default grid), else the selected configuration's short identity (a sweep's:
    a digest of each model's selected identity), so one configuration's files never overwrite another's."""
    if not overrides and (sweep is None or sweep.default):
        return ""
    if isinstance(chosen, runs.PerModel):
        text = ",".join(f"{m}={i}" for m, i in sorted(chosen.identities.items()))
        return "sweep-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return str(chosen)[:8] or "none"


def check_out(out) -> None:
    """Fail before waiting or rendering if the output directory cannot be created or written (blaming --out)."""
    from paper_tables._render import OUT_DIR
    directory = Path(out) if out is not None else OUT_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as e:
        raise ValueError(f"--out {directory}: cannot write there ({e.strerror or e}); expected a writable "
                         f"directory (default: {OUT_DIR})") from None


def missing_models(exp, selection) -> list[str]:
    """The experiment's models without a finished run in the table's ``selection`` (runs.select_runs)."""
    have = {run.config.get("model") for run in selection.runs}
    return [m for m in exp.models if m not in have]


def cmd_collect(args) -> int:
    import paper_tables
    from paper_tables import _render, curves
    from paper_tables import reference as reference_runs
    exp = experiments.get(args.experiment)
    profile = profiles.check_profile(args.profile)
    overrides = parse_overrides(args)
    runner.setting_for(exp, profile, overrides)  # a bad --set is an error here too
    check_out(args.out)
    for line in records.wait_for_jobs(exp, profile, args.results, args.timeout):
        print(f"collect: {line}", file=sys.stderr)
    sweep = parse_sweep(args, exp, profile, overrides)
    if sweep:  # each model's grid point with the best validation top-1
        selection = sweeps.report(exp, profile, sweep, args.results, args.data)
        notes, chosen = [], sweeps.per_model(selection, runner.setting_for(exp, profile, overrides).splits()["report"])
    else:
        identity, notes = selected_identity(exp, profile, overrides, args.data, args.results)
        chosen = identity or "none"
    with runs.selecting(chosen), _render.tagging(file_tag(overrides, sweep, chosen)):
        # the tables see the runs of this configuration (per model: a sweep's) only
        text = paper_tables.render(args.experiment, profile=profile, results_root=args.results, out_dir=args.out)
        selected = runs.select_runs(args.results, exp.results_key, profile)
        curve_line = curves.collect_line(args.experiment, profile, args.results, args.out)
        versus = reference_runs.compare(args.experiment, profile, args.results)
    print(text)
    for line in notes + [f"other configuration present, not in this table: {desc}: {n} finished run(s); render it "
                         f"with those --set options" for desc, n in selected.others]:
        print(f"collect: {line}")
    print(curve_line, file=sys.stderr)
    n_ref = versus.columns.index("n (reference)")
    if any(row[n_ref] for row in versus.rows):  # a reference run of some model: the comparison
        _render.write(versus, args.out if args.out is not None else _render.OUT_DIR, formats=(".md", ".csv"))
        print("\n" + _render.to_markdown(versus))
    else:
        print(f"collect: no reference run of {args.experiment} ({profile} profile) is shipped to compare with "
              f"(docs/reference.md)")
    return _finished_check(exp, profile, selected, args)


def _finished_check(exp, profile, selected, args) -> int:
    """Say on stderr when the table has no finished run, or (--strict) which models have none; the exit status:
    1 under --strict when a model has no finished run, else 0."""
    missing = missing_models(exp, selected)
    where = f"{exp.results_key}/{profile} under {args.results}"
    if len(missing) == len(exp.models):
        print(f"collect: no finished run of this configuration in {where}; the table has no measured value "
              f"(train them with `python -m jobs run {exp.name} --profile {profile}` and the same --set options)",
              file=sys.stderr)
    elif missing and args.strict:
        print(f"collect: --strict: no finished run of {', '.join(missing)} in {where}", file=sys.stderr)
    return 1 if missing and args.strict else 0


def add_options(sp) -> None:
    """The options of ``collect`` beyond the experiment, --results, --profile, --set and --sweep."""
    sp.add_argument("--strict", action="store_true", help="exit 1 when a model of the experiment has no finished "
                    "run of the configuration (default: render what there is, exit 0)")
