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
