"""The claims ledger: every quantitative claim of FCNN and HO-CP that a result log or `suite.complexity` can
test, with the sentence (or table) it rests on, its test, and a verdict: holds, contradicted or inconclusive.

Accuracy claims (`Compare`) are evaluated from the finished runs of one experiment and profile with the
tests of `paper_tables.stats`: the difference a − b of the two models' accuracies, paired by seed when
both have the same seeds, else Welch; its 95 % t-interval decides (see `stats.decide`). "Almost the
same", "similar", "competitive", "maintain the same accuracy" and "accuracy of GoogLeNet" give no
tolerance; we test them as equivalence (or non-inferiority) within ±1 accuracy point (`MARGIN`), the
smallest gap the FCNN paper itself calls a difference ("less than 1% better"). This is our choice.

Complexity claims (`Count`) are exact: our count from `suite.complexity` against the printed number,
within half a unit of its last printed digit (or ±10 % for the values printed with "~"), or against the
stated bound. They hold or are contradicted; they never need seeds.

Source files: FCNN = shared/papers/000_827885b84de41127.txt, HO-CP = shared/papers/004_b31600cd53fb7ce3.txt.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from suite import paper_values as pv
from suite.profiles import PROFILES

from . import _render, stats
from .accuracy import collect
from .complexity import COUNTS, alg1_convention, figure5_data, relative_complexity

MARGIN = 1.0      # accuracy points, for "the same" / "similar" / "competitive" (see module doc)
APPROX_TOL = 0.10  # relative tolerance of a value the paper prints with "~"


# ------------------------------------------------------------------------------------------- tests
@dataclass(frozen=True)
class Compare:
    """Accuracy of model ``a`` vs ``b`` (``metric`` = "top1" or "top5", in %): ``kind`` is "better",
    "not_worse" (non-inferiority by ``margin``) or "equivalent" (|a − b| < ``margin``)."""

    kind: str
    a: str
    b: str
    metric: str = "top1"
    margin: float = 0.0

    def describe(self) -> str:
        what = {"top1": "top-1", "top5": "top-5"}[self.metric]
        if self.kind == "not_worse":
            return f"{what} {self.a} − {self.b} > −{self.margin:g} point"
        if self.kind == "equivalent":
            return f"|{what} {self.a} − {self.b}| < {self.margin:g} point"
        return f"{what} {self.a} > {self.b}"


@dataclass(frozen=True)
class Count:
    """Our number ``ours()`` against the paper: ``relation`` "≈" (within ``tol``, absolute), ">" or "<"
    (a bound ``paper``)."""

    ours: Callable[[], float]
    relation: str
    paper: float
    tol: float = 0.0
    what: str = ""

    def describe(self) -> str:
        if self.relation == "≈":
            return f"{self.what} = {_render.fmt(self.paper)} ± {_render.fmt(self.tol)}"
        return f"{self.what} {self.relation} {_render.fmt(self.paper)}"


@dataclass(frozen=True)
class Claim:
    key: str
    paper: str          # "FCNN" or "HO-CP"
    source: str         # section / table of the paper file
    quote: str          # the paper's sentence (or the table row it rests on)
    test: Compare | Count
    experiment: str     # the experiment whose table shows it


def printed_tol(printed: str) -> float:
    """Half a unit in the last printed digit: "2.25" -> 0.005, "0.5" -> 0.05, "550" -> 5 (two significant
    digits assumed for a trailing zero)."""
    if "." in printed:
        return 0.5 * 10 ** -len(printed.split(".")[1])
    stripped = printed.rstrip("0")
    return 0.5 * 10 ** (len(printed) - len(stripped))


def _fcnn_ratio(table: dict, model: str, baseline: str, experiment: str, source: str, quote: str) -> Claim:
    r = table[model]
    tol = APPROX_TOL * r.complexity if r.approximate else printed_tol(f"{r.complexity:g}")
    return Claim(f"{experiment}-complexity-{model}", "FCNN", source, quote,
                 Count(lambda: relative_complexity(model, baseline), "≈", r.complexity, tol,
                       f"mult. of {model}'s substituted layers / {baseline}'s (Alg. 1 convention)"), experiment)


def _paper_accuracy(experiment: str, model: str, metric: str) -> float | None:
    """The paper's accuracy (%) of ``model`` in ``experiment``'s table (None: the paper prints none, e.g. for the
    networks of the experiments that test its untested claims)."""
    fcnn = {"fcnn-table2": pv.FCNN_TABLE2, "fcnn-table4": pv.FCNN_TABLE4, "fcnn-table5": pv.FCNN_TABLE5,
            "fcnn-residual": pv.FCNN_TABLE2}.get(experiment)
    if fcnn is not None:
        return fcnn[model].top1 if metric == "top1" and model in fcnn else None
    if experiment == "fcnn-table7":
        r = pv.FCNN_TABLE7[model]
        return 100 - (r.top1_err if metric == "top1" else r.top5_err)
    if experiment == "hocp-table1":
        return pv.HOCP_TABLE1[model].accuracy if metric == "top1" else None
    r = pv.HOCP_TABLE2.get(model)
    return None if r is None else r.top1 if metric == "top1" else r.top5


def alg1_total(name: str) -> int:
    return alg1_convention(COUNTS(name))


def _weights(name: str) -> int:
    return sum(layer.parameters for layer in COUNTS(name).layers)


def _figure5_max_ratio() -> float:
    return max(row[f"CP-HOConv-{r}"] / row["3D-Conv"] for row in figure5_data() for r in pv.HOCP_FIGURE5_RANKS)


T2, T4, T5, T7 = "FCNN Sec. 3.1, Table 2", "FCNN Sec. 3.2, Table 4", "FCNN Sec. 3.3, Table 5", "FCNN Sec. 3.4, Table 7"
HT1, HT2 = "HO-CP Sec. 4.2, Table 1", "HO-CP Sec. 4.3, Table 2"
T7L, T7R = pv.FCNN_TABLE7["fcnn-l"], pv.FCNN_TABLE7["resnet18"]

CLAIMS: tuple[Claim, ...] = (
    # ---- FCNN Table 2
    Claim("fcnn-t2-c-vs-b", "FCNN", T2, "Comparing model B and C, with the same kernel size, our model even achieves "
          "almost the same accuracy with less than half of full rank (4 vs 9).",
          Compare("equivalent", "fcnn-c", "fcnn-b", margin=MARGIN), "fcnn-table2"),
    Claim("fcnn-t2-d-vs-a", "FCNN", T2, "Comparing model A and D, we obtain better accuracy with half computation.",
          Compare("better", "fcnn-d", "fcnn-a"), "fcnn-table2"),
    Claim("fcnn-t2-e-vs-d", "FCNN", T2, "Comparing to model D, its [model E's] accuracy is approximately 3% better "
          "with the same complexity.", Compare("better", "fcnn-e", "fcnn-d"), "fcnn-table2"),
    Claim("fcnn-t2-f-vs-e", "FCNN", T2, "Counterintuitively, model F with larger kernel size performs almost identical "
          "with model E.", Compare("equivalent", "fcnn-f", "fcnn-e", margin=MARGIN), "fcnn-table2"),
    Claim("fcnn-t2-c-vs-a", "FCNN", T2, "Our methods show significant improvement of accuracy with equal or less "
          "complexity than baseline models. [C: complexity ~1 of A]", Compare("better", "fcnn-c", "fcnn-a"),
          "fcnn-table2"),
    Claim("fcnn-t2-e-vs-b", "FCNN", T2, "Our methods show significant improvement of accuracy with equal or less "
          "complexity than baseline models. [E, ~0.5, vs the better baseline B, 2.25]",
          Compare("better", "fcnn-e", "fcnn-b"), "fcnn-table2"),
    Claim("fcnn-t2-b-vs-a", "FCNN", "FCNN Table 2", f"Table 2: B (kernel size 3) {pv.FCNN_TABLE2['fcnn-b'].top1:g} % "
          f"vs A (kernel size 2) {pv.FCNN_TABLE2['fcnn-a'].top1:g} %.",
          Compare("better", "fcnn-b", "fcnn-a"), "fcnn-table2"),
    *(_fcnn_ratio(pv.FCNN_TABLE2, m, "fcnn-a", "fcnn-table2", "FCNN Table 2",
                  f"Table 2: complexity of model {m[-1].upper()} {pv.FCNN_TABLE2[m].complexity_printed} (relative to A).")
      for m in ("fcnn-b", "fcnn-c", "fcnn-d", "fcnn-e", "fcnn-f")),
    Claim("fcnn-model-a-mult", "FCNN", "FCNN Sec. 3", f"The baseline model A achieves "
          f"{pv.FCNN_TABLE2['fcnn-a'].top1:g}% top-1 accuracy with "
          f"{pv.FCNN_MODEL_A_MULT.quote}.",
          Count(lambda: alg1_total("fcnn-a"), "≈", pv.FCNN_MODEL_A_MULT.value,
                printed_tol(f"{pv.FCNN_MODEL_A_MULT.value / 1e6:g}") * 1e6, "mult. of model A (Alg. 1 convention)"),
          "fcnn-table2"),
    # ---- FCNN Table 4
    Claim("fcnn-t4-g-vs-i", "FCNN", T4, "Both the 2D and the 3D topology model achieves better accuracy than the "
          "grouping method while maintaining the same complexity. [2D]", Compare("better", "fcnn-g", "fcnn-i"),
          "fcnn-table4"),
    Claim("fcnn-t4-h-vs-i", "FCNN", T4, "Both the 2D and the 3D topology model achieves better accuracy than the "
          "grouping method while maintaining the same complexity. [3D]", Compare("better", "fcnn-h", "fcnn-i"),
          "fcnn-table4"),
    Claim("fcnn-t4-g-vs-h", "FCNN", T4, "The 2D topology model is less than 1% better than the 3D topology model "
          "with marginally higher complexity.", Compare("better", "fcnn-g", "fcnn-h"), "fcnn-table4"),
    Claim("fcnn-t4-g-vs-a0", "FCNN", T4, "When compared with the baseline model, the 2D topology model obtains "
          "competitive accuracy with exactly half complexity.",
          Compare("not_worse", "fcnn-g", "fcnn-a0", margin=MARGIN), "fcnn-table4"),
    *(_fcnn_ratio(pv.FCNN_TABLE4, m, "fcnn-a0", "fcnn-table4", "FCNN Table 4",
                  f"Table 4: complexity of model {m[-1].upper()} {pv.FCNN_TABLE4[m].complexity_printed} (relative to A0).")
      for m in ("fcnn-g", "fcnn-h", "fcnn-i")),
    Claim("fcnn-h-reduction", "FCNN", "FCNN Sec. 3.2", "In Model G [sic: model H], we use 3D topology and set ci and di so that the "
          f"complexity is reduced {pv.FCNN_H_REDUCTION.quote}.",
          Count(lambda: 2 * relative_complexity("fcnn-a0", "fcnn-h", exact=True), "≈", pv.FCNN_H_REDUCTION.value,
                printed_tol(f"{pv.FCNN_H_REDUCTION.value:g}"), "2 × A0's substituted mult. / H's"), "fcnn-table4"),
    # ---- FCNN Table 5
    Claim("fcnn-t5-j-vs-a", "FCNN", T5, "When using 2D topology only, we maintain the same accuracy while reducing "
          "the complexity by half.", Compare("equivalent", "fcnn-j", "fcnn-a", margin=MARGIN), "fcnn-table5"),
    Claim("fcnn-t5-k-vs-a", "FCNN", T5, "Model K achieves best accuracy / complexity ratio, improving the accuracy by "
          "1% while being 4 times more efficient than model A.", Compare("better", "fcnn-k", "fcnn-a"), "fcnn-table5"),
    Claim("fcnn-t5-k-vs-j", "FCNN", "FCNN Table 5", f"Table 5: K (single basis & 2D topology) "
          f"{pv.FCNN_TABLE5['fcnn-k'].top1:g} % vs J (2D topology) {pv.FCNN_TABLE5['fcnn-j'].top1:g} %.", Compare("better", "fcnn-k", "fcnn-j"), "fcnn-table5"),
    *(_fcnn_ratio(pv.FCNN_TABLE5, m, "fcnn-a", "fcnn-table5", "FCNN Table 5",
                  f"Table 5: complexity of model {m[-1].upper()} {pv.FCNN_TABLE5[m].complexity_printed} (relative to A).")
      for m in ("fcnn-j", "fcnn-k")),
    # ---- FCNN Table 7 / Figure 2
    Claim("fcnn-t7-l-vs-googlenet", "FCNN", "FCNN Abstract; Sec. 3.4, Table 7", "Our model achieves accuracy of "
          "GoogLeNet while consuming 3.4 times less computation.",
          Compare("not_worse", "fcnn-l", "googlenet", margin=MARGIN), "fcnn-table7"),
    Claim("fcnn-t7-l-vs-resnet18", "FCNN", "FCNN Table 7", f"Table 7: Model L top-1 error {T7L.top1_err:g} % vs "
          f"ResNet-18 {T7R.top1_err:g} % with {T7L.mult:g}M vs {T7R.mult:g}M multiplications.", Compare("not_worse", "fcnn-l", "resnet18", margin=MARGIN),
          "fcnn-table7"),
    Claim("fcnn-googlenet-over-l", "FCNN", "FCNN Abstract", f"Our model achieves accuracy of GoogLeNet while consuming "
          f"{pv.FCNN_GOOGLENET_OVER_L.quote}.",
          Count(lambda: COUNTS("googlenet").multiplications / COUNTS("fcnn-l").multiplications, "≈",
                pv.FCNN_GOOGLENET_OVER_L.value, printed_tol(f"{pv.FCNN_GOOGLENET_OVER_L.value:g}"),
                "mult. of GoogLeNet (torchvision) / model L"), "fcnn-table7"),
    Claim("fcnn-l-3x-googlenet", "FCNN", "FCNN Sec. 3.4", f"The complexity of this model is {T7L.mult:g}M "
          "multiplications for each image, which is more than 3 times less than GoogLeNet "
          f"({pv.FCNN_TABLE7['googlenet'].mult:g}M).",
          Count(lambda: COUNTS("googlenet").multiplications / COUNTS("fcnn-l").multiplications, ">", 3.0,
                what="mult. of GoogLeNet (torchvision) / model L"), "fcnn-table7"),
    Claim("fcnn-l-mult", "FCNN", "FCNN Sec. 3.4, Table 6", f"The complexity of this model is "
          f"{pv.FCNN_TABLE7['fcnn-l'].mult:g}M multiplications for each image.",
          Count(lambda: COUNTS("fcnn-l").multiplications, "≈", pv.FCNN_TABLE7["fcnn-l"].mult * 1e6,
                printed_tol(f"{T7L.mult:g}") * 1e6, "mult. of model L"), "fcnn-table7"),
    Claim("fcnn-l-params", "FCNN", "FCNN Table 7", f"Table 7: Our Model L, {pv.FCNN_TABLE7['fcnn-l'].params:g}M "
          "parameters.", Count(lambda: _weights("fcnn-l"), "≈", pv.FCNN_TABLE7["fcnn-l"].params * 1e6,
                               printed_tol(f"{pv.FCNN_TABLE7['fcnn-l'].params:g}") * 1e6,
                               "conv + fc weights and biases of model L (no batch norm)"), "fcnn-table7"),
    Claim("fcnn-l-same-as-e", "FCNN", "FCNN Sec. 3.4", "Each single basis convolutional layer with n input channels "
          f"and n output channels is substituted with two single basis layers ... In this way, "
          f"{pv.FCNN_L_SAME_COMPLEXITY.quote}.",
          Count(lambda: 4 * relative_complexity("fcnn-l", "fcnn-e", exact=True) / 6, "≈",
                pv.FCNN_L_SAME_COMPLEXITY.value, 0.05, "L's stage mult. per replaced layer / E's (±5 %, chosen)"),
          "fcnn-table7"),
    # ---- HO-CP Table 1
    Claim("hocp-t1-hosconv-vs-mobilenetv2", "HO-CP", HT1, "Unsurprisingly, both approach yield similar results since, "
          "in the 2D case, the two networks architectures are similar.",
          Compare("equivalent", "hosconv-cifar", "mobilenetv2-cifar", margin=MARGIN), "hocp-table1"),
    Claim("hocp-t1-fewer-params", "HO-CP", HT1, "It is worth noting that our method has marginally less parameters "
          "than MobileNet-v2, for the same number of channels.",
          Count(lambda: COUNTS("hosconv-cifar").parameters / COUNTS("mobilenetv2-cifar").parameters, "<", 1.0,
                what="parameters of HOSConv / MobileNet-v2"), "hocp-table1"),
    *(Claim(f"hocp-t1-params-{m}", "HO-CP", "HO-CP Table 1", f"Table 1: {r.label}, {r.params_printed} M parameters.",
            Count(lambda m=m: COUNTS(m).parameters / 1e6, "≈", r.params, printed_tol(f"{r.params:.2f}"),
                  f"parameters of {m} (M)"), "hocp-table1") for m, r in pv.HOCP_TABLE1.items()),
    # ---- HO-CP Table 2
    Claim("hocp-t2-convnet-vs-3d-top1", "HO-CP", HT2, "In particular, the basic version without skip connection and "
          "with RELU (HO-CP ConvNet) has 1.7 million less parameters in the convolutional layers compared to the "
          "regular 3D network, and yet, converges to better Top-1 and Top-5 accuracy. [top-1]",
          Compare("better", "hocp-convnet", "convnet3d"), "hocp-table2"),
    Claim("hocp-t2-convnet-vs-3d-top5", "HO-CP", HT2, "... and yet, converges to better Top-1 and Top-5 accuracy. "
          "[top-5]", Compare("better", "hocp-convnet", "convnet3d", metric="top5"), "hocp-table2"),
    Claim("hocp-t2-s-vs-convnet", "HO-CP", HT2, "The version with skip-connection and PReLU (HO-CP ConvNet-S) beats "
          "all approaches. [vs HO-CP ConvNet]", Compare("better", "hocp-convnet-s", "hocp-convnet"), "hocp-table2"),
    Claim("hocp-t2-s-vs-3d", "HO-CP", HT2, "The version with skip-connection and PReLU (HO-CP ConvNet-S) beats all "
          "approaches. [vs 3D-ConvNet]", Compare("better", "hocp-convnet-s", "convnet3d"), "hocp-table2"),
    Claim("hocp-t2-saved-params", "HO-CP", HT2, f"... (HO-CP ConvNet) has {pv.HOCP_SAVED_PARAMS.quote} in the "
          "convolutional layers compared to the regular 3D network.",
          Count(lambda: (COUNTS("convnet3d").conv_parameters - COUNTS("hocp-convnet").conv_parameters) / 1e6, "≈",
                pv.HOCP_SAVED_PARAMS.value, printed_tol(f"{pv.HOCP_SAVED_PARAMS.value:g}"),
                "conv parameters of 3D-ConvNet − HO-CP ConvNet (M)"), "hocp-table2"),
    *(Claim(f"hocp-t2-params-{m}", "HO-CP", "HO-CP Table 2", f"Table 2: {r.label}, {r.conv_params:g}M conv "
            "parameters.", Count(lambda m=m: COUNTS(m).conv_parameters / 1e6, "≈", r.conv_params,
                                 printed_tol(f"{r.conv_params:g}"), f"conv parameters of {m} (M)"), "hocp-table2")
      for m, r in pv.HOCP_TABLE2.items()),
    # ---- the claims the papers argue but never test (experiments fcnn-residual, hocp-compress)
    Claim("fcnn-residual-necessary", "FCNN", "FCNN Sec. 2.3", "If each channel is only allowed to be convolved with one "
          "basis, then the output of the convolution may not be able to keep all the useful information from the "
          "input due to rank deficiency. Therefore, the residual learning is necessary here to address this "
          "problem. [tested: Model E beats E without the residual, same multiplications]",
          Compare("better", "fcnn-e", "fcnn-e-no-residual"), "fcnn-residual"),
    Claim("hocp-scratch-vs-compress", "HO-CP", "HO-CP Sec. 3", "As a result, most existing approach rely on first "
          "training an uncompressed network, then decomposing the convolutional kernels before replacing the "
          "convolution with their efficient rewriting and fine-tuning to recover lost performance. However, this "
          "approach is not suitable for higher-order convolutions ... Instead, we propose to facilitate training by "
          "adding non-linearities [tested: HO-CP ConvNet trained from scratch is at least as accurate as 3D-ConvNet "
          "trained, CP-decomposed at the same rank and fine-tuned, at equal epochs]",
          Compare("not_worse", "hocp-convnet", "convnet3d-cp-finetune", margin=MARGIN), "hocp-compress"),
    Claim("hocp-fig5-fewer-flops", "HO-CP", "HO-CP Figure 5", "Our proposed HO-CP convolution, here for a rank equal "
          "to 6 and 3 times the input channels (CP-HOConv-6 and CP-HOConv-3), has significantly less FLOP than the "
          "regular convolution (3D-Conv).", Count(_figure5_max_ratio, "<", 1.0,
                                                  what="largest CP-HOConv / 3D-Conv GFLOPs over Figure 5's sweep"),
          "hocp-table2"),
)


# --------------------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Verdict:
    claim: Claim
    verdict: str
    test: str                        # the statistical test or "exact count"
    paper_effect: float | None       # a − b in the paper's table, or the paper's number
    effect: float | None             # ours: measured a − b, or our count
    lo: float | None = None
    hi: float | None = None
    n: str = ""                      # "n_a/n_b" runs
    seeds_needed: int | None = None
    detail: str = ""


def evaluate(claim: Claim, profile: str = "local", results_root=None, collected=None) -> Verdict:
    """The verdict of ``claim`` on the runs of its experiment under ``profile`` (``collected``: reuse an
    `accuracy.Collected` of that experiment)."""
    t = claim.test
    if isinstance(t, Count):
        ours = float(t.ours())
        ok = {"≈": abs(ours - t.paper) <= t.tol, ">": ours > t.paper, "<": ours < t.paper}[t.relation]
        return Verdict(claim, stats.HOLDS if ok else stats.CONTRADICTED, "exact count", t.paper, ours)
    col = collected or collect(claim.experiment, profile, results_root, [t.a, t.b])
    a, b = (col.seed_values(m, t.metric) for m in (t.a, t.b))
    pa, pb = (_paper_accuracy(claim.experiment, m, t.metric) for m in (t.a, t.b))
    paper = None if pa is None or pb is None else round(pa - pb, 2)
    d = stats.difference(a, b)
    verdict = stats.decide(t.kind, d.lo, d.hi, t.margin)
    needed = stats.seeds_needed(d, stats.thresholds(t.kind, t.margin))
    detail = "" if d.lo is not None else "needs ≥ 2 finished seeds of each model" if d.effect is not None \
        else "no finished run of " + " and ".join(m for m, v in ((t.a, a), (t.b, b)) if not v)
    return Verdict(claim, verdict, f"{d.test}, 95 %", paper, d.effect, d.lo, d.hi, f"{len(a)}/{len(b)}", needed, detail)


def for_experiment(experiment: str) -> list[Claim]:
    return [c for c in CLAIMS if c.experiment == experiment]


MEASURED = ["Ours", "95% CI low", "95% CI high", "n (a/b)", "Verdict", "Seeds to decide", "Why undecided"]
COLUMNS = ["Claim", "Source", "The paper says", "Test", "Paper", *MEASURED]


def _cells(v: Verdict) -> list:
    r = (lambda x: None if x is None else round(x, 4 if isinstance(v.claim.test, Count) and abs(x) < 100 else 2))
    needed = v.seeds_needed if v.verdict == stats.INCONCLUSIVE else None
    return [v.claim.key, v.claim.source, v.claim.quote, v.claim.test.describe(), r(v.paper_effect), r(v.effect),
            r(v.lo), r(v.hi), v.n or None, v.verdict, needed, v.detail or None]


NOTES = [
    "Accuracy claims: Paper / Ours = difference a − b in accuracy points (paper's table / our runs); the interval "
    "is the 95 % t-interval of that difference, paired by seed when both models ran the same seeds, else Welch. "
    "better: holds if the interval is above 0, contradicted if below; not_worse / equivalent: against ±"
    f"{MARGIN:g} point (our choice, see paper_tables/claims.py). Seeds to decide: seeds per model that would make "
    "the interval clear the threshold if the effect and spread stayed as measured (– : no spread measured yet, or "
    "more than 1000).",
    "Complexity claims: exact counts from `suite.complexity` at the paper's input size; Paper = the printed number, "
    "Ours = our count; tolerance half a unit of the last printed digit (±10 % for values printed with \"~\").",
    "Local profile: small data that ships with the suite; a verdict there is about the models on that data, not "
    "about ImageNet, CIFAR-10 or Jester.",
]


def table(experiment: str, profile: str, results_root=None, collected=None) -> _render.Table:
    """The claims of ``experiment`` with their verdicts under ``profile``."""
    t = _render.Table(f"{experiment.replace('-', '_')}_{profile}_claims",
                      f"Claims of {experiment} and their verdicts (profile {profile})", COLUMNS)
    for c in for_experiment(experiment):
        t.add(*_cells(evaluate(c, profile, results_root, collected if isinstance(c.test, Compare) else None)))
    t.notes = list(NOTES)
    return t


def render(experiment: str = "claims", profile=None, results_root=None, out_dir=None) -> str:
    """`make tables`: one page (claims.md, .csv) with every claim of both papers and its verdict under each
    profile; profile-free claims (exact counts) are the same under every profile."""
    t = _render.Table("claims", "Every testable claim of FCNN and HO-CP, with its verdict per profile",
                      ["Claim", "Source", "The paper says", "Test", "Paper"]
                      + [f"{h} ({p})" for p in PROFILES for h in MEASURED])
    collected, tally = {}, {p: dict.fromkeys((stats.HOLDS, stats.CONTRADICTED, stats.INCONCLUSIVE), 0) for p in PROFILES}
    for c in CLAIMS:
        row = None
        for p in PROFILES:
            col = None
            if isinstance(c.test, Compare):
                if (c.experiment, p) not in collected:
                    collected[c.experiment, p] = collect(c.experiment, p, results_root)
                col = collected[c.experiment, p]
            v = evaluate(c, p, results_root, col)
            tally[p][v.verdict] += 1
            cells = _cells(v)
            row = (row or cells[:5]) + cells[5:]
        t.add(*row)
    t.notes = [f"Profile {p}: " + ", ".join(f"{n} {verdict}" for verdict, n in tally[p].items()) + "."
               for p in PROFILES] + NOTES
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    _render.write(t, out, formats=(".md", ".csv"))
    return _render.to_markdown(t)
