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
CPU_OPS = frozenset({"basis_conv2d", "single_basis_stack", "topological_conv", "cp_conv"})
CUDA_OPS = CPU_OPS
_FLOATS = (torch.float32, torch.float64)


def cudasim() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def auto_backend(op: str, x: torch.Tensor) -> str:
    """The fastest backend for `op` on x's device, dtype and shape.

    CUDA float32/float64 tensors go to numba-cuda; CPU float32/float64 tensors go to the Numba CPU
    kernels (`python -m suite.bench` measured them faster than the torch references for the single-basis
    step, the topological 1×1 and the CP conv, README "Kernel speed"; basis_conv2d shares the single-basis
    kernel's structure but is not in the benchmark); everything else (float16/bfloat16, tucker_conv, autocast, other devices)
    uses the torch reference.
    """
    if x.dtype not in _FLOATS:
        return "torch"
    if x.device.type == "cuda":
        return "numba-cuda" if op in CUDA_OPS else "torch"
    if x.device.type == "cpu" and op in CPU_OPS and not torch.is_autocast_enabled("cpu"):
        return "numba"
    return "torch"
