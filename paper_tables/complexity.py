"""Complexity columns of both papers, recomputed from the models (no training): FCNN Tables 2, 4, 5, 7 and
the counts stated in its text; HO-CP Tables 1 and 2 and Figure 5.

Every computed number comes from `suite.complexity.count` on a model from `suite.models`; the paper's
numbers are quoted with their table. FCNN Tables 2/4/5 give complexity relative to a baseline "regarding
to these layers" — the substituted stage layers (`SUBSTITUTED`), not the stem, the 1×1 convs across
stages or the classifier; we show that ratio and the whole network's.

Two counting conventions for the substituted layers:
- exact: the multiplications the layers really perform on their real output sizes;
- Alg. 1 convention: FCNN Alg. 1–4 assume "the output has the same spatial dimension as the input";
  Model A's unpadded k = 2 conv outputs (s−1)² pixels but the paper's 550M counts it at s² (the
  stage resolution). This convention scales each conv to the larger of its input and output area; it
  changes only Model A's family (A, A0, G–J). The paper's ratios follow it (B/A = 9/4 = 2.25 exactly).
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

from suite import complexity, models
from suite.complexity import Complexity
from suite.experiments._fcnn import FCNN_TABLE1_OUTPUT, FCNN_TABLE3
from suite.experiments.fcnn_table2 import FCNN_MODEL_A_MULT, FCNN_TABLE2
from suite.experiments.fcnn_table4 import FCNN_H_REDUCTION, FCNN_TABLE4
from suite.experiments.fcnn_table5 import FCNN_TABLE5
from suite.experiments.fcnn_table7 import FCNN_GOOGLENET_OVER_L, FCNN_L_SAME_COMPLEXITY, FCNN_TABLE7
from suite.experiments.hocp_figure5 import FIGURE5_PAIRS, HOCP_FIGURE5_INPUT, HOCP_FIGURE5_RANKS
from suite.experiments.hocp_table1 import HOCP_TABLE1
from suite.experiments.hocp_table2 import HOCP_SAVED_PARAMS, HOCP_TABLE2
from suite.layers import HOCPConv
from suite.models.fcnn import SUBSTITUTED
from suite.models.readings import ABLATIONS, VARIANTS

from ._render import (
    MIN_FONT,
    OUT_DIR,
    Table,
    figure,
    percent,
    relative_difference,
    save_figure,
    to_markdown,
    width_stem,
    write,
    write_text,
)

# FIGURE5_PAIRS (suite.experiments.hocp_figure5): Figure 5 does not list its channel pairs; we sweep 16..512.
FIGURE5_SIZE = "×".join(map(str, HOCP_FIGURE5_INPUT))


def alg1_convention(cx: Complexity) -> int:
    """Multiplications with every substituted (stage, stride-1) conv counted at the larger of its input and
    output area, i.e. at its stage's resolution (see module doc); other layers exact."""
    total = 0
    for layer in cx.layers:
        if SUBSTITUTED in layer.name and layer.kind == "conv":
            a_in, a_out = math.prod(layer.input_shape[1:]), math.prod(layer.output_shape[1:])
            total += layer.multiplications * max(a_in, a_out) // a_out
        else:
            total += layer.multiplications
    return total


class Counts:
    """Memoised `complexity.count` of the papers' models at their paper input sizes."""

    def __init__(self):
        self._cache: dict[str, Complexity] = {}

    def __call__(self, name: str) -> Complexity:
        if name not in self._cache:
            self._cache[name] = complexity.count(models.build(name))
        return self._cache[name]


COUNTS = Counts()  # shared by every generator, so that all tables show the same counts


def relative_complexity(model: str, baseline: str, *, exact: bool = False, counts: Counts = COUNTS) -> float:
    """Multiplications of ``model``'s substituted layers / ``baseline``'s, counted as FCNN Tables 2, 4, 5 do
    (Alg. 1 convention) or, with ``exact``, at the real output sizes."""
    sub, base = (counts(m).select(SUBSTITUTED) for m in (model, baseline))
    if exact:
        return sub.multiplications / base.multiplications
    return alg1_convention(sub) / alg1_convention(base)


def _ratio_table(counts: Counts, name: str, title: str, rows, baseline: str, source: str) -> Table:
    base = counts(baseline)
    t = Table(name, title, ["Model", "Method (paper)", "Paper complexity", "Paper approx. (~)",
                            "Ours: substituted layers (Alg. 1 conv.)", "Rel. diff. (%)",
                            "Ours: substituted layers (exact)", "Ours: whole network (exact)",
                            "Ours: multiplications (M, exact)", "Ours: parameters (M)"])
    for r in rows.values():
        cx = counts(r.model)
        conv = relative_complexity(r.model, baseline, counts=counts)
        t.add(r.model, r.method, r.complexity, r.approximate, round(conv, 4),
              percent(relative_difference(conv, r.complexity)),
              round(relative_complexity(r.model, baseline, exact=True, counts=counts), 4),
              round(cx.multiplications / base.multiplications, 4), round(cx.multiplications / 1e6, 2),
              round(cx.parameters / 1e6, 3))
    t.notes += [
        f"Paper: {source}; complexity relative to {baseline}, \"calculated regarding to these layers\" (the "
        "substituted stage layers: not the 7×7 stem, the 1×1 convs across stages or the fc).",
        "Ours: `suite.complexity.count(suite.models.build(model))` at the paper's input size; substituted layers "
        "= layers under `conv{2,3,4}_x.blocks`. Rel. diff. = (ours, Alg. 1 convention − paper) / paper in %; "
        "Paper approx. (~): the paper prints the value with \"~\" (an approximation).",
        "Alg. 1 convention: every conv counted at the stage resolution (the paper's 'same'-size assumption); "
        "exact: Model A's unpadded k = 2 conv really outputs (s−1)², so its exact count is lower.",
    ]
    return t


def fcnn_table1_shapes(counts: Counts) -> Table:
    """Output sizes of every FCNN model's stages at 221×221, read from the counted layers' output shapes."""
    names = [n for n in models.names() if n.startswith("fcnn-") and counts(n).input_size[1] == 221]
    t = Table("fcnn_table1_output_sizes", "FCNN Tables 1 and 6 — output size of each stage (221×221 input)",
              ["Layer", "Paper output", *names])
    for stage, paper in FCNN_TABLE1_OUTPUT.items():
        sizes = []
        for n in names:
            last = [layer for layer in counts(n).layers if layer.name.split(".")[0] == stage][-1]
            sizes.append("×".join(map(str, last.output_shape[1:])))
        t.add(stage, f"{paper}×{paper}", *sizes)
    sides = ", ".join(f"{s}²" for s in FCNN_TABLE1_OUTPUT.values())
    t.notes += [f"Paper: FCNN Table 1 (models A–F) and Table 6 (model L): \"output\" column ({sides}).",
                "Ours: the output shape of each stage's last counted layer in `suite.complexity.count` at 3×221×221."]
    return t


def fcnn_table3_grids() -> Table:
    """The topology grids the built models G (2-D) and H (3-D) use, read from their layers."""
    g, h = models.build("fcnn-g"), models.build("fcnn-h")
    t = Table("fcnn_table3_grids", "FCNN Table 3 — topology grids d and neighbourhoods c of models G and H",
              ["Stage", "Channels", "Paper 2-D d / c", "Ours (fcnn-g)", "Paper 3-D d / c", "Ours (fcnn-h)",
               "Ours 3-D m / Πc"])
    for stage, p in FCNN_TABLE3.items():
        lg = getattr(g, stage).blocks[0].convs[0]
        lh = getattr(h, stage).blocks[0].convs[0]
        t.add(stage, p.channels, f"{_x(p.d2)} / {_x(p.c2)}", f"{_x(lg.grid)} / {_x(lg.neighbors)}",
              f"{_x(p.d3)} / {_x(p.c3)}", f"{_x(lh.grid)} / {_x(lh.neighbors)}",
              round(lh.channels / math.prod(lh.neighbors), 4))
    h_red = FCNN_H_REDUCTION
    t.notes += ["Paper: FCNN Table 3 (\"designed so that the complexity is reduced by (approximately for 3D) a "
                f"factor of 4\"; {h_red.source}: {h_red.value:g} for 3-D).",
                "Ours: `grid` / `neighbors` of the first topological conv of each stage of "
                "`suite.models.build('fcnn-g')` "
                "and `('fcnn-h')`; fcnn-j and fcnn-k use the 2-D grids."]
    return t


def _x(dims) -> str:
    return "×".join(map(str, dims))


def fcnn_tables(counts: Counts) -> list[Table]:
    t2 = _ratio_table(counts, "fcnn_table2_complexity", "FCNN Table 2 — complexity of models A–F (relative to A)",
                      FCNN_TABLE2, "fcnn-a", "FCNN Table 2")
    approx = " / ".join(dict.fromkeys(r.complexity_printed for r in FCNN_TABLE2.values() if r.approximate))
    t2.notes.append("Models C/D cost h·w·b·m·(k²+n) (Alg. 2), E/F h·w·m·(k²+n) per single-basis layer (Alg. 3): "
                    f"the k² terms make C, D, E, F slightly above the paper's {approx}.")
    t4 = _ratio_table(counts, "fcnn_table4_complexity", "FCNN Table 4 — topology and grouping models (relative to A0)",
                      FCNN_TABLE4, "fcnn-a0", "FCNN Table 4 (150×150 crops)")
    t5 = _ratio_table(counts, "fcnn_table5_complexity", "FCNN Table 5 — single basis and topology (relative to A)",
                      FCNN_TABLE5, "fcnn-a", "FCNN Table 5")
    t5.notes.append("Model K's layers cost h·w·m·(9 + m/4): the depthwise 3×3 term (9/m of a dense 1×1) puts it "
                    f"above the paper's {FCNN_TABLE5['fcnn-k'].complexity_printed}, which counts the projection "
                    "only (\"approximately as low as a quarter\").")
    return [fcnn_table1_shapes(counts), t2, fcnn_table3_grids(), t4, t5, fcnn_table7(counts), fcnn_statements(counts)]


def fcnn_table7(counts: Counts) -> Table:
    t = Table("fcnn_table7_complexity", "FCNN Table 7 — multiplications and parameters",
              ["Model", "Paper mult. (M)", "Ours mult. (M)", "Rel. diff. mult. (%)", "Paper params (M)",
               "Ours params (M)", "Rel. diff. params (%)", "Input"])
    for model, r in FCNN_TABLE7.items():
        cx = counts(model)
        m, p = cx.multiplications / 1e6, cx.parameters / 1e6
        t.add(f"{r.label} ({model})", r.mult, round(m, 1), percent(relative_difference(m, r.mult)), r.params,
              round(p, 3), percent(relative_difference(p, r.params)), "×".join(map(str, cx.input_size)))
    model_l = counts("fcnn-l")
    weights = sum(layer.parameters for layer in model_l.layers)
    t7 = {k: f"{r.mult:g}M" for k, r in FCNN_TABLE7.items()}
    t.notes += [
        "Paper: FCNN Table 7 (its header says 10^9 multiplications; the values are millions, Section 3.4: "
        f"\"{t7['fcnn-l']} ... GoogLeNet ({t7['googlenet']}) ... AlexNet ({t7['alexnet']})\").",
        "Ours: `suite.complexity.count` of torchvision's untrained definitions at 224×224 (reference nets) and of "
        "fcnn-l at 221×221; multiplications = conv + linear multiply–accumulates; parameters = all trainable "
        "parameters (incl. batch norm).",
        "torchvision's AlexNet is the single-tower variant (no grouped convs, 64/192 first filters) and its "
        "GoogLeNet has batch norm and no auxiliary classifiers; the paper's counts are of the original nets.",
        f"Model L's {model_l.parameters / 1e6:.2f}M parameters include {model_l.parameters - weights:,} "
        f"batch-norm affine "
        f"parameters; its conv and fc weights and biases alone are {weights / 1e6:.2f}M "
        f"({relative_difference(weights / 1e6, FCNN_TABLE7['fcnn-l'].params):+.1%}).",
    ]
    return t


def fcnn_statements(counts: Counts) -> Table:
    t = Table("fcnn_stated_counts", "FCNN — counts stated in the text",
              ["Statement (FCNN)", "Paper", "Ours", "Rel. diff. (%)", "How ours is computed"])

    def add(statement, paper, ours, how):
        t.add(statement, paper, ours, percent(relative_difference(ours, paper)), how)

    a, model_l, a_mult = counts("fcnn-a"), counts("fcnn-l"), FCNN_MODEL_A_MULT
    add(f"Model A: \"{a_mult.quote}\" ({a_mult.source})", a_mult.value, a.multiplications,
        "exact count (unpadded k = 2 conv at (s−1)²)")
    add("Model A, Alg. 1 convention", a_mult.value, alg1_convention(a), "every conv at its stage resolution")
    paper_l = FCNN_TABLE7["fcnn-l"]
    add(f"Model L: \"{paper_l.mult:g}M multiplications\" (Table 6, Section 3.4)", paper_l.mult * 1e6,
        model_l.multiplications, "exact count")
    add(f"Model L: {paper_l.params:g}M parameters (Table 7)", paper_l.params * 1e6, model_l.parameters,
        "all trainable parameters")
    add(f"Model L: {paper_l.params:g}M parameters (Table 7)", paper_l.params * 1e6,
        sum(layer.parameters for layer in model_l.layers), "conv + fc weights and biases (no batch norm)")
    l_sub = model_l.select(SUBSTITUTED).multiplications
    e_sub = counts("fcnn-e").select(SUBSTITUTED).multiplications
    same = FCNN_L_SAME_COMPLEXITY
    add(f"Model L: each n→n single-basis layer of E becomes a pair n→n/2→n and \"{same.quote}\" ({same.source})",
        same.value, round(4 * l_sub / (6 * e_sub), 4),
        "L's stage layers / E's, per replaced layer (L: 6 pairs per stage, E: 4 layers)")
    a0 = counts("fcnn-a0").select(SUBSTITUTED).multiplications
    h, h_red = counts("fcnn-h").select(SUBSTITUTED).multiplications, FCNN_H_REDUCTION
    add(f"Model H: 3-D topology reduces a layer's complexity \"{h_red.quote}\" ({h_red.source})", h_red.value,
        round(2 * a0 / h, 4), "2 × A0's substituted layers / H's (H has twice the layers), exact")
    g_over_l = FCNN_GOOGLENET_OVER_L
    add(f"GoogLeNet / Model L: \"{g_over_l.quote}\" ({g_over_l.source})", g_over_l.value,
        round(counts("googlenet").multiplications / model_l.multiplications, 3),
        "torchvision GoogLeNet at 224² / fcnn-l at 221²")
    t.notes.append("All ours: `suite.complexity.count(suite.models.build(...))` at the paper's input size.")
    return t


def hocp_tables(counts: Counts) -> list[Table]:
    t1 = Table("hocp_table1_parameters", "HO-CP Table 1 — parameters on CIFAR-10",
               ["Network", "Paper params (M)", "Ours params (M)", "Ours params (exact)", "Rel. diff. (%)"])
    for model, r in HOCP_TABLE1.items():
        p = counts(model).parameters
        t1.add(f"{r.label} ({model})", r.params, round(p / 1e6, 4), p, percent(relative_difference(p / 1e6, r.params)))
    printed = " and ".join(f'"{r.params_printed.replace(",", ", ")}"' for r in HOCP_TABLE1.values())
    t1.notes += [f"Paper: HO-CP Table 1 (printed {printed} millions).",
                 "Ours: all trainable parameters (conv, batch norm, classifier) of the CIFAR MobileNet-v2 and of the "
                 "same network with HOSConv blocks (two 1-D depthwise convs, BN + ReLU after each factor), "
                 "3×32×32 input, 10 classes."]
    t2 = Table("hocp_table2_conv_parameters", "HO-CP Table 2 — convolutional parameters on 20BN-Jester",
               ["Network", "Paper conv params (M)", "Ours conv params (M)", "Ours conv params (exact)",
                "Rel. diff. (%)",
                "Ours all params (M)"])
    for model, r in HOCP_TABLE2.items():
        cx = counts(model)
        t2.add(f"{r.label} ({model})", r.conv_params, round(cx.conv_parameters / 1e6, 4), cx.conv_parameters,
               percent(relative_difference(cx.conv_parameters / 1e6, r.conv_params)), round(cx.parameters / 1e6, 3))
    saved, paper_saved = counts("convnet3d").conv_parameters - counts("hocp-convnet").conv_parameters, HOCP_SAVED_PARAMS
    t2.add(f"3D-ConvNet − HO-CP ConvNet (\"{paper_saved.quote}\")", paper_saved.value, round(saved / 1e6, 4), saved,
           percent(relative_difference(saved / 1e6, paper_saved.value)), None)
    ours = " and ".join(f"{counts(m).conv_parameters:,}" for m in ("hocp-convnet", "hocp-convnet-s"))
    paper_ours = f"{HOCP_TABLE2['hocp-convnet'].conv_params:g}M"
    t2.notes += [
        "Paper: HO-CP Table 2 and Section 4.3.",
        "Ours: parameters of the convolutional layers only (dense Conv3d, or HOCPConv factors R(C + T + 9) with "
        "R = 6·C, plus the skip factor U^(S) ∈ R^{T×C} on every block for ConvNet-S, as Alg. 1 states it); batch "
        "norm / PReLU between factors and the FC layers are excluded. 'All params' includes them and the FCs "
        "(6400→512→27).",
        f"The paper prints {paper_ours} for both (two significant digits); ours: {ours}. ConvNet-S with U^(S) only "
        f"where C ≠ T (variant hocp-convnet-s-identity-skip) has "
        f"{counts('hocp-convnet-s-identity-skip').conv_parameters:,}, the reading Table 2's 1.2M matches; see the "
        "variants table.",
    ]
    return [t1, t2]


def as_trained(name: str) -> Complexity:
    """Counts of ``name`` as its runs end: a network that training decomposes (``decompose``, e.g.
    convnet3d-cp-finetune) counted with its decomposed layers, at the paper's input size."""
    model = models.build(name)
    if callable(getattr(model, "decompose", None)):
        model.decompose(fit=False)
    return complexity.count(model)


def variants_table(counts: Counts) -> Table:
    """Each model with two readings of its paper (and each ablation an experiment trains): the default and the
    variant's counts, the paper's beside."""
    t = Table("model_variants", "Readings of the papers — default models and their variants; ablations",
              ["Variant", "Kind", "Default model", "Variant's reading", "Default's reading", "Paper states (default)",
               "Ours mult. (M): default / variant", "Ours params (M): default / variant",
               "Ours conv params (M): default / variant"])
    stated = stated_counts()
    for name, v in {**VARIANTS, **ABLATIONS}.items():
        d, x = counts(v.of), (as_trained(name) if name in ABLATIONS else counts(name))
        paper = stated.get(v.of)
        if paper is None and v.of in FCNN_TABLE2:
            paper = f"complexity {FCNN_TABLE2[v.of].complexity_printed} of model A (FCNN Table 2)"

        def pair(attr, scale=1e6, digits=4):
            return f"{round(getattr(d, attr) / scale, digits)} / {round(getattr(x, attr) / scale, digits)}"

        t.add(name, "ablation" if name in ABLATIONS else "reading", v.of, v.reading, v.default, paper,
              pair("multiplications", digits=2), pair("parameters"), pair("conv_parameters"))
    t.notes += ["Why each default is the default (the paper's sentence): "
                + " | ".join(f"{n}: {v.why}" for n, v in VARIANTS.items() if n == min(
                    (m for m, w in VARIANTS.items() if w.why == v.why)))]
    t.notes += ["Ablations (the models of the experiments that test the papers' untested claims): "
                + " | ".join(f"{n}: {v.why}" for n, v in ABLATIONS.items())]
    t.notes += ["Ours: `suite.complexity.count(suite.models.build(name))` at the paper's input size; parameters "
                "include batch norm and PReLU, conv params exclude them. Readings: `suite.models.readings`. "
                "convnet3d-cp-finetune is counted as its runs end, after the decomposition (linear CP factors of "
                "rank 6·C_in, no batch norm between them); before it, it is 3D-ConvNet."]
    return t


def figure5_data() -> list[dict]:
    """GFLOPs (2 FLOPs per multiply–accumulate) of a 3×3×3 Conv3d and of CP-HOConv-3/-6 (rank 3C, 6C)."""
    import torch.nn as nn

    rows = []
    size = HOCP_FIGURE5_INPUT
    for cin, cout in FIGURE5_PAIRS:
        row = {"in_channels": cin, "out_channels": cout}
        conv = complexity.count(nn.Conv3d(cin, cout, 3, padding=1, bias=False), input_size=(cin, *size))
        row["3D-Conv"] = 2 * conv.multiplications / 1e9
        for r in HOCP_FIGURE5_RANKS:
            layer = HOCPConv(cin, cout, 3, dim=3, rank=r * cin)
            row[f"CP-HOConv-{r}"] = 2 * complexity.count(layer, input_size=(cin, *size)).multiplications / 1e9
        rows.append(row)
    return rows


def figure5(out_dir: Path) -> tuple[Table, list[Path]]:
    data = figure5_data()
    series = ["3D-Conv", *(f"CP-HOConv-{r}" for r in HOCP_FIGURE5_RANKS)]
    t = Table("hocp_figure5_gflops", f"HO-CP Figure 5 — GFLOPs of a 3×3×3 convolution on a {FIGURE5_SIZE} input",
              ["Input × output channels", *(f"{s} (GFLOPs)" for s in series), "CP-HOConv-6 / 3D-Conv"])
    for row in data:
        t.add(f"{row['in_channels']}×{row['out_channels']}", *(round(row[s], 5) for s in series),
              round(row["CP-HOConv-6"] / row["3D-Conv"], 4))
    t.notes += [
        "Paper: HO-CP Figure 5 (a bar chart; no numbers printed, the channel pairs of its x-axis are not listed: "
        "ours sweep powers of two 16..512).",
        f"Ours: `suite.complexity.count` of nn.Conv3d(C, T, 3) and of HOCPConv(C, T, 3, rank=3C or 6C) on a "
        f"C×{FIGURE5_SIZE} "
        "input; GFLOPs = 2 × multiply–accumulates / 1e9 (one multiply and one add per MAC; the paper defines "
        "1 GFLOP = 1e9 FLOPs). The dense conv costs 27·C·T per voxel, CP-HOConv-r r·C·(C + 9 + T).",
    ]
    return t, _plot_figure5(data, series, out_dir)


def _plot_figure5(data, series, out_dir: Path) -> list[Path]:
    """Figure 5 at two-column (7 in) and one-column (3.3 in) width: `figure5_figure`."""
    stem = Path(out_dir) / "hocp_figure5_gflops"
    return [p for columns in (2, 1) for p in save_figure(figure5_figure(data, series, columns),
                                                         width_stem(stem, columns))]


def figure5_figure(data, series, columns: int = 2):
    """Grouped bars per channel pair (log scale), each group annotated with CP-HOConv / 3D-Conv (one line per
    rank at two columns; one vertical line at one column, where eleven groups leave 0.3 in each); the legend,
    which says what the annotations are, under the axes."""
    fig, ax = figure(columns=columns, height=2.9 if columns == 2 else 3.2)
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(data))]
        ax.bar(xs, [r[s] for r in data], width=width, label=s, color=f"C{i}")
    ranks = sorted(HOCP_FIGURE5_RANKS, reverse=True)
    for j, r in enumerate(data):  # the ratios the figure is about, above each group
        ratios = [f"×{r[f'CP-HOConv-{k}'] / r['3D-Conv']:.2f}" for k in ranks]
        ax.annotate(("\n" if columns == 2 else " ").join(ratios), (j, r["3D-Conv"]), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=MIN_FONT, linespacing=1.0,
                    rotation=0 if columns == 2 else 90)
    ax.set_yscale("log")
    ax.set_ylim(top=max(r["3D-Conv"] for r in data) * (12 if columns == 2 else 200))  # room for the annotations
    ax.set_xticks(range(len(data)), [f"{r['in_channels']}×{r['out_channels']}" for r in data],
                  rotation=30 if columns == 2 else 90)
    ax.set_xlabel("input × output channels")
    ax.set_ylabel("GFLOPs (2 × MACs)")
    ax.set_title(textwrap.fill(f"HO-CP Figure 5, recomputed: 3×3×3 convolution, {FIGURE5_SIZE} input",
                               48 if columns == 1 else 120))
    ax.grid(axis="x", visible=False)
    fig.legend(loc="outside lower center", ncols=len(series),
               title=f"above each group: CP-HOConv-{'/'.join(map(str, ranks))} ÷ 3D-Conv")
    return fig


def stated_counts() -> dict[str, str]:
    """The whole-model counts the papers state (the tables above compare them), by model."""
    a_mult = FCNN_MODEL_A_MULT
    out = {"fcnn-a": f"{a_mult.value / 1e6:g}M mult. (FCNN {a_mult.source})"}
    for model, r in FCNN_TABLE7.items():
        tables = "Tables 6, 7" if model == "fcnn-l" else "Table 7"
        out[model] = f"{r.mult:g}M mult., {r.params:g}M params (FCNN {tables})"
    out.update({m: f"{r.params:.2f}M params (HO-CP Table 1)" for m, r in HOCP_TABLE1.items()})
    out.update({m: f"{r.conv_params:g}M conv params (HO-CP Table 2)" for m, r in HOCP_TABLE2.items()})
    return out


def models_overview(counts: Counts) -> Table:
    t = Table("models_overview", "Every registered model at its paper input size",
              ["Model", "Definition", "Input", "Classes", "Ours mult. (M)", "Ours params (M)", "Ours conv params (M)",
               "Paper states"])
    stated = stated_counts()
    for name in models.names():
        cx = counts(name)
        doc = (models.get_model_builder(name).__doc__ or "").strip().splitlines()[0]
        t.add(name, doc, "×".join(map(str, cx.input_size)), _classes(cx),
              round(cx.multiplications / 1e6, 2), round(cx.parameters / 1e6, 4), round(cx.conv_parameters / 1e6, 4),
              stated.get(name))
    t.notes += ["Ours: `suite.complexity.count(suite.models.build(name))`; definitions are the builders' docstrings "
                "(`suite/models/`), which quote the paper's sentence each layout rests on.",
                "Paper states: the whole-model counts either paper prints (compared in the tables above); the FCNN "
                "tables give the other models' complexity only as ratios."]
    return t


def _classes(cx: Complexity) -> int:
    return cx.layers[-1].output_shape[0]


def render(experiment: str = "complexity", profile=None, results_root=None, out_dir=None) -> str:
    """Every complexity table (Markdown, CSV, LaTeX), Figure 5 (PNG, PDF) and their index complexity.md under
    out_dir; returns the index. Profile-independent: `profile` and `results_root` are not read."""
    out = Path(out_dir) if out_dir is not None else OUT_DIR
    tables = [models_overview(COUNTS)] + fcnn_tables(COUNTS) + hocp_tables(COUNTS) + [variants_table(COUNTS)]
    fig_table, _ = figure5(out)
    tables.append(fig_table)
    for t in tables:
        write(t, out)
    index = "## Complexity tables\n\n" + "\n".join(to_markdown(t) for t in tables)
    write_text(out / "complexity.md", index)
    return index
