"""nn.Modules for the papers' layers, built on `suite.ops`."""
from .decompose import cp_als, tucker2_hosvd
from .fcnn import BasisConv2d, SingleBasisConv2d, TopologicalConv2d
from .hocp import HOCPConv, TuckerConv
from ._init import kaiming_variance, normal_, param  # shared by suite.models' dense layers

__all__ = ["BasisConv2d", "SingleBasisConv2d", "TopologicalConv2d", "HOCPConv", "TuckerConv", "cp_als", "tucker2_hosvd",
           "kaiming_variance", "normal_", "param"]
