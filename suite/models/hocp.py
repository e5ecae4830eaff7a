"""The models of *Efficient N-Dimensional Convolutions via Higher-Order Factorization* (HO-CP).

Section 4.2: MobileNet-v2 vs HOSConv on CIFAR-10 (Table 1) and a 3-D convolutional column vs the same
column with HO-CP convolutions on 20BN-Jester (Table 2).
"""
from __future__ import annotations

import torch
from torch import nn

from .. import paper_values as pv
from ..layers import HOCPBlock3d, HOCPConv, HOSConvBlock, InvertedResidual
from . import _common as c
from ._registry import register_model, variant

# (expansion t, output channels, blocks, first stride): the common CIFAR MobileNet-v2 (stride 1 in the
# second group and in the stem, so 32×32 inputs end at 4×4).
MOBILENETV2_CIFAR_CFG = ((1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                         (6, 160, 3, 2), (6, 320, 1, 1))
CIFAR_INPUT, CIFAR_CLASSES = (3, 32, 32), 10
# HO-CP 4.2: "4 convolutional blocks with kernel size 3 × 3 × 3, with respective input and output of
# channels: (3, 64), (64, 128), (128, 256) and (256, 256)" on "18 frames and a size of 84×84".
CONVNET3D_CHANNELS = ((3, 64), (64, 128), (128, 256), (256, 256))
JESTER_INPUT, JESTER_CLASSES = (3, 18, 84, 84), 27
FC_HIDDEN = 512
RANK_FACTOR = 6  # HO-CP 4.2: "used, for each layer, 6 × n_input-channels for the rank"
# CP-ALS sweeps when decomposing a trained kernel (chosen: bounds the cost, ~12 CPU-s for the local width-0.25
# column; the reconstruction error each run reaches is recorded in its metrics).
ALS_ITERATIONS = 50


class MobileNetV2CIFAR(nn.Module):
    """3×3 stem (32, stride 1), the blocks of `MOBILENETV2_CIFAR_CFG`, 1×1 conv to 1280, global average
    pooling, linear classifier; BN after every conv."""

    def __init__(self, block, *, num_classes: int, in_channels: int, width: float, input_size):
        super().__init__()
        in_channels, width = c.check_in_channels(in_channels), c.check_width(width)
        self.num_classes = num_classes
        self.input_size = c.input_size(input_size, in_channels, CIFAR_INPUT[1:])
        stem, head = c.scale(32, width), c.scale(1280, width)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem),
                                  nn.ReLU(inplace=True))
        blocks, cin = [], stem
        for t, cout, n, stride in MOBILENETV2_CIFAR_CFG:
            cout = c.scale(cout, width)
            for i in range(n):
                blocks.append(block(cin, cout, t, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Conv2d(cin, head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.input_size[0]:
            raise ValueError(f"x: expected shape (N, {self.input_size[0]}, H, W), got {tuple(x.shape)}")
        return self.classifier(torch.flatten(self.pool(self.head(self.blocks(self.stem(x)))), 1))


@register_model("mobilenetv2-cifar")
@pv.doc
def mobilenetv2_cifar(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    ('MobileNet-v2, the common CIFAR-10 variant (HO-CP Table 1 baseline, '
     '"{HOCP_TABLE1[mobilenetv2-cifar].params_printed}" M parameters).')
    c.torch_only(backend)
    return MobileNetV2CIFAR(InvertedResidual, num_classes=num_classes or CIFAR_CLASSES, in_channels=in_channels,
                            width=width, input_size=input_size)


@register_model("hosconv-cifar")
@pv.doc
def hosconv_cifar(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    ('HOSConv (HO-CP Table 1, "{HOCP_TABLE1[hosconv-cifar].params_printed}" M parameters): '
     """MobileNet-v2-CIFAR with HO-CP blocks.

    "For our approach, we simply replaced the full MobileNet-v2 blocks with ours (which, in
    the 2D case, differs from MobileNet-v2 by the use of two separable convolutions along the spatial
    dimensions instead of a single 2D kernel)." See `HOSConvBlock`.""")
    c.torch_only(backend)
    return MobileNetV2CIFAR(HOSConvBlock, num_classes=num_classes or CIFAR_CLASSES, in_channels=in_channels,
                            width=width, input_size=input_size)


class ConvNet3D(nn.Module):
    """HO-CP 4.2's column: 4 blocks conv -> BN -> ELU -> 2×2×2 max-pool ("Between each convolution we added
    a batch-normalisation layer, non-linearity (ELU) and 2 × 2 × 2 max-pooling"), then "two
    fully-connected layers to reduce the dimensionality to 512 first, and finally to the number of
    classes" (ELU between them). The first FC's size follows from input_size (18×84×84 -> 256·1·5·5)."""

    def __init__(self, make_conv, *, num_classes: int, in_channels: int, width: float, input_size):
        super().__init__()
        in_channels, width = c.check_in_channels(in_channels), c.check_width(width)
        self.num_classes = num_classes
        self.input_size = c.input_size(input_size, in_channels, JESTER_INPUT[1:])
        if min(self.input_size[1:]) < 16:
            raise ValueError(f"input_size: four 2×2×2 max-pools need T, H, W >= 16, got {self.input_size}")
        chans = [(in_channels if i == 0 else c.scale(a, width), c.scale(b, width))
                 for i, (a, b) in enumerate(CONVNET3D_CHANNELS)]
        self.blocks = nn.Sequential(*(nn.Sequential(make_conv(a, b), nn.BatchNorm3d(b), nn.ELU(inplace=True),
                                                    nn.MaxPool3d(2)) for a, b in chans))
        spatial = [s for s in self.input_size[1:]]
        for _ in chans:
            spatial = [s // 2 for s in spatial]
        flat = chans[-1][1] * spatial[0] * spatial[1] * spatial[2]
        hidden = c.scale(FC_HIDDEN, width)
        self.fc1 = nn.Linear(flat, hidden)
        self.act = nn.ELU(inplace=True)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        if x.ndim != 5 or tuple(x.shape[1:]) != self.input_size:
            raise ValueError(f"x: expected shape (N, {', '.join(map(str, self.input_size))}) (the FC size depends "
                             f"on it), got {tuple(x.shape)}")
        return self.fc2(self.act(self.fc1(torch.flatten(self.blocks(x), 1))))


class DecomposableConvNet3D(ConvNet3D):
    """3D-ConvNet whose dense 3-D convolutions can be CP-decomposed after training (`decompose`): the
    "compress a trained network" route that HO-CP Sec. 3 sets its end-to-end training against ("first training
    an uncompressed network, then decomposing the convolutional kernels before replacing the convolution with
    their efficient rewriting and fine-tuning to recover lost performance")."""

    def __init__(self, *, backend: str, **kwargs):
        super().__init__(lambda a, b: nn.Conv3d(a, b, 3, padding=1, bias=False), **kwargs)
        self.backend = backend

    def decompose(self, *, fit: bool = True) -> list[float]:
        """Replace each block's nn.Conv3d by ``HOCPConv.from_dense`` (CP-ALS, Lebedev et al. 2015 as HO-CP Sec. 2.3
        describes it) at HO-CP ConvNet's rank 6·C_in: linear CP convolutions (no Ψ between the factors), so that
        right after it the network computes the dense one up to the CP error. ``fit=False`` builds the decomposed
        shapes only (a checkpoint's weights are loaded next). Returns each kernel's relative reconstruction error
        (0.0 for ``fit=False``); ValueError if there is no dense kernel left to decompose."""
        convs = [(block, block[0]) for block in self.blocks if isinstance(block[0], nn.Conv3d)]
        if not convs:
            raise ValueError("decompose: the network has no dense Conv3d left (already decomposed)")
        errors = []
        for block, conv in convs:
            rank = RANK_FACTOR * conv.in_channels
            if fit:
                layer = HOCPConv.from_dense(conv, rank, n_iter=ALS_ITERATIONS, backend=self.backend)
                errors.append(float(layer.decomposition_error))
            else:
                layer = HOCPConv(conv.in_channels, conv.out_channels, tuple(conv.kernel_size), rank=rank,
                                 backend=self.backend).to(conv.weight.device, conv.weight.dtype)
                errors.append(0.0)
            block[0] = layer
        return errors


@register_model("convnet3d")
@pv.doc
def convnet3d(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    ("3D-ConvNet (HO-CP Table 2: {HOCP_TABLE2[convnet3d].conv_params:g}M conv parameters): "
     "dense 3×3×3 Conv3d (padding 1, no bias: BN follows).")
    c.torch_only(backend)
    return ConvNet3D(lambda a, b: nn.Conv3d(a, b, 3, padding=1, bias=False), num_classes=num_classes or JESTER_CLASSES,
                     in_channels=in_channels, width=width, input_size=input_size)


def _hocp_convnet(*, num_classes, in_channels, width, input_size, activation, skip, psi, backend):
    return ConvNet3D(lambda a, b: HOCPBlock3d(a, b, rank=RANK_FACTOR * a, activation=activation, skip=skip, psi=psi,
                                              backend=backend),
                     num_classes=num_classes or JESTER_CLASSES, in_channels=in_channels, width=width,
                     input_size=input_size)


@register_model("hocp-convnet")
@pv.doc
def hocp_convnet(*, num_classes=None, in_channels=3, width=1.0, input_size=None, psi="alg1", backend="auto"):
    ("HO-CP ConvNet (Table 2: {HOCP_TABLE2[hocp-convnet].conv_params:g}M conv parameters): "
     """the column with HO-CP convs of rank 6·C_in and ReLU.

    "replaced the 3D convolutions with our proposed block and used, for each layer, 6 × n_input-channels for the
    rank"; "without skip connection and with RELU"
    — R(C + T + 9) parameters per layer. Ψ as Alg. 1 states it ("H ← PReLU(H) or ReLU(H); H ← Batch-Norm(H)"
    after each 1-D factor, nothing after the first 1×1); ``psi="eq16"`` (the variant ``hocp-convnet-eq16``)
    puts Ψ = BN then ReLU after every factor including the first 1×1, one reading of eq. 16; ``psi=None`` (the
    ablation ``hocp-convnet-no-psi``) leaves Ψ out: linear CP factors, eq. 15.""")
    return _hocp_convnet(num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                         activation="relu", skip=None, psi=psi, backend=backend)


@register_model("hocp-convnet-s")
@pv.doc
def hocp_convnet_s(*, num_classes=None, in_channels=3, width=1.0, input_size=None, psi="alg1", skip="projection",
                   backend="auto"):
    ("HO-CP ConvNet-S (Table 2: {HOCP_TABLE2[hocp-convnet-s].conv_params:g}M conv parameters): "
     """HO-CP ConvNet with skip connections and PReLU.

    "The version with skip-connection and PReLU" — as hocp-convnet with PReLU and Alg. 1's skip
    ``H + X ×₀ U^(S)`` on every block (``skip="identity"``: see `HOCPBlock3d`).""")
    return _hocp_convnet(num_classes=num_classes, in_channels=in_channels, width=width, input_size=input_size,
                         activation="prelu", skip=skip, psi=psi, backend=backend)


# ------------------------------------------------------------------------- the other readings (variants)
register_model("hocp-convnet-eq16")(variant(
    hocp_convnet, "HO-CP ConvNet with Ψ = BN then ReLU after every factor, the first 1×1 included (eq. 16's Ψ₀ … Ψ_N).",
    psi="eq16"))
# Each ConvNet-S variant changes one reading and keeps the default of the other (fixed, so not an override).
register_model("hocp-convnet-s-eq16")(variant(
    hocp_convnet_s, "HO-CP ConvNet-S with Ψ = BN then PReLU after every factor, the first 1×1 included (eq. 16).",
    psi="eq16", skip="projection"))
register_model("hocp-convnet-s-identity-skip")(variant(
    hocp_convnet_s, "HO-CP ConvNet-S with U^(S) only where C ≠ T and an identity skip elsewhere (matches Table 2's "
    "1.2M).", psi="alg1", skip="identity"))


# ---------------------------------------------------------------------- without Ψ (an experiment's model: an ablation)
register_model("hocp-convnet-no-psi")(variant(
    hocp_convnet, "HO-CP ConvNet without Ψ: linear CP factors between the two 1×1s (eq. 15, not eq. 16), trained from "
    "scratch; the rest of the column (BN, ELU, pooling after each block) unchanged (experiment hocp-psi-ablation).",
    psi=None))


# ------------------------------------------------------------------ the compression route (an experiment's model)
@register_model("convnet3d-cp-finetune")
def convnet3d_cp_finetune(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    """3D-ConvNet to be CP-decomposed after training at HO-CP ConvNet's rank and fine-tuned (dense until decomposed).

    The network as built is 3D-ConvNet; a recipe with ``decompose_after`` (suite.train) trains it, calls its
    `decompose` (HOCPConv.from_dense of every 3-D kernel at rank 6·C_in) and fine-tunes the result: the compression
    route HO-CP Sec. 3 contrasts with training HO-CP ConvNet from scratch (experiment hocp-compress)."""
    return DecomposableConvNet3D(backend=backend, num_classes=num_classes or JESTER_CLASSES, in_channels=in_channels,
                                 width=width, input_size=input_size)
