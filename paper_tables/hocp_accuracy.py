"""HO-CP Tables 1 (CIFAR-10) and 2 (20BN-Jester): accuracy averaged over runs, parameters computed.

"In all cases we report average performance over 3 runs" (HO-CP Sec. 4.2): the measured columns are
mean, sample sd, n and 95 % t-interval over the finished seeds of each model. Parameters (computed): from
``suite.complexity`` at the paper's configuration (all parameters for Table 1, convolutional ones for
Table 2's "#conv parameters").
"""
from __future__ import annotations

from suite.experiments.hocp_table1 import HOCP_TABLE1
from suite.experiments.hocp_table2 import HOCP_TABLE2

from . import _render
from . import reference as reference_runs
from .accuracy import collect, emit, measured_cells, measured_columns
from .complexity import COUNTS


def table1(profile, results_root=None) -> _render.Table:
    col = collect("hocp-table1", profile, results_root, list(HOCP_TABLE1))
    ref = reference_runs.collect_reference("hocp-table1", profile, list(HOCP_TABLE1))
    t = _render.Table(f"hocp_table1_{profile}", "HO-CP Table 1: results on CIFAR-10", [
        "Network", "# params 10⁶ (paper)", "# params 10⁶ (computed)", "Accuracy % (paper)",
        *measured_columns("Accuracy %", profile), "n", *reference_runs.columns("Accuracy %"), "Source of measured"])
    for name, r in HOCP_TABLE1.items():
        t.add(r.label, r.params, round(COUNTS(name).parameters / 1e6, 3), r.accuracy,
              *measured_cells(col.summary(name, "top1")), col.n(name), *reference_runs.cells(ref, name, ("top1",)),
              col.run_names(name))
    printed = " and ".join(f"'{r.params_printed.replace(',', ', ')}'" for r in HOCP_TABLE1.values())
    t.notes = [f"Paper columns: HO-CP Table 1 (the paper prints {printed} million parameters).",
               "Computed: `suite.complexity.count(...).parameters` at 3×32×32, 10 classes."] + col.notes() \
        + reference_runs.notes(ref)
    return t


def table2(profile, results_root=None) -> _render.Table:
    col = collect("hocp-table2", profile, results_root, list(HOCP_TABLE2))
    ref = reference_runs.collect_reference("hocp-table2", profile, list(HOCP_TABLE2))
    t = _render.Table(f"hocp_table2_{profile}", "HO-CP Table 2: results on the 20BN-Jester dataset", [
        "Network", "# conv params 10⁶ (paper)", "# conv params 10⁶ (computed)", "Top-1 % (paper)",
        *measured_columns("Top-1 %", profile), "Top-5 % (paper)", *measured_columns("Top-5 %", profile), "n",
        *reference_runs.columns("Top-1 %", "Top-5 %"), "Source of measured"])
    for name, r in HOCP_TABLE2.items():
        t.add(r.label, r.conv_params, round(COUNTS(name).conv_parameters / 1e6, 3), r.top1,
              *measured_cells(col.summary(name, "top1")), r.top5, *measured_cells(col.summary(name, "top5")),
              col.n(name), *reference_runs.cells(ref, name, ("top1", "top5")), col.run_names(name))
    t.notes = ["Paper columns: HO-CP Table 2 (20BN-Jester v1 validation).",
               "Computed: `suite.complexity.count(...).conv_parameters` at 3×18×84×84, 27 classes."] + col.notes() \
        + reference_runs.notes(ref)
    if profile == "local":
        t.notes.append(f"Local profile: moving MNIST digits ({_clip_classes('hocp-table2')}) stand in for "
                       "20BN-Jester; only the comparison between the three networks is meaningful.")
    return t


def _clip_classes(experiment: str) -> str:
    """What a local clip's class is, from the local setting's data options (one home: suite.data.digits)."""
    from suite import experiments
    from suite.data.digits import DEFAULT_LABELS, LABEL_MEANING, LABELS
    labels = experiments.get(experiment).setting("local").data_options.get("labels", DEFAULT_LABELS)
    return f"{LABELS[labels]} classes: {LABEL_MEANING[labels]}"


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    builders = {"hocp-table1": table1, "hocp-table2": table2}
    if experiment not in builders:
        raise ValueError(f"unknown experiment {experiment!r}; valid: {', '.join(builders)}")
    return emit(builders[experiment](profile, results_root), out_dir)
