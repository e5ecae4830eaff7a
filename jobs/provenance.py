"""The provenance of a setting: where every field of an experiment's setting comes from, as `config.json` records
it and ``python -m jobs show EXPERIMENT --profile P`` prints it, with the readings of the paper's text that its
models implement (`reading_lines`).

Each experiment's module (`suite.experiments`) states the provenance of its ``paper`` setting: the papers'
stated settings (`Stated`), completed with documented choices (`Chosen`); a test checks that no ``paper``
field lacks it. A ``local`` field equal to its ``paper`` value inherits the paper's provenance; every other
local field is a local-profile choice, "sized for a laptop" unless the experiment gives its own reason for a field
that the paper setting leaves unset (`own_choice`).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from suite import experiments
from suite.experiments import Chosen, Stated


def swept(experiment: str, profile: str, key: str, value) -> Stated | None:
    """The provenance of ``value`` of ``key`` when it is a point of the experiment's default sweep."""
    exp = experiments.get(experiment)
    grid = dict(exp.sweeps.get(profile, ())).get(key, ())
    entry = experiments.sweeps(exp.name).get(key)
    if entry is None or value not in grid:
        return None
    return replace(entry.range, note=f"{entry.range.note}; {value!r} is a point of the chosen grid {list(grid)}, "
                                     f"selected per model on the validation split")


def sweep_lines(experiment: str, profile: str) -> list[str]:
    """The default sweep of ``experiment`` under ``profile``, with each key's range (stated) and grid (chosen)."""
    exp = experiments.get(experiment)
    grid = exp.sweeps.get(profile, ())
    if not grid:
        return []
    lines = [f"\nSWEEP (the default grid of profile {profile}: `jobs run` trains every point, `jobs collect` shows "
             f"each model's point selected on the validation split; --sweep replaces it, --no-sweep trains the single "
             f"value above)"]
    for key, values in grid:
        entry = experiments.sweeps(exp.name).get(key)
        lines.append(f"  {key}  {list(values)}")
        if entry is not None:
            r = entry.range
            lines.append(f"      stated: {r.paper} {r.section}: \"{r.quote}\" ({r.note})")
            lines.append(f"      chosen: {entry.grid.reason}")
    return lines


def reading_lines(experiment: str) -> list[str]:
    """Where the paper's text slips or names what a framework does otherwise, for ``experiment``'s models: the
    sentence and the choice (`suite.models.readings.TEXT_READINGS`)."""
    from suite.models.readings import text_readings

    exp = experiments.get(experiment)
    found = text_readings(exp.paper, exp.models)
    if not found:
        return []
    lines = [f"\nREADINGS ({len(found)}: where the text slips or leaves the framework's behaviour open; every model "
             f"of this experiment implements the choice)"]
    for key, r in found.items():
        lines += [f"  {key}", f"      stated: {r.paper} {r.section}: \"{r.quote}\"", f"      differs: {r.differs}",
                  f"      chosen: {r.choice}"]
    return lines


# ------------------------------------------------------------------------------------------------ access
def setting_fields(setting: experiments.Setting) -> dict:
    """Every field of ``setting`` that needs a provenance, with its value."""
    out = {"dataset": setting.dataset, "seeds": list(setting.seeds), "train_limit": setting.train_limit,
           "val_limit": setting.val_limit}
    out.update({f"data.{k}": v for k, v in setting.data_options.items()})
    out.update({f"model.{k}": v for k, v in setting.model_overrides.items()})
    out.update({f"recipe.{k}": v for k, v in setting.recipe.to_dict().items()})
    out.update({f"model_recipes.{m}.{k}": v for m, r in setting.model_recipes.items() for k, v in r.items()})
    out["splits"] = setting.splits()
    return out


def missing(experiment: str) -> list[str]:
    """The fields of ``experiment``'s paper setting that have no provenance (a test keeps this empty)."""
    exp = experiments.get(experiment)
    table = experiments.provenance(exp.name)
    return sorted(set(setting_fields(exp.setting("paper"))) - set(table))


def own_choice(prov, key: str, paper_values: dict) -> bool:
    """Whether ``prov`` is the experiment's own reason for a field the paper setting leaves unset (e.g. a model
    option only the local setting turns on): it is then kept in every profile, not replaced by a generic one."""
    return isinstance(prov, Chosen) and key not in paper_values


def of(experiment: str, profile: str, setting: experiments.Setting | None = None, overridden=()) -> dict:
    """``{field: (value, Stated | Chosen)}`` for ``experiment`` under ``profile`` (``setting``: the
    profile's setting with any overrides applied; ``overridden``: the keys they set, where a point of the
    profile's default sweep gets its range's provenance). Implicit fields (no setting value) get value None."""
    exp = experiments.get(experiment)
    entry = experiments.user(exp.name)
    if entry is not None:  # an experiment of the user's: every field comes from its file
        why = Chosen(f"{Path(entry.path).name}: your experiment file (sha256 {entry.sha256[:12]})")
        return {k: (v, why) for k, v in sorted(setting_fields(setting or exp.setting(profile)).items())}
    table = experiments.provenance(exp.name)
    paper_values = setting_fields(exp.setting("paper"))
    values = setting_fields(setting if setting is not None else exp.setting(profile))
    out = {}
    for key in sorted(set(values) | set(table)):
        value = values.get(key)
        prov = table.get(key)
        if key not in values and profile != "paper" and key.startswith("data.") and values["dataset"] != \
                paper_values["dataset"]:  # transforms in code belong to the dataset
            prov = Chosen(f"{profile} profile: the transform of the local dataset {values['dataset']!r} (suite.data)")
        point = swept(experiment, profile, key, value) if key in overridden else None
        if point is not None:
            prov = point
        elif key in values and (prov is None or value != paper_values.get(key)) \
                and not own_choice(prov, key, paper_values):
            prov = Chosen("set by an override (not the paper's setting)" if profile == "paper" else
                          f"{profile} profile: sized for a laptop (paper setting: {paper_values.get(key)!r})")
        out[key] = (value, prov)
    return out


def to_config(experiment: str, profile: str, setting=None, overridden=()) -> dict:
    """The JSON form written into a run's config.json."""
    return {k: {"value": v, **p.to_dict()} for k, (v, p) in of(experiment, profile, setting, overridden).items()}


def table(experiment: str, profile: str, setting=None, overridden=()) -> str:
    """The setting as two blocks of rows: stated fields (section, sentence), then chosen ones (reason), then
    the profile's default sweep."""
    rows = of(experiment, profile, setting, overridden)
    exp = experiments.get(experiment)
    width = max(len(k) for k in rows)
    entry = experiments.user(exp.name)
    lines = [f"{exp.name} ({exp.paper} {exp.target}), profile {profile}: " + (
        f"every field from your experiment file {entry.path}" if entry else
        "the papers' stated settings, completed with documented choices")]
    for kind in ("stated", "chosen"):
        block = [(k, v, p) for k, (v, p) in rows.items() if p.kind == kind]
        lines.append(f"\n{kind.upper()} ({len(block)})")
        for k, v, p in block:
            shown = "(in code)" if v is None and k not in setting_fields(exp.setting(profile)) else repr(v)
            why = (f"{p.paper} {p.section}: \"{p.quote}\"" + (f" ({p.note})" if p.note else "")) if kind == "stated" \
                else p.reason + (f" [follows {p.follows}]" if p.follows else "")
            lines.append(f"  {k:<{width}}  {shown:<24}  {why}")
    return "\n".join(lines + sweep_lines(experiment, profile) + reading_lines(experiment))
