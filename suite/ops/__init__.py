"""The papers' operators, pure torch (the reference), with a `backend=` switch to the Numba kernels
(`suite.ops.registry`: which implementations each op has; `use_backend` forces one in a block).

All ops take and return NCHW-style tensors (batch first, channels second), are cross-correlations with
stride 1 and zero 'same' padding (odd kernel sizes), and are differentiable.
"""
from . import autotune, reconstructed  # noqa: F401  (reconstructed: registers backend="reconstructed")
from ._checks import BACKENDS
from ._conv import conv_along, conv_nd
from .fcnn import (
    basis_conv2d,
    neighbor_index,
    single_basis_stack,
    single_basis_step,
    topological_conv,
    topology_kernel,
    topology_pads,
)
from .hocp import cp_conv, cp_kernel, tucker_conv, tucker_kernel
from .registry import auto_backend, register, use_backend

__all__ = [
    "BACKENDS",
    "basis_conv2d",
    "conv_along",
    "single_basis_stack",
    "single_basis_step",
    "topological_conv",
    "cp_conv",
    "tucker_conv",
    "cp_kernel",
    "tucker_kernel",
    "conv_nd",
    "neighbor_index",
    "topology_kernel",
    "topology_pads",
    "register",
    "use_backend",
    "auto_backend",
    "autotune",
]
