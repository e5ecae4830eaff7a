"""The tables and figures of both papers: ``python -m paper_tables [EXPERIMENT] [--profile P]``.

`GENERATORS` maps each name to ``render(name, profile, results_root, out_dir) -> Markdown``:
"complexity" (every complexity table and HO-CP Figure 5, from `suite.complexity`, no training) and one
entry per experiment of `jobs` (its accuracy table or figure from the finished runs under
``results/<experiment>/<profile>/``). `jobs collect` calls `render`; `make tables` runs every generator.
"""
from __future__ import annotations

from pathlib import Path

from suite import experiments, runs
from suite.profiles import PROFILES, check_profile

from . import _render, claims, complexity, fcnn_accuracy, fcnn_figure2, fcnn_table7, hocp_accuracy, untested, user_table

GENERATORS = {
    "complexity": complexity.render,
    "fcnn-figure2": fcnn_figure2.render,
    "fcnn-table2": fcnn_accuracy.render,
    "fcnn-table4": fcnn_accuracy.render,
    "fcnn-table5": fcnn_accuracy.render,
    "fcnn-table7": fcnn_table7.render,
    "hocp-table1": hocp_accuracy.render,
    "hocp-table2": hocp_accuracy.render,
    "fcnn-residual": untested.render,   # the claims the papers argue but never test
    "hocp-compress": untested.render,
    "hocp-psi-ablation": untested.render,
    "claims": claims.render,
}
PROFILE_FREE = ("complexity", "claims")       # generators rendered once (no runs, or every profile at once)
RUNS_OF = {"fcnn-figure2": fcnn_figure2.RESULTS_OF}  # generators that plot another experiment's runs


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    """Regenerate the tables/figures of ``experiment`` (a `GENERATORS` name) and, under them, the verdicts of
    its claims (also written as <experiment>_<profile>_claims.md/.csv); returns their Markdown. An experiment of
    the user's (registered from its file, `suite.experiments.load`) gets `user_table`."""
    generator = GENERATORS.get(experiment) or (user_table.render if experiments.user(experiment) else None)
    if generator is None:
        from suite.suggest import did_you_mean
        valid = sorted(GENERATORS)
        raise ValueError(f"unknown experiment {experiment!r}; valid experiments: {', '.join(valid)}"
                         f"{did_you_mean(experiment, valid)}")
    md = generator(experiment, check_profile(profile), results_root, out_dir)
    if experiment in PROFILE_FREE or not claims.for_experiment(experiment):
        return md
    verdicts = claims.table(experiment, profile, results_root)
    _render.write(verdicts, Path(out_dir) if out_dir is not None else _render.OUT_DIR, formats=(".md", ".csv"))
    return md + "\n" + _render.to_markdown(verdicts)


def profiles_with_runs(experiment: str, results_root=None) -> list[str]:
    """The profiles `make tables` renders ``experiment`` for: local always (so the paper columns are there
    before any training), every other profile that has runs."""
    root = runs.results_root(results_root)
    runs_of = RUNS_OF.get(experiment, experiment)
    return [p for p in PROFILES if p == "local" or runs.run_dirs(root, runs_of, p)]
