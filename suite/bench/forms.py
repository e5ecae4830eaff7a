"""A form of a layer in the GPU run: one way to compute it (our kernel backend, `auto`, a PyTorch factorized form,
the dense layer, a peer library), at one precision, callable forward or forward+backward.

Member names say what a form is: ``ours: <backend>`` (a backend registered in `suite.ops.registry`, any that
fits the device: numba-cuda, the reconstructed-dense one, ...), ``auto`` (`backend="auto"`), ``fact: ...``
(the same factorized operator in PyTorch: the op's torch reference in NCHW and channels-last, torch.compile),
``dense: ...`` (the dense layer it replaces), ``peer: ...`` (TensorLy-Torch). A precision other than float32
is part of the name (``tf32``, ``bf16 autocast``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from suite.bench.precision import precision


@dataclass
class Form:
    member: str
    fn: Callable[..., torch.Tensor] | None  # fn(*tensors) -> output
    tensors: tuple = ()  # x first, then the weights: the leaves of the backward
    params: tuple = ()  # a module's parameters (leaves of the backward too)
    mode: str = "fp32"  # suite.bench.precision mode
    compile: bool = False  # built by torch.compile under the run's budget
    skip: str | None = None  # why it cannot run here (not installed, ...)
    candidate: bool = False  # one of the forms `auto` chooses from (for the "auto >= 0.95x" row)
    grad_ok: bool = True  # has a backward (False: forward-only form)
    info: dict = field(default_factory=dict)


def leaves(tensors) -> tuple:
    """Detached copies of the floating-point tensors that require grad (same layout), the rest as they are."""
    out = []
    for t in tensors:
        if isinstance(t, torch.Tensor) and t.is_floating_point():
            out.append(t.detach().clone(memory_format=torch.preserve_format).requires_grad_(True))
        elif isinstance(t, (list, tuple)):
            out.append(type(t)(leaves(t)))
        else:
            out.append(t)
    return tuple(out)


def _flat(tensors) -> list:
    flat = []
    for t in tensors:
        if isinstance(t, (list, tuple)):
            flat += _flat(t)
        elif isinstance(t, torch.Tensor) and t.requires_grad:
            flat.append(t)
    return flat


def runner(form: Form, fn: Callable, grad: bool, device_type: str) -> Callable[[], None]:
    """A zero-argument call of `fn` (the form's function, compiled or not) at the form's precision: forward
    under no_grad, or forward+backward (gradients of every input and parameter from a fixed random output
    gradient, made at the first call)."""
    if not grad:
        args = form.tensors

        def forward():
            with torch.no_grad(), precision(form.mode, device_type):
                fn(*args)

        return forward
    args = leaves(form.tensors)
    wrt = _flat(args) + [p for p in form.params if p.requires_grad]
    state: dict = {}

    def forward_backward():
        with precision(form.mode, device_type):
            out = fn(*args)
            if "gy" not in state:
                state["gy"] = torch.randn(out.shape, dtype=out.dtype, device=out.device,
                                          generator=None).contiguous(memory_format=_format_of(out))
            torch.autograd.grad(out, wrt, state["gy"], allow_unused=True)

    return forward_backward


def _format_of(t: torch.Tensor):
    if t.ndim == 4 and t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous():
        return torch.channels_last
    if t.ndim == 5 and t.is_contiguous(memory_format=torch.channels_last_3d) and not t.is_contiguous():
        return torch.channels_last_3d
    return torch.contiguous_format


def to_cl(t: torch.Tensor) -> torch.Tensor:
    """t in channels-last (4-D) or channels-last-3d (5-D) layout; other tensors unchanged."""
    if t.ndim == 4:
        return t.contiguous(memory_format=torch.channels_last)
    if t.ndim == 5:
        return t.contiguous(memory_format=torch.channels_last_3d)
    return t
