"""Which kernels are compiled: so that `backend="auto"` never pays a Numba compilation just to time a candidate.

A kernel op counts as compiled for a dtype once it has run in this process, or when a stamp says that its
first call (by `python -m suite.kernels`, or any earlier process) compiled it into the Numba disk cache. Stamps
are empty files `<NUMBA_CACHE_DIR>/suite-compiled/<digest>/<backend>-<op>-<dtype>` (creating one is atomic, so
concurrent processes need no lock); the digest covers the kernels' source and Numba's version, like Numba's own
cache, so an edited kernel is not compiled until it is warmed again. Deleting the Numba cache directory
deletes the stamps with it. Only the CPU backend writes stamps (numba-cuda kernels compile per process).
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numba
import torch

_DISK_BACKENDS = ("numba",)
_in_process: set[str] = set()  # the stamps' names, for this process


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    h = hashlib.sha256(numba.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def stamp_dir() -> Path:
    return Path(os.environ.get("NUMBA_CACHE_DIR") or numba.config.CACHE_DIR) / "suite-compiled" / _digest()


def _name(backend: str, op: str, dtype: torch.dtype, part: str) -> str:
    return f"{backend}-{op}-{str(dtype).removeprefix('torch.')}-{part}"


def _has(backend: str, op: str, dtype: torch.dtype, part: str) -> bool:
    name = _name(backend, op, dtype, part)
    return name in _in_process or (backend in _DISK_BACKENDS and (stamp_dir() / name).exists())


def compiled(backend: str, op: str, dtype: torch.dtype, grad: bool) -> bool:
    """Whether calling `op` on `backend` for `dtype` (forward, and backward when `grad`) loads compiled code
    instead of compiling it."""
    return _has(backend, op, dtype, "forward") and (not grad or _has(backend, op, dtype, "backward"))


def _mark(backend: str, op: str, dtype: torch.dtype, part: str) -> None:
    name = _name(backend, op, dtype, part)
    if name in _in_process:
        return
    _in_process.add(name)
    if backend in _DISK_BACKENDS:
        try:
            stamp_dir().mkdir(parents=True, exist_ok=True)
            (stamp_dir() / name).touch()
        except OSError:  # a read-only cache directory: the mark stays in this process
            pass


def mark_call(backend: str, op: str, dtype: torch.dtype, out: torch.Tensor) -> None:
    """Record that `op` ran forward on `backend` for `dtype`, and its backward once autograd has run it."""
    _mark(backend, op, dtype, "forward")
    if out.grad_fn is not None and _name(backend, op, dtype, "backward") not in _in_process:
        out.grad_fn.register_hook(lambda grad_in, grad_out: _mark(backend, op, dtype, "backward"))
