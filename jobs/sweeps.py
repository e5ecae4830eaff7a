"""Sweeps: train a grid of configurations, select one per model on the validation split.

``python -m jobs run EXPERIMENT --sweep recipe.lr=1e-3,1e-2,1e-1`` (repeatable; several keys give their
Cartesian product; keys and values as for ``--set``). Every grid point is a configuration (the ``--set``
overrides plus the point's), every model × seed × point a run with its own identity; all of them go out in
one submission (one SLURM job array; on ``pool``, all to the pool). An experiment may carry a default grid
for a profile (``Experiment.sweeps``: HO-CP Table 2's paper setting validates the lr, as the paper did), used
unless ``--sweep`` replaces it or ``--no-sweep`` turns it off; a key given with ``--set`` leaves it.

Selection, per model: the grid point with the best mean, over seeds, of the **final epoch's validation
top-1** (``val_top1`` of the last line of metrics.jsonl: the weights whose accuracy the table reports).
Only points whose finished seeds are every seed finished at any point of the grid compete (so every mean
is over the same seeds; a point with a diverged or missing run does not); ties go to the point that comes
first in the grid as written. The test split (test.json, the summary's top-1) is never read. ``jobs run``
(once its runs ended) and ``jobs collect`` write the selection to ``results/<experiment>/<profile>/
sweep-<hash>.json`` (the grid, each point's per-model validation means and n, the selected point per model)
and print it; ``jobs collect`` renders the table from each model's selected point and says so in its notes.
"""
from __future__ import annotations

import itertools
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from suite import runs

from . import runner

METRIC = ("final-epoch validation top-1 (metrics.jsonl), mean over seeds; candidates: points with every seed "
          "finished; ties: the first point of the grid; the test split is not read")


@dataclass(frozen=True)
class Sweep:
    grid: tuple          # ((key, (value, ...)), ...) in the order given
    base: tuple = ()     # the --set overrides every point shares
    default: bool = False  # the experiment's own grid (not given with --sweep)

    def points(self) -> list[tuple]:
        """Every grid point as ``((key, value), ...)``, in the Cartesian product's order."""
        keys = [k for k, _ in self.grid]
        return [tuple(zip(keys, combo)) for combo in itertools.product(*(v for _, v in self.grid))]

    def overrides(self, point: tuple) -> tuple:
        return tuple(self.base) + tuple(point)

    def describe(self) -> str:
        return " × ".join(f"{k} over {{{', '.join(_show(v) for v in vs)}}}" for k, vs in self.grid)


def _show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def label(point: tuple) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in point)


# ------------------------------------------------------------------------------------------------ parsing
def split_values(text: str) -> list[str]:
    """``text`` split at the commas outside brackets (``model.input_size=[1,32,32],[1,16,16]``)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    return pieces + [text[start:]]


def parse_sweep(text: str) -> tuple[str, tuple]:
    """``KEY=V1,V2,...`` -> (key, values); each value read as ``--set`` reads one (runner.parse_override)."""
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--sweep: expected KEY=V1,V2,... (e.g. recipe.lr=1e-3,1e-2,1e-1), got {text!r}")
    pieces = [p.strip() for p in split_values(rest)]
    if not any(pieces):
        raise ValueError(f"--sweep {key}: empty value list; expected {key}=V1,V2,... (at least one value)")
    if not all(pieces):
        raise ValueError(f"--sweep {key}: an empty value in {rest!r}; expected comma-separated values")
    values = tuple(runner.parse_override(f"{key}={p}")[1] for p in pieces)
    seen = [json.dumps(v, sort_keys=True) for v in values]
    if len(set(seen)) != len(seen):
        raise ValueError(f"--sweep {key}: a value is given twice in {rest!r}; each grid point once")
    return key, values


def resolve(exp, profile: str, sweep_args, set_overrides=(), no_sweep: bool = False) -> Sweep | None:
    """The sweep of a ``run``/``collect`` command line: the ``--sweep`` options, else the experiment's default
    grid for ``profile`` less the keys fixed with ``--set``; None for a single configuration. Every point is
    checked as ``--set`` checks an override (a key or value it would reject is an error naming it)."""
    set_keys = [k for k, _ in set_overrides]
    if sweep_args and no_sweep:
        raise ValueError("--sweep and --no-sweep: give one of them")
    if no_sweep:
        return None
    if sweep_args:
        grid = [parse_sweep(t) for t in sweep_args]
        keys = [k for k, _ in grid]
        for key in keys:
            if keys.count(key) > 1:
                raise ValueError(f"--sweep {key}: given twice; give all its values in one --sweep {key}=V1,V2,...")
            if key in set_keys:
                raise ValueError(f"{key}: given with both --set and --sweep; a key is either fixed or swept")
        sweep = Sweep(tuple(grid), tuple(set_overrides))
    else:
        grid = tuple((k, tuple(v)) for k, v in exp.sweeps.get(profile, ()) if k not in set_keys)
        if not grid:
            return None
        sweep = Sweep(grid, tuple(set_overrides), default=True)
    for key, values in sweep.grid:
        if key == "seeds":
            raise ValueError("--sweep seeds: every grid point runs every seed; "
                             "choose them with --seeds or --set seeds=[...]")
        for value in values:
            try:
                runner.setting_for(exp, profile, sweep.overrides(((key, value),)))
            except ValueError as e:
                raise ValueError(f"--sweep {key}={_show(value)}: {e}") from None
    return sweep


# ------------------------------------------------------------------------------------------------ selecting
def point_identity(exp, profile: str, overrides, data_root, groups: dict) -> str:
    """The identity of one grid point's runs (see jobs.collect.selected_identity); without the data directory of
    a profile that reads one, the identity among ``groups`` whose setting matches, with the most runs."""
    identity = runner.identity_for(exp, profile, overrides, data_root)
    if identity is not None:
        return identity
    return runs.identity_on_any_data(groups, runner.setting_config(exp, profile, overrides))[0]


def final_val_top1(run: runs.Run) -> float:
    """The selection's metric of one run: the last epoch's validation top-1 (never the test split)."""
    return float(run.metrics[-1]["val_top1"])


def select(exp, profile: str, sweep: Sweep, results_root, data_root=None, models=None) -> dict:
    """The selection as written to the sweep file (see the module docstring)."""
    groups, _ = runs.finished_groups(results_root, exp.results_key, profile)
    models = list(models or exp.models)
    points = []
    for point in sweep.points():
        identity = point_identity(exp, profile, sweep.overrides(point), data_root, groups)
        per_model = {}
        for model in models:
            vals = {int(r.config["seed"]): final_val_top1(r) for r in groups.get(identity, [])
                    if r.config["model"] == model}
            per_model[model] = {"n": len(vals), "seeds": sorted(vals),
                                "val_top1": {str(s): vals[s] for s in sorted(vals)},
                                "val_top1_mean": round(statistics.fmean(vals.values()), 4) if vals else None}
        points.append({"point": dict(point), "label": label(point), "identity": identity, "models": per_model})
    selected = {}
    for model in models:
        seeds = sorted({s for p in points for s in p["models"][model]["seeds"]})
        candidates = [i for i, p in enumerate(points) if seeds and p["models"][model]["seeds"] == seeds]
        best = max(candidates, key=lambda i: (points[i]["models"][model]["val_top1_mean"], -i), default=None)
        selected[model] = None if best is None else {
            "point": points[best]["point"], "label": points[best]["label"], "identity": points[best]["identity"],
            "val_top1_mean": points[best]["models"][model]["val_top1_mean"], "n": len(seeds), "seeds": seeds}
    return {"experiment": exp.results_key, "profile": profile, "metric": METRIC,
            "grid": {k: list(v) for k, v in sweep.grid}, "base_overrides": {k: v for k, v in sweep.base},
            "default_grid": sweep.default, "points": points, "selected": selected}


def path(results_root, exp, profile: str, sweep: Sweep) -> Path:
    key = runs.config_hash({"grid": [[k, list(v)] for k, v in sweep.grid], "base": [list(o) for o in sweep.base]})
    return Path(results_root) / exp.results_key / profile / f"sweep-{key}.json"


def write(selection: dict, target: Path) -> None:
    runs.atomic_write_json(target, selection)


def note(selection: dict, reported: str | None = None) -> str:
    """The table's note: ``lr selected by validation over {grid}: model → value, ...``."""
    keys = list(selection["grid"])
    what = ", ".join(k.removeprefix("recipe.") for k in keys)
    grid = " × ".join("{" + ", ".join(_show(v) for v in selection["grid"][k]) + "}" for k in keys)
    chosen = ", ".join(
        f"{m} → {', '.join(_show(s['point'][k]) for k in keys)} (n = {s['n']})" if s else
        f"{m} → none (no grid point has all its seeds finished)" for m, s in selection["selected"].items())
    same = " (the validation split is also the reported split here, as in the paper)" if reported == "val" else ""
    return (f"{what} selected by validation over {grid}: {chosen}. Metric: {selection['metric']}{same}; every "
            f"point's means in `{selection.get('file', 'the sweep file')}`.")


def per_model(selection: dict, reported: str | None = None) -> runs.PerModel:
    """The selection as the tables read it (suite.runs.selecting)."""
    return runs.PerModel({m: s["identity"] for m, s in selection["selected"].items() if s},
                            frozenset(p["identity"] for p in selection["points"] if p["identity"]),
                            (note(selection, reported),))


def format_selection(selection: dict) -> str:
    """The selection as a text table: one row per point, one column per model (mean val top-1, n)."""
    models = list(selection["selected"])
    width = max([len(p["label"]) for p in selection["points"]] + [len("selected")])
    col = max([len(m) for m in models] + [16])
    lines = [f"sweep of {selection['experiment']} [{selection['profile']}]: {METRIC}",
             f"  {'point':<{width}}  " + "  ".join(f"{m:<{col}}" for m in models)]
    for p in selection["points"]:
        cells = [f"{c['val_top1_mean']:.2f} (n={c['n']})" if c["n"] else "no finished run"
                 for c in p["models"].values()]
        lines.append(f"  {p['label']:<{width}}  " + "  ".join(f"{c:<{col}}" for c in cells))
    sel = [s["label"] if s else "none" for s in selection["selected"].values()]
    lines.append(f"  {'selected':<{width}}  " + "  ".join(f"{c:<{col}}" for c in sel))
    return "\n".join(lines)


def report(exp, profile: str, sweep: Sweep, results_root, data_root=None, models=None) -> dict:
    """Select, write the sweep file, print the selection; returns it (with its ``file``)."""
    selection = select(exp, profile, sweep, results_root, data_root, models)
    target = path(results_root, exp, profile, sweep)
    selection["file"] = str(target)
    if any(c["n"] for p in selection["points"] for c in p["models"].values()):
        write(selection, target)
        where = f"written: {target}"
    else:  # nothing to select from: no file that looks like a selection
        where = f"no finished run of the grid under {target.parent}; nothing selected, nothing written"
    print(format_selection(selection) + f"\n  {where}", flush=True)
    return selection
