"""``python -m jobs collect``: wait for an experiment's submitted jobs, then render its table from the finished runs
of one configuration (or of each model's grid point, for a sweep) and its training curves, and last put those runs
beside the reference run shipped in reference/ per model (`paper_tables.reference.compare`, docs/reference.md)."""
from __future__ import annotations

import sys

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


def cmd_collect(args) -> int:
    import paper_tables
    from paper_tables import _render, curves
    from paper_tables import reference as reference_runs
    exp = experiments.get(args.experiment)
    profile = profiles.check_profile(args.profile)
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
    with runs.selecting(chosen):  # the tables see the runs of this configuration (per model: a sweep's) only
        text = paper_tables.render(args.experiment, profile=profile, results_root=args.results, out_dir=args.out)
        others = runs.select_runs(args.results, exp.results_key, profile).others
        curve_line = curves.collect_line(args.experiment, profile, args.results, args.out)
        versus = reference_runs.compare(args.experiment, profile, args.results)
    print(text)
    for line in notes + [f"other configuration present, not in this table: {desc}: {n} finished run(s); render it "
                         f"with those --set options" for desc, n in others]:
        print(f"collect: {line}")
    print(curve_line, file=sys.stderr)
    n_ref = versus.columns.index("n (reference)")
    if any(row[n_ref] for row in versus.rows):  # a reference run of some model: the comparison
        _render.write(versus, args.out if args.out is not None else _render.OUT_DIR, formats=(".md", ".csv"))
        print("\n" + _render.to_markdown(versus))
    else:
        print(f"collect: no reference run of {args.experiment} ({profile} profile) is shipped to compare with "
              f"(docs/reference.md)")
    return 0

