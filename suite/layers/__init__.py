"""nn.Modules for the papers' layers and the models' blocks, built on `suite.ops` (one concept per file)."""
from ._init import kaiming_variance, normal_, param  # shared by suite.models' dense layers
from .conv_bn_act import conv_bn_relu
from .decompose import cp_als, tucker2_hosvd
from .fcnn import BasisConv2d, SingleBasisConv2d, TopologicalConv2d
from .fcnn_stage import Stage
from .hocp import HOCPConv, TuckerConv
from .hocp_block3d import SKIPS, HOCPBlock3d
from .hosconv_block import HOSConvBlock
from .inverted_residual import InvertedResidual, mobilenet_shortcut
from .padded_topological import PaddedTopologicalConv2d
from .residual import ResidualBlock
from .single_basis_pair import SingleBasisPair

__all__ = ["SKIPS", "BasisConv2d", "HOCPBlock3d", "HOCPConv", "HOSConvBlock", "InvertedResidual",
           "PaddedTopologicalConv2d", "ResidualBlock", "SingleBasisConv2d", "SingleBasisPair", "Stage",
           "TopologicalConv2d", "TuckerConv", "conv_bn_relu", "cp_als", "kaiming_variance", "mobilenet_shortcut",
           "normal_", "param", "tucker2_hosvd"]
