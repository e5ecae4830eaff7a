"""The one kernel registry: which implementations each op has, and which one a call runs.

Every implementation of an op registers itself with `register(op, backend, ...)`: the pure-torch
references in this package as backend "torch", the Numba kernels in `suite.kernels` as "numba" and
"numba-cuda". Dispatch (`call`), `backend="auto"` (`auto_candidates`, measured by `suite.ops.autotune`)
and the benchmarks all read this table; nothing else lists which ops have kernels.

The kernels package is imported the first time a non-torch backend is looked up (importing Numba
costs seconds, and a pure-torch user never pays it). `use_backend(name)` forces every op call in its
`with` block onto one backend (e.g. `suite.complexity.count` runs the torch references on fake tensors).
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
from dataclasses import dataclass
from typing import Callable

import torch

from . import autotune

KERNEL_PACKAGE = "suite.kernels"  # registers the Numba backends when imported
_FLOATS = (torch.float32, torch.float64)
# Backends of plain torch ops registered by this package (no kernel import; they follow autocast, so `auto`
# measures them under autocast too). Neither is `auto`'s fixed choice: that stays the first fitting kernel.
TORCH_FORMS = ("torch", "reconstructed")


@dataclass(frozen=True)
class Implementation:
    """One registered implementation of an op.

    `device`: the tensor device type it runs on (None: any). `dtypes`: the dtypes it supports (None: any).
    `auto`: whether `backend="auto"` may pick it (False where it was measured slower than torch).
    `available`: a callable telling whether it can run here at all (e.g. a CUDA driver is present).
    `compiled(x, grad)`: whether a call on x (with backward when `grad`) runs compiled code instead of
    compiling it first (None: nothing to compile).
    """

    op: str
    backend: str
    fn: Callable
    device: str | None = None
    dtypes: tuple | None = _FLOATS
    auto: bool = True
    available: Callable[[], bool] | None = None
    compiled: Callable[[torch.Tensor, bool], bool] | None = None

    def fits(self, x: torch.Tensor) -> bool:
        """Whether this implementation supports x's device and dtype (and can run on this machine)."""
        if self.device is not None and x.device.type != self.device:
            return False
        if self.dtypes is not None and x.dtype not in self.dtypes:
            return False
        return self.available is None or self.available()


_TABLE: dict[str, dict[str, Implementation]] = {}
_loaded = False
_forced: contextvars.ContextVar[str | None] = contextvars.ContextVar("suite_forced_backend", default=None)


def register(op: str, backend: str, *, device: str | None = None, dtypes=_FLOATS, auto: bool = True,
             available: Callable[[], bool] | None = None,
             compiled: Callable[[torch.Tensor, bool], bool] | None = None) -> Callable[[Callable], Callable]:
    """Decorator: record `fn` as `op`'s implementation for `backend` (see `Implementation`)."""

    def deco(fn: Callable) -> Callable:
        _TABLE.setdefault(op, {})[backend] = Implementation(op, backend, fn, device, dtypes and tuple(dtypes), auto,
                                                      available, compiled)
        return fn

    return deco


def _load_kernels() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        importlib.import_module(KERNEL_PACKAGE)


def implementations(op: str) -> dict[str, Implementation]:
    """{backend: Implementation} of `op`, the torch reference first."""
    _load_kernels()
    return dict(_TABLE.get(op, {}))


def implementations_all() -> dict[str, dict[str, Implementation]]:
    """{op: {backend: Implementation}} of every op."""
    _load_kernels()
    return {op: dict(impls) for op, impls in _TABLE.items()}


def ops_with(backend: str) -> frozenset[str]:
    """The ops that have an implementation for `backend`."""
    _load_kernels()
    return frozenset(op for op, impls in _TABLE.items() if backend in impls)


def auto_backend(op: str, x: torch.Tensor) -> str:
    """The fixed choice of `backend="auto"` when measuring is off (`suite.ops.autotune`): the first
    registered kernel that fits x's device and dtype and is marked for auto (autocast stays on torch);
    else the torch reference."""
    if x.device.type in ("cpu", "cuda") and torch.is_autocast_enabled(x.device.type):
        return "torch"
    for backend, impl in implementations(op).items():
        if backend not in TORCH_FORMS and impl.auto and impl.fits(x):
            return backend
    return "torch"


@contextlib.contextmanager
def use_backend(backend: str):
    """Within the block, every op call runs on `backend`, whatever the call or layer asks for."""
    from ._checks import check_backend

    check_backend(backend)
    token = _forced.set(backend)
    try:
        yield
    finally:
        _forced.reset(token)


def auto_candidates(op: str, x: torch.Tensor, grad: bool = False, skipped: list | None = None) -> dict[str, Callable]:
    """What `backend="auto"` measures for x: the torch reference, the reference on channels-last input
    (4-D/5-D x not already in that layout), the reconstructed dense form, and every registered kernel that
    fits x's device and dtype — except, unless `autotune.compile_allowed()`, a kernel not compiled yet for
    this call (forward, and backward when `grad`): timing it would cost a Numba compilation; its name goes to
    `skipped`. Under autocast only the torch forms (the kernels do not follow autocast's dtypes)."""
    impls = implementations(op)
    out = {name: impls[name].fn for name in TORCH_FORMS if name in impls}
    if x.device.type in ("cpu", "cuda") and torch.is_autocast_enabled(x.device.type):
        return out
    if x.ndim in (4, 5) and x.device.type in ("cpu", "cuda"):
        fmt = torch.channels_last if x.ndim == 4 else torch.channels_last_3d
        if not x.is_contiguous(memory_format=fmt):
            out[autotune.CHANNELS_LAST] = autotune.channels_last(out["torch"])
    for name, impl in impls.items():
        if name in TORCH_FORMS or not impl.fits(x):
            continue
        if impl.compiled is not None and not impl.compiled(x, grad) and not autotune.compile_allowed():
            if skipped is not None:
                skipped.append(name)
            continue
        out[name] = impl.fn
    return out


def _auto(op: str, args) -> Callable:
    """The implementation `backend="auto"` runs. A repeated call signature costs one tuple key and one dict
    lookup (`autotune.hit_key`): no candidate listing, no JSON key, no file or fingerprint access."""
    x = args[0]
    if not autotune.enabled() or torch.compiler.is_compiling() or x.device.type not in ("cpu", "cuda"):
        return implementations(op)[auto_backend(op, x)].fn
    key = autotune.hit_key(op, args)
    fn = autotune.hit(key)
    if fn is None:
        skipped: list[str] = []
        candidates = auto_candidates(op, x, autotune.needs_grad(args), skipped)
        fn = candidates[autotune.choose(op, args, candidates, skipped)]
        autotune.remember(key, fn)
    return fn


def call(op: str, backend: str, *args):
    """Run `op` on `args` with the implementation `backend` names ('auto': measured, see
    `suite.ops.autotune`; `use_backend` overrides the name)."""
    backend = _forced.get() or backend
    if backend == "auto":
        return _auto(op, args)(*args)
    impls = _TABLE.get(op, {}) if backend in TORCH_FORMS else implementations(op)
    if backend not in impls:
        raise NotImplementedError(f"backend={backend!r} has no kernel for {op}; use backend='torch' or 'auto'")
    return impls[backend].fn(*args)
