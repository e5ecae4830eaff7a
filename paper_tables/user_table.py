"""The table of an experiment of your own (``--config my_experiment.toml``, `suite.experiments.user`): per model,
the measured top-1 and top-5 (mean, sample sd, 95 % t-interval over the finished seeds, n), from the finished runs
of one configuration under ``results/<experiment>/<profile>/`` (the same reading as the papers' tables,
`paper_tables.accuracy`); its claims, if the file states any, are judged under it as the papers' are
(`paper_tables.claims`). There is no paper column: the file states no printed numbers."""
from __future__ import annotations

from suite import experiments

from . import _render
from .accuracy import collect, emit, measured_cells, measured_columns


def table(experiment: str, profile: str, results_root=None) -> _render.Table:
    exp = experiments.get(experiment)
    entry = experiments.user(experiment)
    col = collect(experiment, profile, results_root, list(exp.models))
    label = " ".join(x for x in (exp.paper, exp.target) if x) if exp.paper != "user" else "your experiment"
    title = f"{experiment} ({label})"
    t = _render.Table(f"{experiment.replace('-', '_').replace('.', '_')}_{profile}", title, [
        "Model", *measured_columns("Top-1 %", profile), *measured_columns("Top-5 %", profile), "n",
        "Source of measured"])
    for model in exp.models:
        t.add(model, *measured_cells(col.summary(model, "top1")), *measured_cells(col.summary(model, "top5")),
              col.n(model), col.run_names(model))
    source = f"`{entry.path}` (sha256 {entry.sha256[:12]})" if entry else "a file not given to this command"
    t.notes = [f"Your experiment {experiment}, defined in {source}; each run's config.json records the file's "
               f"digest." + (f" {exp.note}" if exp.note else "")] + col.notes()
    return t


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    if experiments.user(experiment) is None:
        raise ValueError(f"{experiment!r} is not an experiment of yours: give its file with --config FILE.toml")
    return emit(table(experiment, profile, results_root), out_dir)
