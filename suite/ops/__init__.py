"""The papers' operators, pure torch (the reference), with a `backend=` switch to the Numba kernels.

All ops take and return NCHW-style tensors (batch first, channels second), are cross-correlations with
stride 1 and zero 'same' padding (odd kernel sizes), and are differentiable.
"""
from ._checks import BACKENDS
from ._conv import conv_nd
from .fcnn import basis_conv2d, neighbor_index, single_basis_stack, topological_conv, topology_kernel
from .hocp import cp_conv, cp_kernel, tucker_conv, tucker_kernel

__all__ = [
    "BACKENDS",
    "basis_conv2d",
    "single_basis_stack",
    "topological_conv",
    "cp_conv",
    "tucker_conv",
    "cp_kernel",
    "tucker_kernel",
    "conv_nd",
    "neighbor_index",
    "topology_kernel",
]
