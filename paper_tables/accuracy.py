"""Reading finished runs for the accuracy tables (FCNN Tables 2, 4, 5, 7, Figure 2; HO-CP Tables 1, 2).

Only ``results/<experiment>/<profile>/`` is read, for one profile at a time; runs under the other profile
are counted and mentioned, never mixed in. Runs that are unfinished or malformed are skipped and named
in the table's notes, and the table is rendered from the good ones. Accuracies of several seeds of the
same model are averaged (HO-CP: "we report average performance over 3 runs").
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from suite import runs
from suite.models.readings import ABLATIONS, VARIANTS
from suite.profiles import PROFILES, check_profile

from . import _render, stats

READ_MODELS = {v.of for v in VARIANTS.values()} | set(VARIANTS) | set(ABLATIONS)  # models with another reading
UNRECORDED = ("not recorded: the runs predate the record; until then fcnn-c/d and hocp-convnet(-s) had their "
              "variants' readings")


@dataclass
class Collected:
    experiment: str
    profile: str
    results_root: Path
    runs: dict[str, list] = field(default_factory=dict)   # model -> finished runs
    bad: list = field(default_factory=list)               # runs.BadRun
    other_profiles: dict[str, int] = field(default_factory=dict)
    other_configs: list = field(default_factory=list)      # (description, run count), runs.Selection.others
    selection_notes: list = field(default_factory=list)    # how each model's configuration was selected (a sweep)

    def values(self, model: str, key: str) -> list[float]:
        return [float(r.summary[key]) for r in self.runs.get(model, [])]

    def seed_values(self, model: str, key: str) -> dict[int, float]:
        """seed -> value of ``model``'s finished runs (the claims pair models by seed). ``key`` "FIELD@E": the
        metrics line of epoch E (e.g. "val_top1@1", how far the first epoch got); a run without it is left out."""
        if "@" not in key:
            return {int(r.summary["seed"]): float(r.summary[key]) for r in self.runs.get(model, [])}
        name, epoch = key.split("@")
        return {int(r.summary["seed"]): float(m[name]) for r in self.runs.get(model, []) for m in r.metrics
                if m.get("epoch") == int(epoch) and name in m}

    def summary(self, model: str, key: str) -> stats.Summary:
        return stats.summarize(self.values(model, key))

    def mean(self, model: str, key: str) -> float | None:
        v = self.values(model, key)
        return statistics.fmean(v) if v else None

    def std(self, model: str, key: str) -> float | None:
        v = self.values(model, key)
        return statistics.stdev(v) if len(v) > 1 else None

    def n(self, model: str) -> int:
        return len(self.runs.get(model, []))

    def run_names(self, model: str) -> str:
        return ", ".join(r.name for r in self.runs.get(model, [])) or "no finished run"

    def notes(self) -> list[str]:
        out = [f"Measured columns: profile **{self.profile}**, mean, sample sd, n and 95 % Student t-interval of the "
               f"mean over the finished seeds in `{self.results_root / self.experiment / self.profile}` "
               "(`paper_tables.stats`; no interval below n = 2)."]
        configs = [r.config for rs in self.runs.values() for r in rs]
        if configs:
            out.append("Setting of those runs: " + describe(configs[0], per_model=varying_recipe(configs)))
            out += readings_notes(self.runs)
        out += self.selection_notes
        if self.profile == "local":
            out.append("Local profile: small data that ships with the suite (MNIST digits; moving digits for 3-D "
                       "models), small width and few epochs. Its accuracies compare the models with each other; "
                       "they are not estimates of the paper's numbers (use --profile paper with the real data).")
        if not configs:
            out.append(f"No finished run found: train them with `python -m jobs run {self.experiment} "
                       f"--profile {self.profile}`; the measured columns stay empty.")
        for b in self.bad:
            out.append(f"Skipped bad run `{b.path}`: {b.reason}")
        for desc, n in self.other_configs:
            out.append(f"{_render.plural(n, 'finished run')} of another configuration ({desc}) {_exist(n)} not used "
                       f"(configurations are never mixed; `python -m jobs collect` with its --set options renders it).")
        for p, n in sorted(self.other_profiles.items()):
            out.append(f"{_render.plural(n, 'run')} of profile {p!r} {_exist(n)} not used (profiles are never mixed).")
        return out


def _exist(n: int) -> str:
    return "exists and was" if n == 1 else "exist and were"


def measured_columns(what: str, profile: str) -> list[str]:
    """Column names of `measured_cells`: mean, sd and the 95 % interval of ``what`` (e.g. "Top-1 %")."""
    return [f"{what} (measured, {profile}, mean)", f"{what} sd", f"{what} 95% CI low", f"{what} 95% CI high"]


def measured_cells(s: stats.Summary, *, error: bool = False) -> list:
    """mean, sd, lo, hi of ``s`` rounded to 0.01; ``error``: of 100 − the values (error rates)."""
    mean, lo, hi = s.mean, s.lo, s.hi
    if error and mean is not None:
        mean, lo, hi = 100 - mean, None if hi is None else 100 - hi, None if lo is None else 100 - lo
    return [None if v is None else round(v, 2) for v in (mean, s.sd, lo, hi)]


def readings_notes(runs: dict) -> list[str]:
    """Which reading of the paper produced each model's numbers (recorded in the run's config), and which
    split they are measured on."""
    out = []
    for model, rs in sorted(runs.items()):
        if model in READ_MODELS:
            recorded = {r.config.get("reading") or UNRECORDED for r in rs}
            out.append(f"Reading of {model}: {' / '.join(sorted(recorded))} (see `suite.models.readings`).")
    configs = [r.config for rs in runs.values() for r in rs]
    reported = sorted({c["splits"]["report"] for c in configs if "splits" in c})
    if reported:
        out.append(f"Reported split: {' / '.join(reported)}; schedules and stopping read the validation split "
                   "(held out of the training data where the reported split is 'test').")
    if any("splits" not in c for c in configs):
        out.append("Some runs predate the held-out validation split: their schedule read the split they report.")
    return out


def varying_recipe(configs: list[dict]) -> set[str]:
    """The recipe fields whose values differ between ``configs`` (per model, after a sweep's selection)."""
    keys = {k for c in configs for k in c.get("recipe", {})}
    return {k for k in keys if len({json.dumps(c.get("recipe", {}).get(k)) for c in configs}) > 1}


def describe(config: dict, per_model=()) -> str:
    """One line: dataset, sizes, width, recipe of a run config; ``per_model``: recipe fields that differ
    between the models (shown as 'per model')."""
    r = {**config.get("recipe", {}), **{k: "(per model)" for k in per_model}}
    parts = [f"dataset {config.get('dataset')}"]
    if config.get("data_options"):
        parts.append(", ".join(f"{k} {v}" for k, v in config["data_options"].items()))
    mo = {k: v for k, v in config.get("model_overrides", {}).items() if k != "in_channels"}
    if mo:
        parts.append(", ".join(f"{k} {tuple(v) if isinstance(v, list) else v}" for k, v in mo.items()))
    if config.get("train_limit"):
        parts.append(f"{config['train_limit']} training samples")
    parts.append(f"SGD lr {r.get('lr')} momentum {r.get('momentum')} batch {r.get('batch_size')}, "
                 f"{r.get('schedule')} schedule, at most {_render.plural(r.get('epochs'), 'epoch')}")
    for model, own in (config.get("model_recipes") or {}).items():  # a model's own recipe fields
        parts.append(f"{model}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in own.items()))
    return "; ".join(parts) + "."


def collect(experiment: str, profile: str, results_root=None, models=None) -> Collected:
    """Finished runs of ``experiment`` under ``profile`` grouped by model, plus the bad runs."""
    root = runs.results_root(results_root)
    check_profile(profile)
    sel = runs.select_runs(root, experiment, profile)  # one configuration (identity) only
    col = Collected(experiment, profile, root, bad=sel.bad, other_configs=sel.others, selection_notes=sel.notes)
    for run in sel.runs:
        model = run.summary["model"]
        if models is not None and model not in models:
            continue
        col.runs.setdefault(model, []).append(run)
    for p in PROFILES:
        if p != profile:
            n = len(runs.run_dirs(root, experiment, p))
            if n:
                col.other_profiles[p] = n
    return col


def emit(table, out_dir=None) -> str:
    """Write ``table`` (.md, .csv, .tex, and its compact .md/.tex) under ``out_dir`` (default paper_tables/out);
    return its Markdown."""
    _render.write(table, Path(out_dir) if out_dir is not None else _render.OUT_DIR)
    return _render.to_markdown(table)
