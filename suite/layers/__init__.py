"""nn.Modules for the papers' layers, built on `suite.ops`."""
from .decompose import cp_als, tucker2_hosvd
from .fcnn import BasisConv2d, SingleBasisConv2d, TopologicalConv2d
from .hocp import HOCPConv, TuckerConv

__all__ = ["BasisConv2d", "SingleBasisConv2d", "TopologicalConv2d", "HOCPConv", "TuckerConv", "cp_als", "tucker2_hosvd"]
