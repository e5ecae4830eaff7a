"""Argument validation shared by every op: clear ValueErrors naming the argument and the expected shape."""
from __future__ import annotations

from collections.abc import Sequence

import torch

BACKENDS = ("auto", "torch", "numba", "numba-cuda", "reconstructed")


def fail(arg: str, expected: str, got) -> None:
    raise ValueError(f"{arg}: expected {expected}, got {got}")


def shape_of(t: torch.Tensor) -> str:
    return f"shape {tuple(t.shape)}"


def check_tensor(name: str, t, ndim: int | None = None, expected: str | None = None) -> None:
    if not isinstance(t, torch.Tensor):
        fail(name, "a torch.Tensor", type(t).__name__)
    if not t.is_floating_point():
        fail(name, "a floating-point tensor (float16/bfloat16/float32/float64)", f"dtype {t.dtype}")
    if ndim is not None and t.ndim != ndim:
        fail(name, expected or f"a {ndim}-D tensor", f"{t.ndim}-D tensor of {shape_of(t)}")


def check_same(x: torch.Tensor, **others: torch.Tensor) -> None:
    for name, t in others.items():
        if t.dtype != x.dtype:
            fail(name, f"dtype {x.dtype} (same as x)", f"dtype {t.dtype}")
        if t.device != x.device:
            fail(name, f"device {x.device} (same as x)", f"device {t.device}")


def check_dims(name: str, t: torch.Tensor, expected: Sequence, expected_str: str) -> None:
    """`expected` holds ints or None (any size) per dimension."""
    ok = t.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, t.shape))
    if not ok:
        fail(name, f"shape {expected_str}", shape_of(t))


def check_odd_kernel(name: str, sizes: Sequence[int]) -> None:
    for k in sizes:
        if k < 1 or k % 2 == 0:
            fail(name, "odd kernel sizes (the ops use zero 'same' padding, stride 1)",
                 f"kernel size {k} in {tuple(sizes)}")


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        fail("backend", f"one of {BACKENDS}", repr(backend))
