"""Exact complexity of a model: multiplications (multiply–accumulates of conv and linear layers, the
papers' unit) and parameters, with a per-layer breakdown.

Counts come from the modules and the real output shapes of one shape-only forward pass (fake tensors;
a batch-1 pass in eval mode when a layer cannot run on fake tensors), never from tables:

- ``nn.Conv1d/2d/3d``: output elements × (in_channels / groups) × Π kernel_size (bias additions are
  not multiplications);
- ``nn.Linear``: output elements × in_features;
- any module with a ``macs(spatial)`` method (the factorized layers of `suite.layers`, FCNN's
  even-k topological conv): its own count for the spatial size of its input (e.g. FCNN Alg. 2:
  h·w·b·m·(k² + n)); modules inside it are not counted again;
- everything else (BatchNorm, pooling, activations, additions): 0, as in both papers.

Parameters: every trainable parameter; conv parameters: those of the convolutional layers only (standard
and factorized), excluding the BatchNorm/PReLU modules a factorized layer holds between its factors
(HO-CP Table 2's "#conv parameters").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import ops

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_NOT_CONV_PARAMS = (nn.modules.batchnorm._NormBase, nn.PReLU)


@dataclass(frozen=True)
class LayerCount:
    """One call of one counted layer (per image)."""

    name: str
    kind: str  # "conv" (standard or factorized) or "linear"
    module: str  # class name
    input_shape: tuple[int, ...]  # without batch
    output_shape: tuple[int, ...]
    multiplications: int
    parameters: int


@dataclass(frozen=True)
class Complexity:
    multiplications: int
    parameters: int
    conv_parameters: int
    layers: tuple[LayerCount, ...]
    input_size: tuple[int, ...]

    def select(self, marker: str) -> "Complexity":
        """The layers whose name contains `marker` (e.g. FCNN's substituted ``.blocks.``), re-summed;
        parameters and conv_parameters then count those layers' own parameters."""
        chosen = tuple(layer for layer in self.layers if marker in layer.name)
        macs = sum(layer.multiplications for layer in chosen)
        params = _unique_params(chosen)
        conv = _unique_params(tuple(layer for layer in chosen if layer.kind == "conv"))
        return Complexity(macs, params, conv, chosen, self.input_size)

    def table(self) -> str:
        """The per-layer breakdown as aligned text."""
        rows = [f"{'layer':50s} {'module':24s} {'output':>20s} {'mult.':>14s} {'params':>11s}"]
        for layer in self.layers:
            rows.append(f"{layer.name:50s} {layer.module:24s} {str(layer.output_shape):>20s} "
                        f"{layer.multiplications:14,d} {layer.parameters:11,d}")
        rows.append(f"{'total':50s} {'':24s} {'':>20s} {self.multiplications:14,d} {self.parameters:11,d}")
        return "\n".join(rows)


def _unique_params(layers) -> int:
    seen, total = set(), 0
    for layer in layers:
        if layer.name.split("#")[0] not in seen:
            seen.add(layer.name.split("#")[0])
            total += layer.parameters
    return total


def _counted_modules(model: nn.Module) -> dict[str, nn.Module]:
    """Layers that carry multiplications; a custom layer (with `macs`) hides its children."""
    counted, hidden = {}, []
    for name, mod in model.named_modules():
        if any(name.startswith(h + ".") for h in hidden):
            continue
        if callable(getattr(mod, "macs", None)):
            counted[name] = mod
            hidden.append(name)
        elif isinstance(mod, _CONVS + (nn.Linear,)):
            counted[name] = mod
    return counted


def _own_conv_params(mod: nn.Module) -> int:
    """Parameters of a (factorized) conv layer minus the norm/activation modules between its factors."""
    skip = {id(p) for sub in mod.modules() if isinstance(sub, _NOT_CONV_PARAMS) for p in sub.parameters()}
    return sum(p.numel() for p in mod.parameters() if id(p) not in skip)


def _macs(mod: nn.Module, inp: torch.Size, out: torch.Size) -> int:
    if callable(getattr(mod, "macs", None)):
        return int(mod.macs(tuple(int(s) for s in inp[2:])))
    per_image = math.prod(out[1:])
    if isinstance(mod, nn.Linear):
        return per_image * mod.in_features
    return per_image * (mod.in_channels // mod.groups) * math.prod(mod.kernel_size)


def _run(model: nn.Module, size: tuple[int, ...], calls: list) -> None:
    """One forward pass of a batch-1 input (the model's device and dtype), on fake tensors when every layer
    supports it; `calls` (filled by the hooks) is emptied before a real pass so a failed fake pass leaves
    nothing behind."""
    p = next(model.parameters(), None)
    like = dict(device=p.device, dtype=p.dtype) if p is not None and p.is_floating_point() else {}
    try:
        from torch._subclasses.fake_tensor import FakeTensorMode

        with FakeTensorMode(allow_non_fake_inputs=True) as mode, torch.no_grad():
            model(mode.from_tensor(torch.empty(1, *size, **like)))
        return
    except Exception:  # a layer that needs real data (e.g. a Numba kernel): fall back to a real pass
        pass
    calls.clear()
    with torch.no_grad():
        model(torch.zeros(1, *size, **like))


def count(model: nn.Module, input_size=None) -> Complexity:
    """Exact multiplications and parameters of `model` for one input of `input_size` (C, *spatial)
    — default `model.input_size`. See the module docstring for the counting rules."""
    if input_size is None:
        input_size = getattr(model, "input_size", None)
        if input_size is None:
            raise ValueError("input_size: expected (C, *spatial) — the model has no `input_size` attribute")
    try:
        size = tuple(int(s) for s in input_size)
    except TypeError:
        raise ValueError(f"input_size: expected a tuple (C, *spatial) of positive ints, got {input_size!r}") from None
    if len(size) < 2 or any(s < 1 for s in size):
        raise ValueError(f"input_size: expected a tuple (C, *spatial) of positive ints, got {input_size!r}")

    counted = _counted_modules(model)
    calls: list[tuple[str, nn.Module, torch.Size, torch.Size]] = []
    handles = [mod.register_forward_hook(lambda m, i, o, name=name: calls.append((name, m, i[0].shape, o.shape)))
               for name, mod in counted.items()]
    modes = {m: m.training for m in model.modules()}
    # The pure-torch reference ops run on fake tensors; compiled kernels (backend="auto" may pick them)
    # need real data. The count depends on shapes only, so the layers use the reference while counting.
    try:
        model.eval()
        with ops.use_backend("torch"):
            _run(model, size, calls)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.training = training

    layers, seen = [], {}
    for name, mod, inp, out in calls:
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}#{seen[name]}"
        kind = "linear" if isinstance(mod, nn.Linear) else "conv"
        params = _own_conv_params(mod) if kind == "conv" else sum(p.numel() for p in mod.parameters())
        layers.append(LayerCount(label, kind, type(mod).__name__, tuple(inp[1:]), tuple(out[1:]),
                                 _macs(mod, inp, out), params))
    conv_params = sum(_own_conv_params(m) for m in counted.values() if not isinstance(m, nn.Linear))
    return Complexity(
        multiplications=sum(layer.multiplications for layer in layers),
        parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
        conv_parameters=conv_params,
        layers=tuple(layers),
        input_size=size,
    )
