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
from pathlib import Path

from suite import complexity, models
from suite.complexity import Complexity
from suite.layers import HOCPConv
from suite.models.fcnn import SUBSTITUTED

from ._render import Table, percent, relative_difference, write

FCNN = "FCNN"
HOCP = "HO-CP"

TABLE2 = [  # model, method (paper's words), stated complexity (as printed), value
    ("fcnn-a", "Baseline, kernel size = 2", "1", 1.0),
    ("fcnn-b", "Baseline, kernel size = 3", "2.25", 2.25),
    ("fcnn-c", "4 bases, kernel size = 3", "~1", 1.0),
    ("fcnn-d", "2 bases, kernel size = 3", "~0.5", 0.5),
    ("fcnn-e", "1 basis, kernel size = 3, double layers", "~0.5", 0.5),
    ("fcnn-f", "1 basis, kernel size = 5, double layers", "~0.5", 0.5),
]
TABLE4 = [
    ("fcnn-a0", "Baseline", "1", 1.0),
    ("fcnn-g", "2D Topology", "0.5", 0.5),
    ("fcnn-h", "3D Topology", "0.47", 0.47),
    ("fcnn-i", "grouping", "0.5", 0.5),
]
TABLE5 = [
    ("fcnn-a", "Baseline", "1", 1.0),
    ("fcnn-j", "2D Topology", "0.5", 0.5),
    ("fcnn-k", "Single Basis & 2D Topology", "0.25", 0.25),
]
# Table 7: the header reads "#Multiplications(10^9)" but the values are millions (Section 3.4: "470M
# multiplications ... GoogLeNet (1600M) ... AlexNet (725M)").
TABLE7 = [  # model, paper's name, multiplications (M), parameters (M)
    ("alexnet", "AlexNet", 725, 62.4),
    ("googlenet", "GoogleNet", 1600, 7.0),
    ("resnet18", "ResNet-18", 1800, 11.5),
    ("vgg16", "VGG-16", 16000, 134.0),
    ("fcnn-l", "Our Model L", 470, 2.8),
]
HOCP_TABLE1 = [("mobilenetv2-cifar", "MobileNet-v2", 2.30), ("hosconv-cifar", "HOSConv (Ours)", 2.29)]
HOCP_TABLE2 = [("convnet3d", "3D-ConvNet", 2.9), ("hocp-convnet", "HO-CP ConvNet (Ours)", 1.2),
               ("hocp-convnet-s", "HO-CP ConvNet-S (Ours)", 1.2)]
# HO-CP Figure 5: the text gives the input (32×32×16), the kernel (3×3×3) and the ranks (3 and 6 times the
# input channels) but not the channel pairs on its x-axis: we sweep C×T over powers of two 16..512.
FIGURE5_INPUT = (32, 32, 16)
FIGURE5_PAIRS = [(16, 16), (16, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256),
                 (256, 512), (512, 512)]
FIGURE5_RANKS = (3, 6)


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


def _ratio_table(counts: Counts, name: str, title: str, rows, baseline: str, source: str) -> Table:
    base = counts(baseline)
    base_sub = base.select(SUBSTITUTED)
    t = Table(name, title, ["Model", "Method (paper)", "Paper complexity", "Ours: substituted layers (Alg. 1 conv.)",
                            "Rel. diff.", "Ours: substituted layers (exact)", "Ours: whole network (exact)",
                            "Ours: multiplications (M, exact)", "Ours: parameters (M)"])
    for model, method, stated, value in rows:
        cx = counts(model)
        sub = cx.select(SUBSTITUTED)
        conv = alg1_convention(sub) / alg1_convention(base_sub)
        t.add(model, method, stated, round(conv, 4), percent(relative_difference(conv, value)),
              round(sub.multiplications / base_sub.multiplications, 4),
              round(cx.multiplications / base.multiplications, 4), round(cx.multiplications / 1e6, 2),
              round(cx.parameters / 1e6, 3))
    t.notes += [
        f"Paper: {source}; complexity relative to {baseline}, \"calculated regarding to these layers\" (the "
        "substituted stage layers: not the 7×7 stem, the 1×1 convs across stages or the fc).",
        "Ours: `suite.complexity.count(suite.models.build(model))` at the paper's input size; substituted layers "
        "= layers under `conv{2,3,4}_x.blocks`. Rel. diff. = (ours, Alg. 1 convention − paper) / paper; "
        "\"~\" values are the paper's approximations.",
        "Alg. 1 convention: every conv counted at the stage resolution (the paper's 'same'-size assumption); "
        "exact: Model A's unpadded k = 2 conv really outputs (s−1)², so its exact count is lower.",
    ]
    return t


TABLE1_OUTPUT = [("conv1", 108), ("conv2_x", 36), ("conv3_x", 18), ("conv4_x", 6)]  # Tables 1 and 6
TABLE3 = {  # stage: (channels, 2-D d, 2-D c, 3-D d, 3-D c), FCNN Table 3
    "conv2_x": (128, (8, 16), (4, 8), (4, 8, 4), (2, 5, 3)),
    "conv3_x": (256, (16, 16), (8, 8), (8, 8, 4), (4, 5, 3)),
    "conv4_x": (512, (16, 32), (8, 16), (8, 8, 8), (4, 5, 6)),
}


def fcnn_table1_shapes(counts: Counts) -> Table:
    """Output sizes of every FCNN model's stages at 221×221, read from the counted layers' output shapes."""
    names = [n for n in models.names() if n.startswith("fcnn-") and counts(n).input_size[1] == 221]
    t = Table("fcnn_table1_output_sizes", "FCNN Tables 1 and 6 — output size of each stage (221×221 input)",
              ["Layer", "Paper output", *names])
    for stage, paper in TABLE1_OUTPUT:
        sizes = []
        for n in names:
            last = [layer for layer in counts(n).layers if layer.name.split(".")[0] == stage][-1]
            sizes.append("×".join(map(str, last.output_shape[1:])))
        t.add(stage, f"{paper}×{paper}", *sizes)
    t.notes += ["Paper: FCNN Table 1 (models A–F) and Table 6 (model L): \"output\" column (108², 36², 18², 6²).",
                "Ours: the output shape of each stage's last counted layer in `suite.complexity.count` at 3×221×221."]
    return t


def fcnn_table3_grids() -> Table:
    """The topology grids the built models G (2-D) and H (3-D) use, read from their layers."""
    g, h = models.build("fcnn-g"), models.build("fcnn-h")
    t = Table("fcnn_table3_grids", "FCNN Table 3 — topology grids d and neighbourhoods c of models G and H",
              ["Stage", "Channels", "Paper 2-D d / c", "Ours (fcnn-g)", "Paper 3-D d / c", "Ours (fcnn-h)",
               "Ours 3-D m / Πc"])
    for stage, (m, d2, c2, d3, c3) in TABLE3.items():
        lg = getattr(g, stage).blocks[0].convs[0]
        lh = getattr(h, stage).blocks[0].convs[0]
        t.add(stage, m, f"{_x(d2)} / {_x(c2)}", f"{_x(lg.grid)} / {_x(lg.neighbors)}", f"{_x(d3)} / {_x(c3)}",
              f"{_x(lh.grid)} / {_x(lh.neighbors)}", round(lh.channels / math.prod(lh.neighbors), 4))
    t.notes += ["Paper: FCNN Table 3 (\"designed so that the complexity is reduced by (approximately for 3D) a "
                "factor of 4\"; Section 3.2: 4.27 for 3-D).",
                "Ours: `grid` / `neighbors` of the first topological conv of each stage of `suite.models.build('fcnn-g')` "
                "and `('fcnn-h')`; fcnn-j and fcnn-k use the 2-D grids."]
    return t


def _x(dims) -> str:
    return "×".join(map(str, dims))


def fcnn_tables(counts: Counts) -> list[Table]:
    t2 = _ratio_table(counts, "fcnn_table2_complexity", "FCNN Table 2 — complexity of models A–F (relative to A)",
                      TABLE2, "fcnn-a", "FCNN Table 2")
    t2.notes.append("Models C/D cost h·w·b·m·(k²+n) (Alg. 2), E/F h·w·m·(k²+n) per single-basis layer (Alg. 3): "
                    "the k² terms make C, D, E, F slightly above the paper's ~1 / ~0.5.")
    t4 = _ratio_table(counts, "fcnn_table4_complexity", "FCNN Table 4 — topology and grouping models (relative to A0)",
                      TABLE4, "fcnn-a0", "FCNN Table 4 (150×150 crops)")
    t5 = _ratio_table(counts, "fcnn_table5_complexity", "FCNN Table 5 — single basis and topology (relative to A)",
                      TABLE5, "fcnn-a", "FCNN Table 5")
    t5.notes.append("Model K's layers cost h·w·m·(9 + m/4): the depthwise 3×3 term (9/m of a dense 1×1) puts it "
                    "above the paper's 0.25, which counts the projection only (\"approximately as low as a quarter\").")
    return [fcnn_table1_shapes(counts), t2, fcnn_table3_grids(), t4, t5, fcnn_table7(counts), fcnn_statements(counts)]


def fcnn_table7(counts: Counts) -> Table:
    t = Table("fcnn_table7_complexity", "FCNN Table 7 — multiplications and parameters",
              ["Model", "Paper mult. (M)", "Ours mult. (M)", "Rel. diff. (mult.)", "Paper params (M)", "Ours params (M)",
               "Rel. diff. (params)", "Input"])
    for model, paper_name, mult, params in TABLE7:
        cx = counts(model)
        m, p = cx.multiplications / 1e6, cx.parameters / 1e6
        t.add(f"{paper_name} ({model})", mult, round(m, 1), percent(relative_difference(m, mult)), params, round(p, 3),
              percent(relative_difference(p, params)), "×".join(map(str, cx.input_size)))
    t.notes += [
        "Paper: FCNN Table 7 (its header says 10^9 multiplications; the values are millions, Section 3.4: "
        "\"470M ... GoogLeNet (1600M) ... AlexNet (725M)\").",
        "Ours: `suite.complexity.count` of torchvision's untrained definitions at 224×224 (reference nets) and of "
        "fcnn-l at 221×221; multiplications = conv + linear multiply–accumulates; parameters = all trainable "
        "parameters (incl. batch norm).",
        "torchvision's AlexNet is the single-tower variant (no grouped convs, 64/192 first filters) and its "
        "GoogLeNet has batch norm and no auxiliary classifiers; the paper's counts are of the original nets.",
        "Model L's 2.87M parameters include 34,176 batch-norm affine parameters; its conv and fc weights and "
        "biases alone are 2.83M (+1.1%).",
    ]
    return t


def fcnn_statements(counts: Counts) -> Table:
    t = Table("fcnn_stated_counts", "FCNN — counts stated in the text",
              ["Statement (FCNN)", "Paper", "Ours", "Rel. diff.", "How ours is computed"])
    a = counts("fcnn-a")
    t.add("Model A: \"550 million multiplications for each image\" (Section 3)", 550e6, a.multiplications,
          percent(relative_difference(a.multiplications, 550e6)), "exact count (unpadded k = 2 conv at (s−1)²)")
    t.add("Model A, Alg. 1 convention", 550e6, alg1_convention(a),
          percent(relative_difference(alg1_convention(a), 550e6)), "every conv at its stage resolution")
    l = counts("fcnn-l")
    t.add("Model L: \"470M multiplications\" (Table 6, Section 3.4)", 470e6, l.multiplications,
          percent(relative_difference(l.multiplications, 470e6)), "exact count")
    t.add("Model L: 2.8M parameters (Table 7)", 2.8e6, l.parameters, percent(relative_difference(l.parameters, 2.8e6)),
          "all trainable parameters")
    weights = sum(layer.parameters for layer in l.layers)
    t.add("Model L: 2.8M parameters (Table 7)", 2.8e6, weights, percent(relative_difference(weights, 2.8e6)),
          "conv + fc weights and biases (no batch norm)")
    l_sub = l.select(SUBSTITUTED).multiplications
    e_sub = counts("fcnn-e").select(SUBSTITUTED).multiplications
    t.add("Model L: each n→n single-basis layer of E becomes a pair n→n/2→n and \"the complexity remains the "
          "same\" (Section 3.4)", 1.0, round(4 * l_sub / (6 * e_sub), 4),
          percent(relative_difference(4 * l_sub / (6 * e_sub), 1.0)),
          "L's stage layers / E's, per replaced layer (L: 6 pairs per stage, E: 4 layers)")
    a0 = counts("fcnn-a0").select(SUBSTITUTED).multiplications
    h = counts("fcnn-h").select(SUBSTITUTED).multiplications
    t.add("Model H: 3-D topology reduces a layer's complexity \"by a factor of 4.27\" (Section 3.2)", 4.27,
          round(2 * a0 / h, 4), percent(relative_difference(2 * a0 / h, 4.27)),
          "2 × A0's substituted layers / H's (H has twice the layers), exact")
    t.add("GoogLeNet / Model L: \"3.4 times less computation\" (Abstract)", 3.4,
          round(counts("googlenet").multiplications / l.multiplications, 3),
          percent(relative_difference(counts("googlenet").multiplications / l.multiplications, 3.4)),
          "torchvision GoogLeNet at 224² / fcnn-l at 221²")
    t.notes.append("All ours: `suite.complexity.count(suite.models.build(...))` at the paper's input size.")
    return t


def hocp_tables(counts: Counts) -> list[Table]:
    t1 = Table("hocp_table1_parameters", "HO-CP Table 1 — parameters on CIFAR-10",
               ["Network", "Paper params (M)", "Ours params (M)", "Ours params (exact)", "Rel. diff."])
    for model, name, paper in HOCP_TABLE1:
        p = counts(model).parameters
        t1.add(f"{name} ({model})", paper, round(p / 1e6, 4), p, percent(relative_difference(p / 1e6, paper)))
    t1.notes += ["Paper: HO-CP Table 1 (printed \"2, 30\" and \"2, 29\" millions).",
                 "Ours: all trainable parameters (conv, batch norm, classifier) of the CIFAR MobileNet-v2 and of the "
                 "same network with HOSConv blocks (two 1-D depthwise convs, BN + ReLU after each factor), "
                 "3×32×32 input, 10 classes."]
    t2 = Table("hocp_table2_conv_parameters", "HO-CP Table 2 — convolutional parameters on 20BN-Jester",
               ["Network", "Paper conv params (M)", "Ours conv params (M)", "Ours conv params (exact)", "Rel. diff.",
                "Ours all params (M)"])
    for model, name, paper in HOCP_TABLE2:
        cx = counts(model)
        t2.add(f"{name} ({model})", paper, round(cx.conv_parameters / 1e6, 4), cx.conv_parameters,
               percent(relative_difference(cx.conv_parameters / 1e6, paper)), round(cx.parameters / 1e6, 3))
    saved = counts("convnet3d").conv_parameters - counts("hocp-convnet").conv_parameters
    t2.add("3D-ConvNet − HO-CP ConvNet (\"1.7 million less parameters\")", 1.7, round(saved / 1e6, 4), saved,
           percent(relative_difference(saved / 1e6, 1.7)), None)
    t2.notes += [
        "Paper: HO-CP Table 2 and Section 4.3.",
        "Ours: parameters of the convolutional layers only (dense Conv3d, or HOCPConv factors R(C + T + 9) with "
        "R = 6·C, plus the skip factor U^(S) ∈ R^{T×C} where C ≠ T for ConvNet-S); batch norm / PReLU between "
        "factors and the FC layers are excluded. 'All params' includes them and the FCs (6400→512→27).",
        "The paper's 1.2M are two significant digits: 1,180,632 and 1,221,784 both round to 1.2M.",
    ]
    return [t1, t2]


def figure5_data() -> list[dict]:
    """GFLOPs (2 FLOPs per multiply–accumulate) of a 3×3×3 Conv3d and of CP-HOConv-3/-6 (rank 3C, 6C)."""
    import torch.nn as nn

    rows = []
    size = FIGURE5_INPUT
    for cin, cout in FIGURE5_PAIRS:
        row = {"in_channels": cin, "out_channels": cout}
        conv = complexity.count(nn.Conv3d(cin, cout, 3, padding=1, bias=False), input_size=(cin, *size))
        row["3D-Conv"] = 2 * conv.multiplications / 1e9
        for r in FIGURE5_RANKS:
            layer = HOCPConv(cin, cout, 3, dim=3, rank=r * cin)
            row[f"CP-HOConv-{r}"] = 2 * complexity.count(layer, input_size=(cin, *size)).multiplications / 1e9
        rows.append(row)
    return rows


def figure5(out_dir: Path) -> tuple[Table, list[Path]]:
    data = figure5_data()
    series = ["3D-Conv", *(f"CP-HOConv-{r}" for r in FIGURE5_RANKS)]
    t = Table("hocp_figure5_gflops", "HO-CP Figure 5 — GFLOPs of a 3×3×3 convolution on a 32×32×16 input",
              ["Input × output channels", *(f"{s} (GFLOPs)" for s in series), "CP-HOConv-6 / 3D-Conv"])
    for row in data:
        t.add(f"{row['in_channels']}×{row['out_channels']}", *(round(row[s], 5) for s in series),
              round(row["CP-HOConv-6"] / row["3D-Conv"], 4))
    t.notes += [
        "Paper: HO-CP Figure 5 (a bar chart; no numbers printed, the channel pairs of its x-axis are not listed: "
        "ours sweep powers of two 16..512).",
        "Ours: `suite.complexity.count` of nn.Conv3d(C, T, 3) and of HOCPConv(C, T, 3, rank=3C or 6C) on a C×32×32×16 "
        "input; GFLOPs = 2 × multiply–accumulates / 1e9 (one multiply and one add per MAC; the paper defines "
        "1 GFLOP = 1e9 FLOPs). The dense conv costs 27·C·T per voxel, CP-HOConv-r r·C·(C + 9 + T).",
    ]
    return t, _plot_figure5(data, series, out_dir)


def _plot_figure5(data, series, out_dir: Path) -> list[Path]:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._render import atomic_write

    labels = [f"{r['in_channels']}×{r['out_channels']}" for r in data]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(data))]
        ax.bar(xs, [r[s] for r in data], width=width, label=s)
    ax.set_yscale("log")
    ax.set_xticks(range(len(data)))
    ax.set_xticklabels(labels, rotation=30)
    ax.set_xlabel("input × output channels")
    ax.set_ylabel("GFLOPs (2 × MACs, log scale)")
    ax.set_title("3×3×3 convolution on a 32×32×16 input (HO-CP Figure 5, recomputed)")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths = []
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=150)
        path = Path(out_dir) / f"hocp_figure5_gflops.{ext}"
        atomic_write(path, buf.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths


STATED = {  # counts the papers state for a whole model (the tables above compare them)
    "fcnn-a": "550M mult. (FCNN Section 3)",
    "fcnn-l": "470M mult., 2.8M params (FCNN Tables 6, 7)",
    "alexnet": "725M mult., 62.4M params (FCNN Table 7)",
    "googlenet": "1600M mult., 7M params (FCNN Table 7)",
    "resnet18": "1800M mult., 11.5M params (FCNN Table 7)",
    "vgg16": "16000M mult., 134M params (FCNN Table 7)",
    "mobilenetv2-cifar": "2.30M params (HO-CP Table 1)",
    "hosconv-cifar": "2.29M params (HO-CP Table 1)",
    "convnet3d": "2.9M conv params (HO-CP Table 2)",
    "hocp-convnet": "1.2M conv params (HO-CP Table 2)",
    "hocp-convnet-s": "1.2M conv params (HO-CP Table 2)",
}


def models_overview(counts: Counts) -> Table:
    t = Table("models_overview", "Every registered model at its paper input size",
              ["Model", "Definition", "Input", "Classes", "Ours mult. (M)", "Ours params (M)", "Ours conv params (M)",
               "Paper states"])
    for name in models.names():
        cx = counts(name)
        doc = (models.get_model_builder(name).__doc__ or "").strip().splitlines()[0]
        t.add(name, doc, "×".join(map(str, cx.input_size)), _classes(cx),
              round(cx.multiplications / 1e6, 2), round(cx.parameters / 1e6, 4), round(cx.conv_parameters / 1e6, 4),
              STATED.get(name))
    t.notes += ["Ours: `suite.complexity.count(suite.models.build(name))`; definitions are the builders' docstrings "
                "(`suite/models/`), which quote the paper's sentence each layout rests on.",
                "Paper states: the whole-model counts either paper prints (compared in the tables above); the FCNN "
                "tables give the other models' complexity only as ratios."]
    return t


def _classes(cx: Complexity) -> int:
    return cx.layers[-1].output_shape[0]


def generate(out_dir: Path) -> list[Path]:
    """Write every complexity table (Markdown, CSV, LaTeX) and Figure 5 (PNG, PDF) under out_dir."""
    counts = Counts()
    tables = [models_overview(counts)] + fcnn_tables(counts) + hocp_tables(counts)
    fig_table, fig_paths = figure5(out_dir)
    tables.append(fig_table)
    paths = [p for t in tables for p in write(t, out_dir)] + fig_paths
    from ._render import atomic_write, to_markdown

    index = Path(out_dir) / "complexity.md"
    atomic_write(index, "## Complexity tables\n\n" + "\n".join(to_markdown(t) for t in tables))
    return paths + [index]
