"""Fast kernels behind `suite.ops(..., backend=...)`; importing this package registers them in
`suite.ops.registry` (the one table of which ops have which kernels; `suite.ops` imports it on first need).

- `suite.kernels.numba_cpu`  — `backend="numba"`: Numba CPU kernels (`@njit(parallel=True, fastmath=True,
  cache=True)`), float32/float64 CPU tensors, forward and backward as `torch.autograd.Function`s.
- `suite.kernels.numba_cuda` — `backend="numba-cuda"`: Numba CUDA kernels (`@cuda.jit`) on the tensor's
  current stream through `__cuda_array_interface__`; under `NUMBA_ENABLE_CUDASIM=1` they run in Numba's
  simulator on CPU tensors (tests use tiny shapes).

The kernels depend on nothing above `suite.ops`.

Numba's compiled-kernel cache (`cache=True`) goes to `$NUMBA_CACHE_DIR` when set; otherwise this package
points it at a per-user, per-node directory (`<user cache dir>/fcnn-hocp-suite/numba/<hostname>`), so a
read-only or shared checkout (many SLURM jobs on different nodes) still compiles each kernel once per node.
"""
from __future__ import annotations

import os
import sys

from ..host import node_cache_dir

if not os.environ.get("NUMBA_CACHE_DIR"):
    os.environ["NUMBA_CACHE_DIR"] = str(node_cache_dir("numba"))
    if "numba" in sys.modules:  # imported before us: its config has read the environment already
        sys.modules["numba"].config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]

from . import numba_cpu, numba_cuda  # noqa: E402,F401  (registration)
from ._shared import cudasim  # noqa: E402

__all__ = ["cudasim"]
