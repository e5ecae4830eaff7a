"""Backend dispatch for the ops.

`backend="torch"` is the pure-torch reference in this package. The other backends live in
`suite.kernels`: a backend module exposes `IMPLEMENTATIONS = {op_name: fn}` where `fn` takes the
same positional tensors as the op and is differentiable (a torch.autograd.Function). `auto` asks
`suite.kernels.auto_backend(op_name, x)` for the fastest backend for x's device and dtype, and
falls back to the reference when no kernel fits.
"""
from __future__ import annotations

import importlib
from typing import Callable

BACKEND_MODULES = {"numba": "suite.kernels.numba_cpu", "numba-cuda": "suite.kernels.numba_cuda"}


def _kernel(op: str, backend: str) -> Callable:
    try:
        module = importlib.import_module(BACKEND_MODULES[backend])
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("suite.kernels"):
            raise NotImplementedError(
                f"backend={backend!r} for {op} is not available: the Numba kernels are not built yet; "
                "use backend='torch' or 'auto'"
            ) from None
        raise
    impls = getattr(module, "IMPLEMENTATIONS", {})
    if op not in impls:
        raise NotImplementedError(f"backend={backend!r} has no kernel for {op}; use backend='torch' or 'auto'")
    return impls[op]


def _auto(op: str, x) -> str:
    try:
        kernels = importlib.import_module("suite.kernels")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("suite.kernels"):
            return "torch"
        raise
    chooser = getattr(kernels, "auto_backend", None)
    return chooser(op, x) if chooser is not None else "torch"


def select(op: str, backend: str, x, reference: Callable) -> Callable:
    """The implementation of `op` that `backend` names (x decides for 'auto')."""
    if backend == "auto":
        backend = _auto(op, x)
    if backend == "torch":
        return reference
    return _kernel(op, backend)
