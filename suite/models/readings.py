"""Where the papers' text admits two readings, which one each registered model implements.

The default model (the name in `suite.models.names()` the tables use) implements the reading the paper's
text decides, or, where the text does not decide, the one that keeps the paper's stated counts; the other
reading is a registered variant. `reading(name)` is what a run's config records and the accuracy tables
print, so that every number says which reading produced it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    of: str        # the default model
    reading: str   # what the variant does differently
    default: str   # what the default model does
    why: str       # why the default is the default: the sentence that decides, or why none does


_FCNN_BN = ("FCNN Sec. 3: \"We also use batch normalization after each convolutional layer and before the ReLU "
            "layer\"; the bases are a convolutional layer, and E/F normalise after theirs")
_ALG3 = ("FCNN Alg. 3 puts an identity residual on every single-basis layer but assumes \"the number of output "
         "channels is the same as the number of input channels, namely, m = n\" (Sec. 2.3), which Model L's "
         "n -> n/2 -> n layers break: the text does not decide; the pair reading keeps Table 7's counts")
_PSI = ("HO-CP Alg. 1: after each 1-D convolution \"H ← PReLU(H) or ReLU(H) [optional]; H ← Batch-Norm(H) "
        "[optional]\", nothing after the first 1×1 (eq. 16's Ψ₀ ... Ψ_N, \"e.g. batch normalisation combined "
        "with RELU\", leaves the order open; Alg. 1 decides it)")
_SKIP = ("HO-CP Alg. 1: \"if Skip-connection then return H + X ×₀ U^(S)\", and Sec. 3: \"Skip connection can also "
         "be added by introducing an additional factor U^(S)\": U^(S) on every block (1,287,320 conv parameters); "
         "Table 2's 1.2M for ConvNet-S matches the identity reading (1,221,784)")

VARIANTS = {
    "fcnn-c-no-basis-bn": Variant("fcnn-c", "no BN between the bases and the projection (Alg. 2 as one linear layer)",
                                  "BN after the bases, before the projection", _FCNN_BN),
    "fcnn-d-no-basis-bn": Variant("fcnn-d", "no BN between the bases and the projection (Alg. 2 as one linear layer)",
                                  "BN after the bases, before the projection", _FCNN_BN),
    "fcnn-l-layer-residual": Variant("fcnn-l", "a parameter-free residual on every single-basis layer",
                                     "an identity residual around each n -> n/2 -> n pair", _ALG3),
    "hocp-convnet-eq16": Variant("hocp-convnet", "Ψ = BN then ReLU after every factor, the first 1×1 included",
                                 "Alg. 1: ReLU then BN after each 1-D factor, nothing after the first 1×1", _PSI),
    "hocp-convnet-s-eq16": Variant("hocp-convnet-s", "Ψ = BN then PReLU after every factor, the first 1×1 included",
                                   "Alg. 1: PReLU then BN after each 1-D factor, nothing after the first 1×1", _PSI),
    "hocp-convnet-s-identity-skip": Variant("hocp-convnet-s", "U^(S) only where C ≠ T, an identity skip elsewhere",
                                            "U^(S) on every block", _SKIP),
}


# Not readings: a model changed on purpose to test a claim the paper argues but never measures (an experiment's
# model, suite/experiments/), with the paper's sentence; counted beside its default like the variants.
ABLATIONS = {
    "fcnn-e-no-residual": Variant("fcnn-e", "no residual on the single-basis layers (Alg. 3 without its step (a))",
                                  "Alg. 3: an identity residual on every single-basis layer",
                                  "FCNN Sec. 2.3: \"If each channel is only allowed to be convolved with one basis, "
                                  "then the output of the convolution may not be able to keep all the useful "
                                  "information from the input due to rank deficiency. Therefore, the residual learning "
                                  "is necessary here to address this problem.\" (experiment fcnn-residual)"),
    "convnet3d-cp-finetune": Variant("hocp-convnet", "3D-ConvNet trained, its 3-D kernels CP-decomposed at rank 6·C_in "
                                     "(linear factors) and fine-tuned",
                                     "HO-CP ConvNet trained from scratch (Ψ between the factors)",
                                     "HO-CP Sec. 3: \"most existing approach rely on first training an uncompressed "
                                     "network, then decomposing the convolutional kernels ... However, this approach "
                                     "is not suitable for higher-order convolutions\" (experiment hocp-compress)"),
    "hocp-convnet-no-psi": Variant("hocp-convnet", "no Ψ between the CP factors: linear factors (eq. 15), trained "
                                   "from scratch",
                                   "Alg. 1's Ψ (ReLU then BN) after each 1-D factor (eq. 16)",
                                   "HO-CP Sec. 3: \"Tensor decomposition (and, in particular, decomposed convolutions) "
                                   "are notoriously hard to train end-to-end ... Instead, we propose to facilitate "
                                   "training by adding non-linearities Ψ\" (experiment hocp-psi-ablation)"),
}


def variants_of(model: str) -> dict[str, Variant]:
    return {name: v for name, v in VARIANTS.items() if v.of == model}


def reading(model: str) -> str | None:
    """The reading ``model`` implements, where the papers admit another (None: no alternative reading)."""
    if model in VARIANTS:
        return f"variant of {VARIANTS[model].of}: {VARIANTS[model].reading}"
    if model in ABLATIONS:
        return f"ablation beside {ABLATIONS[model].of}: {ABLATIONS[model].reading}"
    defaults = dict.fromkeys(v.default for v in variants_of(model).values())
    return "; ".join(defaults) if defaults else None


# Where the papers' text slips (an equation or an algorithm that contradicts the rest of the paper) or names a
# behaviour that a framework does differently: the sentence, and what every model of the suite does instead.
# Not a registered variant: the other reading either cannot be built as written or is not the paper's intent.
# `jobs show` prints the ones that concern an experiment (jobs/provenance.py); a test finds each quote in the paper.
@dataclass(frozen=True)
class TextReading:
    paper: str      # "FCNN" or "HO-CP"
    section: str
    quote: str      # the paper's words, verbatim ("..." between cut parts)
    differs: str    # what the text says (or the framework it names does) that the suite does not follow
    choice: str     # what the suite does, and why
    models: tuple[str, ...]  # the models it concerns (the default ones; their variants and ablations follow them)


_HOCP_FACTORS = ("hocp-convnet", "hocp-convnet-s", "hosconv-cifar")
TEXT_READINGS = {
    "hocp-eq15-factor-order": TextReading(
        "HO-CP", "Sec. 3, eq. 15 (and 16)",
        r"By rearranging the terms, this expression can be rewritten as: ... \left((\mathcal{X} \times_0 "
        r"\mathbf{U}^{(T)}) \star_1 \mathbf{U}^{(K_0)}",
        "eq. 15 (and eq. 16 after it) contracts the input with U^(T) and produces the output with U^(C), while eq. 14, "
        "which it rearranges, sums the input channels s against U^(C)_{s,r} and writes output t with U^(T)_{t,r}",
        "eq. 14's and Alg. 1's order: X ×₀ U^(C) first (C → R), ×₀ U^(T) last (R → T); swapped, the shapes do not "
        "chain unless C = T", _HOCP_FACTORS),
    "hocp-alg1-loop-bounds": TextReading(
        "HO-CP", "Sec. 3, Alg. 1",
        r"for $i:=1$ **to** $N-2$ **do** ... $\mathcal{H} \leftarrow \mathcal{H} \star_i \mathbf{U}^{(K_i)}$",
        "Alg. 1 loops i = 1 … N−2 over an input X ∈ R^{C×D₀×…×D_N}: it would skip U^(K_0), U^(K_{N−1}) and U^(K_N) "
        "(for a 3-D convolution it applies one spatial factor, or none, of three)",
        "one depthwise 1-D convolution along every spatial mode, U^(K_0) … U^(K_{n−1}) of an n-D convolution (three "
        "for the 3-D ConvNets, two for HOSConv), as eq. 14 sums over every kernel mode and Sec. 3 counts "
        "R(C + T + Σ I_k) parameters", _HOCP_FACTORS),
    "hocp-skip-shape": TextReading(
        "HO-CP", "Sec. 3, Alg. 1",
        r"introducing an additional factor $\mathbf{U}^{(S)} \in \mathbb{R}^{C \times T}$ and using $\mathcal{F}' = "
        r"\mathcal{X} + (\mathcal{F} \times_0 \mathbf{U}^{(S)})$ ... Skip connection weight matrix $\mathbf{U}^{(S)} "
        r"\in \mathbb{R}^{O \times C}$",
        "the text puts U^(S) ∈ R^{C×T} on the output F and adds X; Alg. 1 puts U^(S) ∈ R^{O×C} on the input X and "
        "adds H",
        "Alg. 1's: H + X ×₀ U^(S), U^(S) of shape T×C (Alg. 1's O = T), mapping the C input channels to the T "
        "outputs, the only one that adds tensors of one shape when C ≠ T", ("hocp-convnet-s",)),
    "fcnn-bn-moving-average": TextReading(
        "FCNN", "Sec. 3",
        "For batch normalization, we use exponential moving average to calculate the batch statistics as is "
        "implemented in Caffe.",
        "Caffe's BatchNorm layer keeps a decayed sum of the batch statistics (moving_average_fraction 0.999) divided "
        "by the decayed count: an exponential average over about the last 1000 batches",
        "torch's BatchNorm: each training batch is normalised with its own statistics, evaluation with the running "
        "statistics, an exponential moving average with torch's default momentum 0.1 (Caffe's fraction 0.9: about "
        "the last 10 batches); the local profile's runs of a few hundred SGD steps would otherwise evaluate with "
        "statistics that still weigh the untrained network's first batches", ()),
}


def text_readings(paper: str, models=()) -> dict[str, TextReading]:
    """The text readings of ``paper`` that concern any of ``models`` (a reading with no models: every model)."""
    models = set(models) | {v.of for m in models for v in (VARIANTS.get(m), ABLATIONS.get(m)) if v}
    return {k: r for k, r in TEXT_READINGS.items() if r.paper == paper and (not r.models or models & set(r.models))}
