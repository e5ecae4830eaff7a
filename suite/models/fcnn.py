"""The models of *Factorized Convolutional Neural Networks* (FCNN): Tables 1, 3, 5 and 6.

Every model shares the skeleton of Table 1::

    conv1    (7, 64)/2, no padding          221 -> 108      (BN, ReLU)
             3×3 max pooling, stride 3      108 -> 36
    conv2_x  (1, 128), then the stage's blocks at 36×36
             2×2 max pooling, stride 2      36 -> 18
    conv3_x  (1, 256), blocks at 18×18
             3×3 max pooling, stride 3      18 -> 6
    conv4_x  (1, 512), blocks at 6×6
             average pooling, dropout 0.2, 1000-d fc

No convolution or pooling outside the blocks is padded: (221 - 7)/2 + 1 = 108, 108/3 = 36, 36/2 = 18,
18/3 = 6 reproduce Table 1's output sizes exactly. "We use batch normalization after each
convolutional layer and before the ReLU layer. We also use the dropout strategy with a ratio of 0.2"
(Section 3). The 7×7 stem and the 1×1 convolutions across stages stay standard in every model
("We leave the 7 × 7 convolutional layer in the first stage and the 1 × 1 convolutional layers across
stages the same"); only the stage blocks differ. Their modules sit under ``conv{2,3,4}_x.blocks`` so that
the complexity of "these layers" (the substituted ones, as Tables 2, 4 and 5 count it) can be selected
by name (`SUBSTITUTED`).

A model is its stage recipe, ``recipe(channels, **options) -> list of blocks`` (the layers and blocks live in
`suite.layers`), turned by `fcnn_model` into a registered builder, torchvision style: ``partial(_fcnn,
recipe, ...)`` taking FCNN's keyword overrides plus the options the recipe declares (``backend`` where its
blocks have kernels). The other readings and the ablations are `variant`s: ``partial(builder, **fixed)``.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from .. import paper_values as pv
from ..layers import (
    BasisConv2d,
    PaddedTopologicalConv2d,
    ResidualBlock,
    SingleBasisConv2d,
    SingleBasisPair,
    Stage,
    conv_bn_relu,
    kaiming_variance,
    normal_,
)
from . import _common as c
from ._registry import register_model, variant
from .fcnn_grids import grid_2d, grid_3d

STEM_CHANNELS = 64
STAGE_CHANNELS = (128, 256, 512)
PAPER_INPUT = (3, 221, 221)
PAPER_INPUT_A0 = (3, 150, 150)  # Section 3.2: "randomly cropped to 150 × 150"
PAPER_CLASSES = 1000
SUBSTITUTED = ".blocks."  # layer-name marker of the substituted (stage) layers

__all__ = ["FCNN", "PAPER_INPUT", "PAPER_INPUT_A0", "SUBSTITUTED", "fcnn_model", "grid_2d", "grid_3d"]


# ---------------------------------------------------------------------------------------- the network
class FCNN(nn.Module):
    """Table 1's skeleton around `make_blocks(channels) -> list of blocks` (see module docstring)."""

    def __init__(self, *, make_blocks: Callable[[int], list[nn.Module]], num_classes: int, in_channels: int,
                 width: float, input_size, default_input, dropout: float, min_input: int, description: str):
        super().__init__()
        in_channels, width = c.check_in_channels(in_channels), c.check_width(width)
        self.num_classes, self.description = num_classes, description
        self.input_size = c.input_size(input_size, in_channels, default_input[1:])
        self.min_input_size = min_input
        if min(self.input_size[1:]) < min_input:
            raise ValueError(f"input_size: this model needs H, W >= {min_input} (stem, pools and unpadded convs), "
                             f"got {self.input_size}")
        stem = c.scale(STEM_CHANNELS, width)
        chans = [c.scale(n, width) for n in STAGE_CHANNELS]
        self.conv1 = conv_bn_relu(in_channels, stem, 7, stride=2)
        self.pool1 = nn.MaxPool2d(3, stride=3)
        self.conv2_x = Stage(stem, chans[0], make_blocks(chans[0]))
        self.pool2 = nn.MaxPool2d(2, stride=2)
        self.conv3_x = Stage(chans[0], chans[1], make_blocks(chans[1]))
        self.pool3 = nn.MaxPool2d(3, stride=3)
        self.conv4_x = Stage(chans[1], chans[2], make_blocks(chans[2]))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(c.check_dropout(dropout))
        self.fc = nn.Linear(chans[2], num_classes)
        _init_standard(self)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.input_size[0] or min(x.shape[2:]) < self.min_input_size:
            raise ValueError(f"x: expected shape (N, {self.input_size[0]}, H, W) with H, W >= {self.min_input_size}, "
                             f"got {tuple(x.shape)}")
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2_x(x))
        x = self.pool3(self.conv3_x(x))
        x = self.conv4_x(x)
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


def _init_standard(model: nn.Module) -> None:
    """He init for the standard convs (the factorized layers initialise themselves), BN to identity."""
    for mod in model.modules():
        if type(mod) is nn.Conv2d:
            fan_in = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
            normal_(mod.weight, kaiming_variance(fan_in))
        elif isinstance(mod, nn.BatchNorm2d):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)


def _min_input(unpadded_pairs: bool) -> int:
    """Smallest H = W the stem, the pools and the stage blocks accept: stage 4 needs 2 pixels when a
    pair starts with an unpadded k = 2 conv (else 1); pools 3/3, 2/2, 3/3 and the 7×7/2 stem invert."""
    s4 = 2 if unpadded_pairs else 1
    s1 = 3 * 2 * 3 * s4
    return 2 * (s1 - 1) + 7


# ------------------------------------------------------------------------------------------ the builders
def _fcnn(recipe, *, description: str, default_input=PAPER_INPUT, unpadded_pairs: bool = False,
          num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, zero_init_residual=False,
          backend="auto", **options) -> FCNN:
    """Table 1's skeleton around ``recipe(channels, **options)``. A recipe without a ``backend`` option has no
    kernel-backed layers (plain torch): it honours 'auto' and 'torch' only (`c.torch_only`).
    ``zero_init_residual=True``: every residual branch's last BatchNorm starts at scale 0 (`_zero_init_residual`;
    not the paper's: a choice of the local settings)."""
    if "backend" in inspect.signature(recipe).parameters:
        options["backend"] = backend
    else:
        c.torch_only(backend)
    classes = PAPER_CLASSES if num_classes is None else num_classes
    model = FCNN(make_blocks=partial(recipe, **options), num_classes=classes,
                 in_channels=in_channels, width=width, input_size=input_size, default_input=default_input,
                 dropout=dropout, min_input=_min_input(unpadded_pairs), description=description)
    if c.check_flag(zero_init_residual, "zero_init_residual"):
        _zero_init_residual(model)
    return model


def _zero_init_residual(model: FCNN) -> None:
    """Start each residual block as the identity: the BatchNorm that ends its branch gets scale 0.

    Goyal et al. 2017 (Sec. 5.1), torchvision's ``zero_init_residual``: a deep stack of residual units then
    starts as the shallow network around it and deepens as the scales grow, instead of adding one unit-variance
    branch per block at step 0. FCNN does not say how Caffe initialised its BatchNorm (scale 1 is Caffe's
    default), so this is a choice of the local settings only (their provenance says why)."""
    for mod in model.modules():
        if isinstance(mod, ResidualBlock):
            branch_end = [mod.norms[-1]]
        elif isinstance(mod, SingleBasisConv2d) and mod.residual is True:
            branch_end = [mod.bn2]
        elif isinstance(mod, SingleBasisPair):  # the residual the pair (or each layer) adds is passed in
            branch_end = [mod.expand.bn2] if mod.residual == "pair" else [mod.reduce.bn2, mod.expand.bn2]
        else:
            continue
        for bn in branch_end:
            if bn is not None:
                nn.init.zeros_(bn.weight)


# Every FCNN builder's keyword overrides, as `_fcnn` declares them: these six first, `backend` last.
_OVERRIDES = [p for name, p in inspect.signature(_fcnn).parameters.items()
              if name in ("num_classes", "in_channels", "width", "input_size", "dropout", "zero_init_residual")]
_BACKEND = inspect.signature(_fcnn).parameters["backend"]


def fcnn_model(name: str, **setting) -> Callable:
    """Decorator: register stage recipe ``recipe(channels, *, **options)`` as FCNN model `name`.

    The registered builder is ``partial(_fcnn, recipe, **setting)`` (`setting`: description, default input,
    unpadded pairs), documented by the recipe's docstring with the paper's numbers filled in (`pv.doc`; literal
    braces are doubled). Its signature, which `suite.models.overrides_of` reads, is FCNN's six overrides, the
    recipe's own keyword options, and ``backend`` last. The decorator returns the builder.
    """
    def decorate(recipe: Callable[..., list[nn.Module]]) -> Callable[..., FCNN]:
        builder = partial(_fcnn, recipe, **setting)
        options = [p for p in inspect.signature(recipe).parameters.values()
                   if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "backend"]
        builder.__signature__ = inspect.Signature([*_OVERRIDES, *options, _BACKEND], return_annotation=FCNN)
        builder.__doc__ = recipe.__doc__
        return register_model(name)(pv.doc(builder))
    return decorate


# ------------------------------------------------------------------------------------------ Table 1/2
def _pair_k2(m: int, conv: Callable[[int], nn.Module]) -> ResidualBlock:
    """Model A's unit: "no padding for first convolutional layer and pad one pixel for the second one
    in model A, so that the spatial dimension remains the same after two convolutions"."""
    return ResidualBlock([conv(0), conv(1)], m)


def _dense_k2(m: int, groups: int = 1) -> Callable[[int], nn.Conv2d]:
    return lambda pad: nn.Conv2d(m, m, 2, padding=pad, groups=groups, bias=False)


@fcnn_model("fcnn-a", description=pv.FCNN_TABLE2["fcnn-a"].method, unpadded_pairs=True)
def fcnn_a(m: int) -> list[nn.Module]:
    """Model A (Table 1): baseline, (2, n) × 2 per stage.

    "We set the kernel size to 2 for model A ... We use no padding for first convolutional layer and pad
    one pixel for the second one in model A ... Residual learning is added every two convolutional
    layers in model A." The paper's "{FCNN_MODEL_A_MULT.quote}" count every k = 2
    conv at the stage's full resolution; the unpadded conv really outputs one pixel less per side (35², 17²,
    5²), so the exact count here is lower (see paper_tables).
    """
    return [_pair_k2(m, _dense_k2(m))]


fcnn_a0 = register_model("fcnn-a0")(variant(
    fcnn_a, """Model A0 (Section 3.2): Model A on 150×150 crops.

    "The images are resized to 164 × 164 and randomly cropped to 150 × 150. We train model A on the
    smaller images, which we name model A0\".""",
    default_input=PAPER_INPUT_A0, description=f"{pv.FCNN_TABLE4['fcnn-a0'].method} (150×150)"))


@fcnn_model("fcnn-b", description=pv.FCNN_TABLE2["fcnn-b"].method)
def fcnn_b(m: int) -> list[nn.Module]:
    """Model B (Table 1): baseline, (3, n) × 2 per stage, padding 1, residual around every conv.

    "We pad one pixel for all convolutional layers in model B ... Residual learning is added ... every
    convolutional layer in model B.\""""
    return [ResidualBlock([nn.Conv2d(m, m, 3, padding=1, bias=False)], m) for _ in range(2)]


def _bases(m: int, num_bases: int, basis_bn: bool, backend: str) -> list[nn.Module]:
    return [ResidualBlock([BasisConv2d(m, m, num_bases=num_bases, kernel_size=3, norm=basis_bn, backend=backend)], m)
            for _ in range(2)]


@fcnn_model("fcnn-c", description=pv.FCNN_TABLE2["fcnn-c"].method)
def fcnn_c(m: int, *, basis_bn: bool = True, backend: str = "auto") -> list[nn.Module]:
    """Model C (Table 1): {{[3, 4] + (1, n)}} × 2 per stage — Alg. 2 with b = 4 bases, k = 3.

    "We evaluate our method by substituting the standard convolutional layers in the baseline models ...
    only substitute the 3 × 3 convolutional layers in model B": each of B's residual 3×3 convs becomes
    a convolution with bases (residual kept, BN after the layer). The bases [3, b] are a convolutional
    layer of Table 1 like the single basis [3, 1] of E/F, and Sec. 3 says "We also use batch normalization
    after each convolutional layer and before the ReLU layer": so BN follows the bases too
    (``basis_bn=True``), as it follows E/F's basis in `SingleBasisConv2d`, and the C/D vs E comparison of
    Table 2 is not confounded by BN placement. ``basis_bn=False`` (variant ``fcnn-c-no-basis-bn``): Alg. 2
    as one linear layer, bases then projection with no BN between."""
    return _bases(m, 4, basis_bn, backend)


@fcnn_model("fcnn-d", description=pv.FCNN_TABLE2["fcnn-d"].method)
def fcnn_d(m: int, *, basis_bn: bool = True, backend: str = "auto") -> list[nn.Module]:
    """Model D (Table 1): {{[3, 2] + (1, n)}} × 2 per stage — Alg. 2 with b = 2 bases, k = 3 (layout and BN of C)."""
    return _bases(m, 2, basis_bn, backend)


@fcnn_model("fcnn-e", description=pv.FCNN_TABLE2["fcnn-e"].method)
def fcnn_e(m: int, *, residual: bool = True, backend: str = "auto") -> list[nn.Module]:
    """Model E (Table 1): {{[3, 1] + (1, n)}} × 4 per stage — Alg. 3 single-basis layers, each with residual.

    "we substitute each standard convolutional layer with two single basis convolutional layers in
    model E" (layers doubled: 2 -> 4 per stage). ``residual=False`` (ablation ``fcnn-e-no-residual``): Alg. 3
    without its step (a), the residual Sec. 2.3 calls "necessary"."""
    return [SingleBasisConv2d(m, kernel_size=3, residual=residual, backend=backend) for _ in range(4)]


@fcnn_model("fcnn-f", description=pv.FCNN_TABLE2["fcnn-f"].method)
def fcnn_f(m: int, *, backend: str = "auto") -> list[nn.Module]:
    """Model F (Table 1): {{[5, 1] + (1, n)}} × 4 per stage — Model E with k = 5.

    "To evaluate the performance of large kernel size, we increase the kernel size to 5 in model F.\""""
    return [SingleBasisConv2d(m, kernel_size=5, residual=True, backend=backend) for _ in range(4)]


# ------------------------------------------------------------------------------------------ Table 3/4/5
def _topology_pairs(m: int, grids: Callable[[int], tuple], backend: str) -> list[nn.Module]:
    d, n = grids(m)
    return [_pair_k2(m, lambda pad: PaddedTopologicalConv2d(d, n, kernel_size=2, padding=pad, backend=backend))
            for _ in range(2)]


@fcnn_model("fcnn-g", description=pv.FCNN_TABLE4["fcnn-g"].method, default_input=PAPER_INPUT_A0, unpadded_pairs=True)
def fcnn_g(m: int, *, backend: str = "auto") -> list[nn.Module]:
    """Model G (Tables 3, 4): A0 with layers doubled and 2-D topological connections, 150×150 input.

    "We first double the number of convolutional layers for each stage in model A0. Model G adopts 2D
    topology and the ci = di/2 for both dimensions, which leads to a reduction of complexity by a factor
    of 4." Layout: two of A0's residual k = 2 pairs per stage (4 convs), each conv Alg. 4 with Table 3's
    2-D grid; 4 layers × 1/4 = half of A0's 2 dense layers (Table 4: {FCNN_TABLE4[fcnn-g].complexity:g}).
    Each conv runs Alg. 4 at that cost (`suite.ops.topological_conv` with k = 2 and padding 0, then 1)."""
    return _topology_pairs(m, grid_2d, backend)


@fcnn_model("fcnn-h", description=pv.FCNN_TABLE4["fcnn-h"].method, default_input=PAPER_INPUT_A0, unpadded_pairs=True)
def fcnn_h(m: int, *, backend: str = "auto") -> list[nn.Module]:
    """Model H (Tables 3, 4): as G with Table 3's 3-D topology, 150×150 input.

    "we use 3D topology and set ci and di so that the complexity is reduced {FCNN_H_REDUCTION.quote}" (the
    paper's second "Model G" in that sentence is H). 4 layers × 15/64 = {FCNN_TABLE4[fcnn-h].complexity:g} of A0
    (Table 4)."""
    return _topology_pairs(m, grid_3d, backend)


@fcnn_model("fcnn-i", description=pv.FCNN_TABLE4["fcnn-i"].method, default_input=PAPER_INPUT_A0, unpadded_pairs=True)
def fcnn_i(m: int) -> list[nn.Module]:
    """Model I (Table 4): as G with 4-group grouped convolutions instead of the topology, 150×150 input.

    "a model I using the straightforward grouping strategy introduced in [1]. Both the input and output
    channels are divided into 4 groups ... The complexity is also reduced 4 times in this manner." """
    if m % 4:
        raise ValueError(f"width: Model I splits channels into 4 groups, got {m} channels")
    return [_pair_k2(m, _dense_k2(m, groups=4)) for _ in range(2)]


fcnn_j = register_model("fcnn-j")(variant(
    fcnn_g, """Model J (Table 5): G's layout (doubled k = 2 layers, 2-D topology) on 221×221 crops.

    "Model J is modified from model A by doubling layers and adding 2D topological connections in the
    same way as model G.\"""",
    default_input=PAPER_INPUT, description=pv.FCNN_TABLE5["fcnn-j"].method))


@fcnn_model("fcnn-k", description=pv.FCNN_TABLE5["fcnn-k"].method)
def fcnn_k(m: int, *, backend: str = "auto") -> list[nn.Module]:
    """Model K (Table 5): 8 single-basis layers per stage whose 1×1 projections use the 2-D topology.

    "In model K, there are 8 convolutional layers for each stage, due to the layer doubling caused by
    both single basis layers and topological connection. The complexity of each layer is however
    approximately as low as a quarter of standard 1 × 1 convolutional layer." Each layer is one Alg. 3
    step, [3, 1] + topological (1, n) with Table 3's 2-D grid (c_i = d_i/2), residual and ReLU."""
    topology = grid_2d(m)
    return [SingleBasisConv2d(m, kernel_size=3, topology=topology, backend=backend) for _ in range(8)]


@fcnn_model("fcnn-l", description=pv.FCNN_TABLE7["fcnn-l"].label)
def fcnn_l(m: int, *, residual: str = "pair", backend: str = "auto") -> list[nn.Module]:
    """Model L (Table 6): per stage six pairs {{[3,1] + (1, n/2), [3,1] + (1, n)}} — 12 single-basis layers.

    "Model L is modified from model E ... Each stage has 12 single basis convolutional layers. The
    complexity of this model is {FCNN_TABLE7[fcnn-l].mult:g}M multiplications for each image" and
    {FCNN_TABLE7[fcnn-l].params:g}M parameters (Table 7).
    ``residual="pair"``: residual around each pair (see `SingleBasisPair`). Alg. 3's residual belongs to every
    single-basis layer, but Alg. 3 assumes "the number of output channels is the same as the number of input
    channels, namely, m = n" (Sec. 2.3), which Model L's n -> n/2 -> n layers break: the text does not
    decide, so the identity residual stays where it exists (the pair) and ``residual="layer"`` (variant
    ``fcnn-l-layer-residual``) adds a parameter-free residual to every layer (see `SingleBasisPair`)."""
    return [SingleBasisPair(m, residual=residual, backend=backend) for _ in range(6)]


# ------------------------------------------------------------------------- the other readings (variants)
register_model("fcnn-c-no-basis-bn")(variant(
    fcnn_c, "Model C with no BN between its bases and projection (Alg. 2 as one linear layer).", basis_bn=False))
register_model("fcnn-d-no-basis-bn")(variant(
    fcnn_d, "Model D with no BN between its bases and projection (Alg. 2 as one linear layer).", basis_bn=False))
register_model("fcnn-l-layer-residual")(variant(
    fcnn_l, "Model L with a (parameter-free) residual on every single-basis layer instead of around each pair.",
    residual="layer"))

# ------------------------------------------------------------------------------- ablations (an experiment's model)
register_model("fcnn-e-no-residual")(variant(fcnn_e, """Model E without the residual of its single-basis layers \
(FCNN Sec. 2.3: "the residual learning is necessary").

    Each layer is ``relu(BN(P · BN(x ⋆ₘ basis)))``: the same multiplications and parameters as E (the identity
    residual is an addition), experiment fcnn-residual.""", residual=False))
