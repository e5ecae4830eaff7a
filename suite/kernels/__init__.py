"""Fast kernels behind `suite.ops(..., backend=...)`.

- `suite.kernels.numba_cpu`  — `backend="numba"`: Numba CPU kernels (`@njit(parallel=True, fastmath=True,
  cache=True)`), float32/float64 CPU tensors, forward and backward as `torch.autograd.Function`s.
- `suite.kernels.numba_cuda` — `backend="numba-cuda"`: Numba CUDA kernels (`@cuda.jit`) on the tensor's
  current stream through `__cuda_array_interface__`; under `NUMBA_ENABLE_CUDASIM=1` they run in Numba's
  simulator on CPU tensors (tests use tiny shapes).

`auto_backend(op, x)` is what `backend="auto"` uses. `suite.kernels.inference.fuse_for_inference(model)`
folds BatchNorm into fused single-basis kernels for inference (Model L).
"""
from __future__ import annotations

import os

import torch

# Ops with a kernel in each backend (tucker_conv stays on the torch reference: its core is a dense conv).
CUDA_OPS = frozenset({"basis_conv2d", "single_basis_stack", "topological_conv", "cp_conv"})
# `auto` on CPU: only where the kernel was measured faster. basis_conv2d's Numba kernel trained models
# C/D about 4x slower than the torch form (1.4 s vs 0.35 s per batch of 96, local Table 2 profile), so
# auto keeps it on torch; backend="numba" still selects it.
CPU_OPS = frozenset({"single_basis_stack", "topological_conv", "cp_conv"})
_FLOATS = (torch.float32, torch.float64)


def cudasim() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def auto_backend(op: str, x: torch.Tensor) -> str:
    """The fastest backend for `op` on x's device, dtype and shape.

    CUDA float32/float64 tensors go to numba-cuda; CPU float32/float64 tensors go to the Numba CPU
    kernels where `python -m suite.bench` measured them faster than the torch references (the single-basis
    step, the topological 1×1 and the CP conv, README "Kernel speed"); everything else (basis_conv2d on
    CPU, float16/bfloat16, tucker_conv, autocast, other devices) uses the torch reference.
    """
    if x.dtype not in _FLOATS:
        return "torch"
    if x.device.type == "cuda":
        return "numba-cuda" if op in CUDA_OPS else "torch"
    if x.device.type == "cpu" and op in CPU_OPS and not torch.is_autocast_enabled("cpu"):
        return "numba"
    return "torch"
