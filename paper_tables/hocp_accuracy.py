"""HO-CP Tables 1 (CIFAR-10) and 2 (20BN-Jester): accuracy averaged over runs, parameters computed.

"In all cases we report average performance over 3 runs" (HO-CP Sec. 4.2): the measured columns are
the mean (± sample std) over the finished seeds of each model. Parameters (computed): from
``suite.complexity`` at the paper's configuration (all parameters for Table 1, convolutional ones for
Table 2's "#conv parameters").
"""
from __future__ import annotations

import argparse
from functools import lru_cache

from . import _render
from .accuracy import collect, emit

TABLE1 = {  # model -> (label, #parameters in millions, accuracy %), HO-CP Table 1
    "mobilenetv2-cifar": ("MobileNet-v2", 2.30, 94.0),
    "hosconv-cifar": ("HOSConv (Ours)", 2.29, 94.0),
}
TABLE2 = {  # model -> (label, #conv parameters in millions, top-1 %, top-5 %), HO-CP Table 2
    "convnet3d": ("3D-ConvNet", 2.9, 83.2, 97.0),
    "hocp-convnet": ("HO-CP ConvNet (Ours)", 1.2, 83.8, 97.4),
    "hocp-convnet-s": ("HO-CP ConvNet-S (Ours)", 1.2, 85.4, 98.6),
}


@lru_cache(maxsize=None)
def paper_params(name: str) -> tuple[int, int]:
    from suite import complexity
    from suite.models import build
    c = complexity.count(build(name))
    return c.parameters, c.conv_parameters


def measured(col, model, key):
    mean, std = col.mean(model, key), col.std(model, key)
    if mean is None:
        return None
    return f"{mean:.2f}" + (f" ± {std:.2f}" if std is not None else "")


def table1(profile, results_root=None) -> _render.Table:
    col = collect("hocp-table1", profile, results_root, list(TABLE1))
    t = _render.Table(f"hocp_table1_{profile}", "HO-CP Table 1: results on CIFAR-10", [
        "Network", "# params 10⁶ (paper)", "# params 10⁶ (computed)", "Accuracy % (paper)",
        f"Accuracy % (measured, {profile}, mean ± std)", "Runs", "Source of measured"])
    for name, (label, params, acc) in TABLE1.items():
        t.add(label, params, round(paper_params(name)[0] / 1e6, 3), acc, measured(col, name, "top1"), col.n(name),
              col.run_names(name))
    t.notes = ["Paper columns: HO-CP Table 1 (the paper prints '2, 30' and '2, 29' million parameters).",
               "Computed: `suite.complexity.count(...).parameters` at 3×32×32, 10 classes."] + col.notes()
    return t


def table2(profile, results_root=None) -> _render.Table:
    col = collect("hocp-table2", profile, results_root, list(TABLE2))
    t = _render.Table(f"hocp_table2_{profile}", "HO-CP Table 2: results on the 20BN-Jester dataset", [
        "Network", "# conv params 10⁶ (paper)", "# conv params 10⁶ (computed)", "Top-1 % (paper)",
        f"Top-1 % (measured, {profile}, mean ± std)", "Top-5 % (paper)", f"Top-5 % (measured, {profile})", "Runs",
        "Source of measured"])
    for name, (label, params, t1, t5) in TABLE2.items():
        t.add(label, params, round(paper_params(name)[1] / 1e6, 3), t1, measured(col, name, "top1"), t5,
              measured(col, name, "top5"), col.n(name), col.run_names(name))
    t.notes = ["Paper columns: HO-CP Table 2 (20BN-Jester v1 validation).",
               "Computed: `suite.complexity.count(...).conv_parameters` at 3×18×84×84, 27 classes."] + col.notes()
    if profile == "local":
        t.notes.append("Local profile: moving MNIST digits (40 classes: digit × direction) stand in for "
                       "20BN-Jester; only the comparison between the three networks is meaningful.")
    return t


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    builders = {"hocp-table1": table1, "hocp-table2": table2}
    if experiment not in builders:
        raise ValueError(f"unknown experiment {experiment!r}; valid: {', '.join(builders)}")
    return emit(builders[experiment](profile, results_root), out_dir)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Render HO-CP Table 1 or 2 from results/ and suite.complexity")
    p.add_argument("experiment", choices=["hocp-table1", "hocp-table2"])
    p.add_argument("--profile", default="local")
    p.add_argument("--results", default=None)
    p.add_argument("--out", default=None)
    a = p.parse_args()
    print(render(a.experiment, a.profile, a.results, a.out))
