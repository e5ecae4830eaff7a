"""Fast kernels behind `suite.ops(..., backend=...)`; importing this package registers them in
`suite.ops.registry` (the one table of which ops have which kernels; `suite.ops` imports it on first need).

- `suite.kernels.numba_cpu`  — `backend="numba"`: Numba CPU kernels (`@njit(parallel=True, fastmath=True,
  cache=True)`), float32/float64 CPU tensors, forward and backward as `torch.autograd.Function`s.
- `suite.kernels.numba_cuda` — `backend="numba-cuda"`: Numba CUDA kernels (`@cuda.jit`) on the tensor's
  current stream through `__cuda_array_interface__`; under `NUMBA_ENABLE_CUDASIM=1` they run in Numba's
  simulator on CPU tensors (tests use tiny shapes).

The kernels depend on nothing above `suite.ops`.
"""
from __future__ import annotations

from . import numba_cpu, numba_cuda  # noqa: F401  (registration)
from ._shared import cudasim

__all__ = ["cudasim"]
