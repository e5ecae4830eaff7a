"""Every number and label the two papers print, stated once, with the table or section that prints it.

FCNN: *Factorized Convolutional Neural Networks* (Wang, Xu, Davis). HO-CP: *Efficient N-Dimensional
Convolutions via Higher-Order Factorization* (Kossaifi, Bulat, Panagakis, Pantic). The paper files are
in ``shared/papers/``. Nothing here is computed: the tables in ``paper_tables`` and the models'
descriptions in ``suite.models`` read these values and put what ``suite.complexity`` computes or a run
measures beside them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FcnnRow:
    """One row of FCNN Table 2, 4 or 5: ImageNet 2012 validation top-1 and the relative complexity of the
    substituted layers (relative to the table's baseline, "calculated regarding to these layers")."""

    model: str
    method: str                 # the paper's "Method" column
    top1: float                 # %
    complexity: float
    approximate: bool = False   # printed with "~"

    @property
    def complexity_printed(self) -> str:
        return f"{'~' if self.approximate else ''}{self.complexity:g}"


def _rows(*rows: FcnnRow) -> dict[str, FcnnRow]:
    return {r.model: r for r in rows}


FCNN_TABLE2 = _rows(  # FCNN Table 2: accuracy and complexity of model A to F
    FcnnRow("fcnn-a", "Baseline, kernel size = 2", 59.0, 1.0),
    FcnnRow("fcnn-b", "Baseline, kernel size = 3", 62.1, 2.25),
    FcnnRow("fcnn-c", "4 bases, kernel size = 3", 61.9, 1.0, approximate=True),
    FcnnRow("fcnn-d", "2 bases, kernel size = 3", 60.3, 0.5, approximate=True),
    FcnnRow("fcnn-e", "1 basis, kernel size = 3, double layers", 63.1, 0.5, approximate=True),
    FcnnRow("fcnn-f", "1 basis, kernel size = 5, double layers", 63.15, 0.5, approximate=True),
)
FCNN_TABLE4 = _rows(  # FCNN Table 4: accuracies of topology models and grouping model (150×150 crops)
    FcnnRow("fcnn-a0", "Baseline", 54.2, 1.0),
    FcnnRow("fcnn-g", "2D Topology", 53.6, 0.5),
    FcnnRow("fcnn-h", "3D Topology", 52.9, 0.47),
    FcnnRow("fcnn-i", "grouping", 52.2, 0.5),
)
FCNN_TABLE5 = _rows(  # FCNN Table 5: single basis layers combined with topological connection
    FcnnRow("fcnn-a", "Baseline", 59.0, 1.0),
    FcnnRow("fcnn-j", "2D Topology", 58.9, 0.5),
    FcnnRow("fcnn-k", "Single Basis & 2D Topology", 60.1, 0.25),
)

# FCNN Tables 1 and 6, "output" column: side of each stage's output at 221×221 input.
FCNN_TABLE1_OUTPUT = {"conv1": 108, "conv2_x": 36, "conv3_x": 18, "conv4_x": 6}


@dataclass(frozen=True)
class TopologyGrid:
    """One row of FCNN Table 3: channels m, grid d and neighbourhood c of the 2-D and 3-D topologies."""

    channels: int
    d2: tuple[int, ...]
    c2: tuple[int, ...]
    d3: tuple[int, ...]
    c3: tuple[int, ...]


FCNN_TABLE3 = {
    "conv2_x": TopologyGrid(128, (8, 16), (4, 8), (4, 8, 4), (2, 5, 3)),
    "conv3_x": TopologyGrid(256, (16, 16), (8, 8), (8, 8, 4), (4, 5, 3)),
    "conv4_x": TopologyGrid(512, (16, 32), (8, 16), (8, 8, 8), (4, 5, 6)),
}


@dataclass(frozen=True)
class Table7Row:
    """One row of FCNN Table 7 (single model, center crop). Its header says 10^9 multiplications but the
    values are millions (Section 3.4: "470M multiplications ... GoogLeNet (1600M) ... AlexNet (725M)")."""

    label: str
    top1_err: float   # %
    top5_err: float   # %
    mult: float       # millions
    params: float     # millions
    source: str = ""  # where the paper took the row from (the reference networks are literature values)


# The caption of FCNN Table 7 says where its reference-network numbers come from; the bracketed numbers are the
# paper's references, as its table and text cite them (the paper file holds no reference list; the publications
# named below are the ones those citations denote: "AlexNet [1]", "GoogleNet [2]", "ResNet-18 [5]",
# "VGG-16 [15]", "Caffe[11]", "Facebook's implementation[14]").
FCNN_TABLE7_SOURCES = ("For AlexNet and GoogLeNet, the top-1 error is missing in original paper and we use the number "
                       "of Caffe’s implementation[11]. For ResNet, we use the number with Facebook’s "
                       "implementation[14].")
_NOT_ATTRIBUTED = "multiplications and parameters: the paper does not say where it took them"
FCNN_TABLE7 = {
    "alexnet": Table7Row("AlexNet", 42.9, 18.2, 725, 62.4, source=(
        "literature: top-1 from Caffe's implementation [11] (BVLC AlexNet model: 57.1 % top-1, center crop); top-5 "
        "from the original paper [1] (Krizhevsky et al. 2012, one CNN: 18.2 %); " + _NOT_ATTRIBUTED)),
    "googlenet": Table7Row("GoogleNet", 31.3, 10.07, 1600, 7.0, source=(
        "literature: top-1 from Caffe's implementation [11] (BVLC GoogLeNet model: 68.7 % top-1, 31.3 % error, center "
        "crop); top-5 from the original paper [2] (Szegedy et al. 2015, 1 model 1 crop: 10.07 %); " + _NOT_ATTRIBUTED)),
    "resnet18": Table7Row("ResNet-18", 30.43, 10.76, 1800, 11.5, source=(
        "literature: top-1/top-5 from Facebook's implementation [14] (fb.resnet.torch, ResNet-18 single crop 224×224: "
        "30.43 / 10.76); 1800M matches the 1.8×10⁹ FLOPs of ResNet-18 in the original paper [5] (He et al. 2016, "
        "Table 1); parameters: not attributed")),
    "vgg16": Table7Row("VGG-16", 28.1, 9.4, 16000, 134.0, source=(
        "literature: the original paper [15] (Simonyan & Zisserman 2015); FCNN does not say which of its rows: "
        "28.1 / 9.4 and 134M are those of its configuration C (16 weight layers, single test scale 256) rather than "
        "D (torchvision's vgg16: 138M parameters), our reading of [15]")),
    "fcnn-l": Table7Row("Our Model L", 29.89, 10.55, 470, 2.8, source="this paper: Model L trained with Torch (Sec. 3.4)"),
}


@dataclass(frozen=True)
class Stated:
    """A number a paper states in its text: ``value`` in the unit the tables use; ``words`` the paper's
    words with ``{}`` where the number is printed (as ``value / printed_scale``)."""

    value: float
    words: str
    source: str
    printed_scale: float = 1.0

    @property
    def quote(self) -> str:
        return self.words.format(f"{self.value / self.printed_scale:g}")


FCNN_MODEL_A_MULT = Stated(550e6, "{} million multiplications for each image", "Section 3", 1e6)
FCNN_L_SAME_COMPLEXITY = Stated(1.0, "the complexity remains the same", "Section 3.4")
FCNN_H_REDUCTION = Stated(4.27, "by a factor of {}", "Section 3.2")
FCNN_GOOGLENET_OVER_L = Stated(3.4, "{} times less computation", "Abstract")


@dataclass(frozen=True)
class HocpTable1Row:
    """HO-CP Table 1 (CIFAR-10). The paper prints the parameters with a decimal comma ("2, 30")."""

    label: str
    params: float     # millions
    accuracy: float   # %

    @property
    def params_printed(self) -> str:
        return f"{self.params:.2f}".replace(".", ",")


@dataclass(frozen=True)
class HocpTable2Row:
    """HO-CP Table 2 (20BN-Jester v1 validation)."""

    label: str
    conv_params: float   # millions, convolutional layers only
    top1: float          # %
    top5: float          # %


HOCP_TABLE1 = {
    "mobilenetv2-cifar": HocpTable1Row("MobileNet-v2", 2.30, 94.0),
    "hosconv-cifar": HocpTable1Row("HOSConv (Ours)", 2.29, 94.0),
}
HOCP_TABLE2 = {
    "convnet3d": HocpTable2Row("3D-ConvNet", 2.9, 83.2, 97.0),
    "hocp-convnet": HocpTable2Row("HO-CP ConvNet (Ours)", 1.2, 83.8, 97.4),
    "hocp-convnet-s": HocpTable2Row("HO-CP ConvNet-S (Ours)", 1.2, 85.4, 98.6),
}
HOCP_SAVED_PARAMS = Stated(1.7, "{} million less parameters", "Section 4.3")  # 3D-ConvNet − HO-CP ConvNet, M

# HO-CP Figure 5 (its caption): a 3×3×3 convolution on a 32×32×16 input, CP ranks 6 and 3 times the input
# channels. The figure prints no numbers and does not list the channel pairs of its x-axis.
HOCP_FIGURE5_INPUT = (32, 32, 16)
HOCP_FIGURE5_RANKS = (3, 6)


def doc(fn):
    """Decorator: fill a docstring's ``{NAME[key].field}`` fields from this module, so that a model's
    description quotes the paper's numbers from here (literal braces in the docstring are doubled)."""
    fn.__doc__ = fn.__doc__.format_map({k: v for k, v in globals().items() if k.isupper()})
    return fn
