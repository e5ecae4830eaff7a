"""Inference-time fusion: fold BatchNorm into the single-basis steps and run each as `suite.ops.single_basis_step`.

`fuse_for_inference(model)` returns an eval-mode copy of `model` where every `SingleBasisConv2d` with
BatchNorm and a dense projection (Models E, F; Model L's pairs are two of them) runs as one fused FCNN
Alg. 3 step (depthwise k×k + 1×1 projection + residual + ReLU, on the layer's backend):

    BN1(x ⋆ₘ basis) = x ⋆ₘ (basis·s1) + t1,  BN2(P·g) = (s2·P)·g + t2,  s = γ/√(σ²+ε), t = β − μ·s.

Fusion is never slower: given an example input (or the model's `input_size`, batch 1), each fusable layer
is timed on the input it sees in the model as the fused step on every candidate backend (the layer's own
backend, or with "auto" every implementation `auto` would measure: torch, reconstructed, the kernels that
fit) AND as the unfused layer (BatchNorm included); the fastest stays. A layer may stay unfused. Then the
result is timed whole against the unfused model and the faster of the two is returned. The choices are in
the copy's `fusion_choices` ({layer name or "(whole model)": {candidate: seconds, "chosen": candidate}}).
`measure=False` fuses every layer unmeasured (the layer's backend then picks per call).
The copy uses the running statistics, so it is for inference only (it raises in training mode).
"""
from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from .. import ops
from ..ops import autotune, registry
from .fcnn import SingleBasisConv2d

UNFUSED = "unfused"
WHOLE = "(whole model)"  # the fusion_choices entry of the final whole-model comparison
Timer = Callable[[str, str, Callable[[], object]], float]  # (layer name, candidate, call) -> seconds


def _bn_affine(bn: nn.BatchNorm2d):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return s, bn.bias - bn.running_mean * s


def fold_step(basis, bn1, projection, bn2):
    """(basis (m,k,k), bias1 (m,), projection (n,m), bias2 (n,)) of BN2(P·BN1(x ⋆ₘ basis)), detached."""
    with torch.no_grad():
        basis, proj = basis.clone(), projection.clone()
        bias1 = torch.zeros(basis.shape[0], dtype=basis.dtype, device=basis.device)
        bias2 = torch.zeros(proj.shape[0], dtype=basis.dtype, device=basis.device)
        if bn1 is not None:
            s1, bias1 = _bn_affine(bn1)
            basis = basis * s1[:, None, None]
        if bn2 is not None:
            s2, bias2 = _bn_affine(bn2)
            proj = proj * s2[:, None]
    return basis.contiguous(), bias1.contiguous(), proj.contiguous(), bias2.contiguous()


class FusedSingleBasisConv2d(nn.Module):
    """`SingleBasisConv2d` (with BatchNorm) as one fused `suite.ops.single_basis_step`; same call signature."""

    def __init__(self, layer: SingleBasisConv2d):
        super().__init__()
        self.basis, self.bias1, self.projection, self.bias2 = fold_step(layer.basis, layer.bn1, layer.projection,
                                                                        layer.bn2)
        self.residual, self.backend = layer.residual, layer.backend

    def forward(self, x, shortcut=None):
        if self.training:
            raise RuntimeError("FusedSingleBasisConv2d folds BatchNorm running statistics: "
                               "inference only (call .eval())")
        residual = self.residual if shortcut is None else shortcut
        return ops.single_basis_step(x, self.basis, self.projection, bias1=self.bias1, bias2=self.bias2,
                                     residual=residual, backend=self.backend)


def fusable(layer: nn.Module) -> bool:
    """A single-basis step with BatchNorm and a dense 1×1 projection (what the fused op computes)."""
    return isinstance(layer, SingleBasisConv2d) and layer.bn1 is not None and layer.topology is None


def _fused(layer: SingleBasisConv2d, backend: str) -> FusedSingleBasisConv2d:
    out = FusedSingleBasisConv2d(layer).eval()
    out.backend = backend
    return out


def _inputs(model: nn.Module, names: list[str], example: torch.Tensor) -> dict[str, tuple]:
    """(args, kwargs) of the first call of each named layer when `model` runs on `example`."""
    seen, hooks = {}, []
    modules = dict(model.named_modules())
    for name in names:
        def hook(module, args, kwargs, name=name):
            seen.setdefault(name, (args, kwargs))
        hooks.append(modules[name].register_forward_pre_hook(hook, with_kwargs=True))
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in hooks:
            h.remove()
    return seen


def candidates(layer: SingleBasisConv2d, x: torch.Tensor) -> list[str]:
    """The fused step's backends to time for `layer` on x: its own backend, or with "auto" every
    implementation `auto` would measure (not torch's channels-last variant: the layer's input decides it)."""
    if layer.backend != "auto":
        return [layer.backend]
    return [name for name in registry.auto_candidates("single_basis_step", x) if name != autotune.CHANNELS_LAST]


def median_seconds(fn: Callable[[], object], budget: float = 0.05, reps: int = 50) -> float:
    """Median seconds per call of fn after one warm-up (CUDA synchronized), over ≥ 3 calls within `budget`."""
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    fn()
    sync()
    times: list[float] = []
    while len(times) < 3 or (sum(times) < budget and len(times) < reps):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _default_timer(name: str, candidate: str, fn: Callable[[], object]) -> float:
    return median_seconds(fn)


def _example(model: nn.Module, example_input) -> torch.Tensor | None:
    if example_input is not None:
        return example_input
    size = getattr(model, "input_size", None)
    if size is None:
        return None
    p = next(model.parameters())
    return torch.randn(1, *size, dtype=p.dtype, device=p.device)


def fuse_for_inference(model: nn.Module, example_input: torch.Tensor | None = None, *, measure: bool = True,
                       timer: Timer | None = None) -> nn.Module:
    """An eval-mode copy of `model` whose single-basis steps run fused where that is fastest (module doc).

    `example_input`: the input to time the layers on (default: batch 1 of `model.input_size`; a model
    without one is fused unmeasured). `timer(layer name, candidate, call) -> seconds`: how a candidate is
    timed (default: the median of a few synchronized calls)."""
    fused = copy.deepcopy(model).eval()
    names = [name for name, mod in fused.named_modules() if fusable(mod)]
    example = _example(fused, example_input) if measure else None
    seen = _inputs(fused, names, example) if example is not None else {}
    timer = timer or _default_timer
    modules = dict(fused.named_modules())
    fused.fusion_choices = {}
    for name in names:
        layer = modules[name]
        backends = candidates(layer, seen[name][0][0]) if name in seen else [layer.backend]
        forms = {b: _fused(layer, b) for b in backends}
        if name in seen:
            args, kwargs = seen[name]
            forms[UNFUSED] = layer
            with torch.no_grad():
                times = {c: timer(name, c, lambda m=m, a=args, k=kwargs: m(*a, **k)) for c, m in forms.items()}
            best = min(times, key=times.get)
            fused.fusion_choices[name] = {**times, "chosen": best}
        else:
            best = layer.backend
        parent_name, _, attr = name.rpartition(".")
        setattr(modules[parent_name] if parent_name else fused, attr, forms[best])
    if seen and example is not None:
        return _whole_model_check(model, fused, example, timer)
    return fused


def _whole_model_check(model: nn.Module, fused: nn.Module, example: torch.Tensor, timer: Timer) -> nn.Module:
    """The faster of the per-layer result and the unfused eval-mode model, timed whole on `example`: layers that
    were each faster alone can still lose together (caches, launches), and the copy must never be slower."""
    plain = copy.deepcopy(model).eval()
    with torch.no_grad():
        times = {"fused": timer(WHOLE, "fused", lambda: fused(example)),
                 UNFUSED: timer(WHOLE, UNFUSED, lambda: plain(example))}
    choices = {**fused.fusion_choices, WHOLE: {**times, "chosen": min(times, key=times.get)}}
    out = fused if times["fused"] <= times[UNFUSED] else plain
    out.fusion_choices = choices
    return out
