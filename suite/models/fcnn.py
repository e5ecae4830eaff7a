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
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from .. import paper_values as pv
from ..layers import BasisConv2d, SingleBasisConv2d, TopologicalConv2d
from ..layers import kaiming_variance, normal_, param
from . import _common as c
from ._registry import register_model

STEM_CHANNELS = 64
STAGE_CHANNELS = (128, 256, 512)
PAPER_INPUT = (3, 221, 221)
PAPER_INPUT_A0 = (3, 150, 150)  # Section 3.2: "randomly cropped to 150 × 150"
PAPER_CLASSES = 1000
SUBSTITUTED = ".blocks."  # layer-name marker of the substituted (stage) layers


# --------------------------------------------------------------------------------------------- blocks
class ResidualBlock(nn.Module):
    """``relu(x + BN(conv_n(... relu(BN(conv_1(x))) ...)))``: residual around `convs`.

    Model A: "Residual learning is added every two convolutional layers in model A and every
    convolutional layer in model B" (Section 3).
    """

    def __init__(self, convs: list[nn.Module], channels: int):
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.norms = nn.ModuleList(nn.BatchNorm2d(channels) for _ in convs)

    def forward(self, x):
        h = x
        for i, (conv, bn) in enumerate(zip(self.convs, self.norms)):
            h = bn(conv(h))
            if i < len(self.convs) - 1:
                h = torch.relu(h)
        return torch.relu(x + h)


class SingleBasisPair(nn.Module):
    """Model L's pair: [3,1]+(1, n/2) then [3,1]+(1, n), residual around the pair.

    FCNN Section 3.4: "each single basis convolutional layer with n input channels and n output channels
    is substituted with two single basis layers; The first one has n input channels and n/2 output
    channels; The second one has n/2 input channels and n output channels." Neither layer alone keeps
    its channel count, so an identity residual (Alg. 3 (a)) only fits around the pair (n -> n), as in a
    ResNet bottleneck; a projection shortcut would add parameters and multiplications the paper's
    470M / 2.8M do not leave room for. ``relu(x + B₂(relu(B₁(x))))`` with B the single-basis layers
    (`SingleBasisConv2d`; the second adds the pair's input as its residual).

    ``residual="layer"`` (variant): Alg. 3's residual on each layer, with parameter-free shortcuts for the
    changed channel counts: the reducing layer adds the sum of its input's two channel halves (x[:n/2] +
    x[n/2:]), the expanding layer its input repeated twice; additions only, so the same multiplications
    and parameters as the pair reading.
    """

    RESIDUALS = ("pair", "layer")

    def __init__(self, channels: int, *, kernel_size: int = 3, residual: str = "pair", backend: str = "auto"):
        super().__init__()
        if channels % 2:
            raise ValueError(f"channels: Model L halves the channels inside a pair, expected an even count, got {channels}")
        if residual not in self.RESIDUALS:
            raise ValueError(f"residual: expected one of {self.RESIDUALS}, got {residual!r}")
        half = channels // 2
        self.residual = residual
        self.reduce = SingleBasisConv2d(channels, out_channels=half, kernel_size=kernel_size, residual=False, backend=backend)
        self.expand = SingleBasisConv2d(half, out_channels=channels, kernel_size=kernel_size, residual=False, backend=backend)

    def forward(self, x):
        if self.residual == "pair":
            return self.expand(self.reduce(x), shortcut=x)
        half = x.shape[1] // 2
        h = self.reduce(x, shortcut=x[:, :half] + x[:, half:])
        return self.expand(h, shortcut=torch.cat([h, h], dim=1))

    def extra_repr(self):
        return f"residual={self.residual!r}"


class PaddedTopologicalConv2d(nn.Module):
    """FCNN Alg. 4 with an explicit zero padding, for any kernel size (Models G, H, J use Model A's k = 2).

    `suite.ops.topological_conv` is the 'same'-padded odd-k contract; Model A's pairs use k = 2 with no
    padding then one pixel. This layer keeps Alg. 4's parameters, weight (*grid, *neighbors, k, k), and
    computes exactly Alg. 4 as a dense convolution whose kernel is zero outside the topology's connections
    (output channel j sees inputs (j + i) mod grid). The multiplications it reports (`macs`) are the
    topology's: h'·w'·m·Π c_i·k², a fraction Π c_i / m of the dense layer — what the algorithm needs,
    not what the dense emulation executes.
    """

    def __init__(self, grid, neighbors, *, kernel_size: int, padding: int = 0):
        super().__init__()
        grid, neighbors = tuple(int(d) for d in grid), tuple(int(n) for n in neighbors)
        if len(grid) != len(neighbors) or any(not 1 <= n <= d for n, d in zip(neighbors, grid)):
            raise ValueError(f"neighbors: expected {len(grid)} ints with 1 <= c_i <= d_i for grid {grid}, got {neighbors}")
        if kernel_size < 1 or padding < 0:
            raise ValueError(f"kernel_size/padding: expected kernel_size >= 1 and padding >= 0, got {kernel_size}, {padding}")
        self.grid, self.neighbors, self.kernel_size, self.padding = grid, neighbors, kernel_size, padding
        self.channels = math.prod(grid)
        self.weight = param(*grid, *neighbors, kernel_size, kernel_size)
        self.register_buffer("index", ops.neighbor_index(grid, neighbors), persistent=False)
        normal_(self.weight, kaiming_variance(math.prod(neighbors) * kernel_size**2))

    def to_dense(self) -> torch.Tensor:
        """(m, m, k, k) kernel, zero except where output j connects to input (j + i) mod grid."""
        return ops.topology_kernel(self.weight, self.grid, self.index)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"x: expected shape (N, {self.channels}, H, W), got {tuple(x.shape)}")
        return F.conv2d(x, self.to_dense(), padding=self.padding)

    def macs(self, spatial) -> int:
        h, w = (int(s) + 2 * self.padding - self.kernel_size + 1 for s in spatial)
        return h * w * self.channels * math.prod(self.neighbors) * self.kernel_size**2

    def extra_repr(self):
        return f"grid={self.grid}, neighbors={self.neighbors}, kernel_size={self.kernel_size}, padding={self.padding}"


# ------------------------------------------------------------------------------------- topology grids
def _power_of_two(m: int, what: str) -> int:
    p = m.bit_length() - 1
    if m < 4 or 2**p != m:
        raise ValueError(f"width: {what} topology needs a power-of-two channel count >= 4 per stage, got {m} channels")
    return p


def grid_2d(m: int):
    """FCNN Table 3, 2-D topology: d₁×d₂ = 2^⌊p/2⌋ × 2^⌈p/2⌉ for m = 2^p, c_i = d_i/2 ("ci = di/2 for
    both dimensions, which leads to a reduction of complexity by a factor of 4"). Reproduces Table 3's
    8×16, 16×16, 16×32 and extends it to other widths."""
    p = _power_of_two(m, "the 2-D")
    d = (2 ** (p // 2), 2 ** (p - p // 2))
    return d, tuple(x // 2 for x in d)


def grid_3d(m: int):
    """FCNN Table 3, 3-D topology: the most balanced power-of-two grid d₁×d₂×d₃ = m with d₁ even, 8 | d₂,
    4 | d₃ and c = (d₁/2, 5·d₂/8, 3·d₃/4) — the table's 15/64 connection ratio ("the complexity is reduced
    by a factor of 4.27"). Reproduces Table 3's grids for 128/256/512 channels (tested) and extends them."""
    p = _power_of_two(m, "the 3-D")
    grids = [(2**a, 2**b, 2 ** (p - a - b)) for a in range(1, p) for b in range(3, p - a - 1)]
    grids = [d for d in grids if d[2] >= 4]
    if not grids:
        raise ValueError(f"width: the 3-D topology needs d₁ even, 8 | d₂ and 4 | d₃ (Table 3's ratios), i.e. at "
                         f"least 64 channels per stage, got {m} channels")
    d = min(grids, key=lambda d: (max(d) / min(d), -d[0], -d[1]))
    return d, (d[0] // 2, 5 * d[1] // 8, 3 * d[2] // 4)


# ---------------------------------------------------------------------------------------- the network
def conv_bn_relu(cin: int, cout: int, kernel_size: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride=stride, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class Stage(nn.Module):
    """conv{2,3,4}_x: the standard (1, n) conv across stages, then the stage's (substituted) blocks."""

    def __init__(self, cin: int, cout: int, blocks: list[nn.Module]):
        super().__init__()
        self.proj = conv_bn_relu(cin, cout, 1)
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(self.proj(x))


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


def _fcnn(make_blocks, *, description, num_classes, in_channels, width, input_size, dropout,
          default_input=PAPER_INPUT, unpadded_pairs=False, torch_only=None):
    """`torch_only`: the builder's `backend` when its blocks have no kernels (plain torch layers)."""
    if torch_only is not None:
        c.torch_only(torch_only)
    return FCNN(make_blocks=make_blocks, num_classes=PAPER_CLASSES if num_classes is None else num_classes,
                in_channels=in_channels, width=width, input_size=input_size, default_input=default_input,
                dropout=dropout, min_input=_min_input(unpadded_pairs), description=description)


# ------------------------------------------------------------------------------------------ Table 1/2
def _pair_k2(m: int, conv: Callable[[int], nn.Module]) -> ResidualBlock:
    """Model A's unit: "no padding for first convolutional layer and pad one pixel for the second one
    in model A, so that the spatial dimension remains the same after two convolutions"."""
    return ResidualBlock([conv(0), conv(1)], m)


def _dense_k2(m: int, groups: int = 1):
    return lambda pad: nn.Conv2d(m, m, 2, padding=pad, groups=groups, bias=False)


@register_model("fcnn-a")
@pv.doc
def fcnn_a(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model A (Table 1): baseline, (2, n) × 2 per stage.

    "We set the kernel size to 2 for model A ... We use no padding for first convolutional layer and pad
    one pixel for the second one in model A ... Residual learning is added every two convolutional
    layers in model A." The paper's "{FCNN_MODEL_A_MULT.quote}" count every k = 2
    conv at the stage's full resolution; the unpadded conv really outputs one pixel less per side (35², 17²,
    5²), so the exact count here is lower (see paper_tables).
    """
    return _fcnn(lambda m: [_pair_k2(m, _dense_k2(m))], description=pv.FCNN_TABLE2["fcnn-a"].method,
                 num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                 dropout=dropout, unpadded_pairs=True, torch_only=backend)


@register_model("fcnn-a0")
def fcnn_a0(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model A0 (Section 3.2): Model A on 150×150 crops.

    "The images are resized to 164 × 164 and randomly cropped to 150 × 150. We train model A on the
    smaller images, which we name model A0"."""
    return _fcnn(lambda m: [_pair_k2(m, _dense_k2(m))], description=f"{pv.FCNN_TABLE4['fcnn-a0'].method} (150×150)",
                 num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                 dropout=dropout, default_input=PAPER_INPUT_A0, unpadded_pairs=True, torch_only=backend)


def _residual_k3(conv: Callable[[], nn.Module], m: int, repeats: int) -> list[nn.Module]:
    return [ResidualBlock([conv()], m) for _ in range(repeats)]


@register_model("fcnn-b")
def fcnn_b(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model B (Table 1): baseline, (3, n) × 2 per stage, padding 1, residual around every conv.

    "We pad one pixel for all convolutional layers in model B ... Residual learning is added ... every
    convolutional layer in model B.\""""
    return _fcnn(lambda m: _residual_k3(lambda: nn.Conv2d(m, m, 3, padding=1, bias=False), m, 2),
                 description=pv.FCNN_TABLE2["fcnn-b"].method, num_classes=num_classes, in_channels=in_channels,
                 width=width, input_size=input_size, dropout=dropout, torch_only=backend)


def _bases(b: int, backend: str, basis_bn: bool):
    def make(m):
        return _residual_k3(lambda: BasisConv2d(m, m, num_bases=b, kernel_size=3, norm=basis_bn, backend=backend), m, 2)
    return make


@register_model("fcnn-c")
def fcnn_c(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, basis_bn=True,
           backend="auto"):
    """Model C (Table 1): {[3, 4] + (1, n)} × 2 per stage — Alg. 2 with b = 4 bases, k = 3.

    "We evaluate our method by substituting the standard convolutional layers in the baseline models ...
    only substitute the 3 × 3 convolutional layers in model B": each of B's residual 3×3 convs becomes
    a convolution with bases (residual kept, BN after the layer). The bases [3, b] are a convolutional
    layer of Table 1 like the single basis [3, 1] of E/F, and Sec. 3 says "We also use batch normalization
    after each convolutional layer and before the ReLU layer": so BN follows the bases too
    (``basis_bn=True``), as it follows E/F's basis in `SingleBasisConv2d`, and the C/D vs E comparison of
    Table 2 is not confounded by BN placement. ``basis_bn=False`` (variant ``fcnn-c-no-basis-bn``): Alg. 2
    as one linear layer, bases then projection with no BN between."""
    return _fcnn(_bases(4, backend, basis_bn), description=pv.FCNN_TABLE2["fcnn-c"].method, num_classes=num_classes,
                 in_channels=in_channels, width=width, input_size=input_size, dropout=dropout)


@register_model("fcnn-d")
def fcnn_d(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, basis_bn=True,
           backend="auto"):
    """Model D (Table 1): {[3, 2] + (1, n)} × 2 per stage — Alg. 2 with b = 2 bases, k = 3 (layout and BN of C)."""
    return _fcnn(_bases(2, backend, basis_bn), description=pv.FCNN_TABLE2["fcnn-d"].method, num_classes=num_classes,
                 in_channels=in_channels, width=width, input_size=input_size, dropout=dropout)


def _single_basis(k: int, repeats: int, backend: str, residual: bool = True):
    return lambda m: [SingleBasisConv2d(m, kernel_size=k, residual=residual, backend=backend) for _ in range(repeats)]


@register_model("fcnn-e")
def fcnn_e(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, residual=True,
           backend="auto"):
    """Model E (Table 1): {[3, 1] + (1, n)} × 4 per stage — Alg. 3 single-basis layers, each with residual.

    "we substitute each standard convolutional layer with two single basis convolutional layers in
    model E" (layers doubled: 2 -> 4 per stage). ``residual=False`` (ablation ``fcnn-e-no-residual``): Alg. 3
    without its step (a), the residual Sec. 2.3 calls "necessary"."""
    return _fcnn(_single_basis(3, 4, backend, residual), description=pv.FCNN_TABLE2["fcnn-e"].method,
                 num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                 dropout=dropout)


@register_model("fcnn-f")
def fcnn_f(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model F (Table 1): {[5, 1] + (1, n)} × 4 per stage — Model E with k = 5.

    "To evaluate the performance of large kernel size, we increase the kernel size to 5 in model F.\""""
    return _fcnn(_single_basis(5, 4, backend), description=pv.FCNN_TABLE2["fcnn-f"].method,
                 num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                 dropout=dropout)


# ------------------------------------------------------------------------------------------ Table 3/4/5
def _topology_pairs(grids: Callable[[int], tuple]):
    def make(m):
        d, n = grids(m)
        conv = lambda pad: PaddedTopologicalConv2d(d, n, kernel_size=2, padding=pad)  # noqa: E731
        return [_pair_k2(m, conv) for _ in range(2)]
    return make


@register_model("fcnn-g")
@pv.doc
def fcnn_g(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model G (Tables 3, 4): A0 with layers doubled and 2-D topological connections, 150×150 input.

    "We first double the number of convolutional layers for each stage in model A0. Model G adopts 2D
    topology and the ci = di/2 for both dimensions, which leads to a reduction of complexity by a factor
    of 4." Layout: two of A0's residual k = 2 pairs per stage (4 convs), each conv Alg. 4 with Table 3's
    2-D grid; 4 layers × 1/4 = half of A0's 2 dense layers (Table 4: {FCNN_TABLE4[fcnn-g].complexity:g})."""
    return _fcnn(_topology_pairs(grid_2d), description=pv.FCNN_TABLE4["fcnn-g"].method, num_classes=num_classes,
                 in_channels=in_channels, width=width, input_size=input_size, dropout=dropout,
                 default_input=PAPER_INPUT_A0, unpadded_pairs=True, torch_only=backend)


@register_model("fcnn-h")
@pv.doc
def fcnn_h(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model H (Tables 3, 4): as G with Table 3's 3-D topology, 150×150 input.

    "we use 3D topology and set ci and di so that the complexity is reduced {FCNN_H_REDUCTION.quote}" (the
    paper's second "Model G" in that sentence is H). 4 layers × 15/64 = {FCNN_TABLE4[fcnn-h].complexity:g} of A0
    (Table 4)."""
    return _fcnn(_topology_pairs(grid_3d), description=pv.FCNN_TABLE4["fcnn-h"].method, num_classes=num_classes,
                 in_channels=in_channels, width=width, input_size=input_size, dropout=dropout,
                 default_input=PAPER_INPUT_A0, unpadded_pairs=True, torch_only=backend)


@register_model("fcnn-i")
def fcnn_i(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model I (Table 4): as G with 4-group grouped convolutions instead of the topology, 150×150 input.

    "a model I using the straightforward grouping strategy introduced in [1]. Both the input and output
    channels are divided into 4 groups ... The complexity is also reduced 4 times in this manner." """
    def make(m):
        if m % 4:
            raise ValueError(f"width: Model I splits channels into 4 groups, got {m} channels")
        return [_pair_k2(m, _dense_k2(m, groups=4)) for _ in range(2)]
    return _fcnn(make, description=pv.FCNN_TABLE4["fcnn-i"].method, num_classes=num_classes, in_channels=in_channels, width=width,
                 input_size=input_size, dropout=dropout, default_input=PAPER_INPUT_A0, unpadded_pairs=True,
                 torch_only=backend)


@register_model("fcnn-j")
def fcnn_j(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model J (Table 5): G's layout (doubled k = 2 layers, 2-D topology) on 221×221 crops.

    "Model J is modified from model A by doubling layers and adding 2D topological connections in the
    same way as model G.\""""
    return _fcnn(_topology_pairs(grid_2d), description=pv.FCNN_TABLE5["fcnn-j"].method, num_classes=num_classes,
                 in_channels=in_channels, width=width, input_size=input_size, dropout=dropout,
                 unpadded_pairs=True, torch_only=backend)


@register_model("fcnn-k")
def fcnn_k(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model K (Table 5): 8 single-basis layers per stage whose 1×1 projections use the 2-D topology.

    "In model K, there are 8 convolutional layers for each stage, due to the layer doubling caused by
    both single basis layers and topological connection. The complexity of each layer is however
    approximately as low as a quarter of standard 1 × 1 convolutional layer." Each layer is one Alg. 3
    step, [3, 1] + topological (1, n) with Table 3's 2-D grid (c_i = d_i/2), residual and ReLU."""
    def make(m):
        d, n = grid_2d(m)
        return [SingleBasisConv2d(m, kernel_size=3, topology=(d, n), backend=backend) for _ in range(8)]
    return _fcnn(make, description=pv.FCNN_TABLE5["fcnn-k"].method, num_classes=num_classes, in_channels=in_channels,
                 width=width, input_size=input_size, dropout=dropout)


@register_model("fcnn-l")
@pv.doc
def fcnn_l(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, residual="pair",
           backend="auto"):
    """Model L (Table 6): per stage six pairs {{[3,1] + (1, n/2), [3,1] + (1, n)}} — 12 single-basis layers.

    "Model L is modified from model E ... Each stage has 12 single basis convolutional layers. The
    complexity of this model is {FCNN_TABLE7[fcnn-l].mult:g}M multiplications for each image" and
    {FCNN_TABLE7[fcnn-l].params:g}M parameters (Table 7).
    ``residual="pair"``: residual around each pair (see `SingleBasisPair`). Alg. 3's residual belongs to every
    single-basis layer, but Alg. 3 assumes "the number of output channels is the same as the number of input
    channels, namely, m = n" (Sec. 2.3), which Model L's n -> n/2 -> n layers break: the text does not
    decide, so the identity residual stays where it exists (the pair) and ``residual="layer"`` (variant
    ``fcnn-l-layer-residual``) adds a parameter-free residual to every layer (see `SingleBasisPair`)."""
    return _fcnn(lambda m: [SingleBasisPair(m, residual=residual, backend=backend) for _ in range(6)],
                 description=pv.FCNN_TABLE7["fcnn-l"].label, num_classes=num_classes, in_channels=in_channels,
                 width=width, input_size=input_size, dropout=dropout)


# ------------------------------------------------------------------------- the other readings (variants)
@register_model("fcnn-c-no-basis-bn")
def fcnn_c_no_basis_bn(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model C with no BN between its bases and projection (Alg. 2 as one linear layer)."""
    return fcnn_c(num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                  dropout=dropout, basis_bn=False, backend=backend)


@register_model("fcnn-d-no-basis-bn")
def fcnn_d_no_basis_bn(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model D with no BN between its bases and projection (Alg. 2 as one linear layer)."""
    return fcnn_d(num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                  dropout=dropout, basis_bn=False, backend=backend)


@register_model("fcnn-l-layer-residual")
def fcnn_l_layer_residual(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2,
                          backend="auto"):
    """Model L with a (parameter-free) residual on every single-basis layer instead of around each pair."""
    return fcnn_l(num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                  dropout=dropout, residual="layer", backend=backend)


# ------------------------------------------------------------------------------- ablations (an experiment's model)
@register_model("fcnn-e-no-residual")
def fcnn_e_no_residual(*, num_classes=None, in_channels=3, width=1.0, input_size=None, dropout=0.2, backend="auto"):
    """Model E without the residual of its single-basis layers (FCNN Sec. 2.3: "the residual learning is necessary").

    Each layer is ``relu(BN(P · BN(x ⋆ₘ basis)))``: the same multiplications and parameters as E (the identity
    residual is an addition), experiment fcnn-residual."""
    return fcnn_e(num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                  dropout=dropout, residual=False, backend=backend)
