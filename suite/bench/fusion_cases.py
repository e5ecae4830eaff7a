"""Fused vs unfused inference (issue: "a fused model is never slower than the model it came from") and the host
cost of an `auto` cache hit; both run on the CPU run and the GPU run alike.

Fusion: Model X (E, F, L) in eval mode, its layers on `torch` and on `auto` (the model it came from), against
`suite.layers.fusion.fuse_for_inference` of the `auto` model (BatchNorm folded into fused single-basis steps),
forward, float32, at N = 1 and 32 (quick/tiny: a 64×64 input).

`auto` overhead: `single_basis_step` on a 1×8×4×4 input (a call of microseconds, so the dispatch cost shows):
host microseconds per call through `backend="auto"` (a cache hit after the first call) minus the same call with
the backend `auto` chose named explicitly. Interleaved batches of calls, medians.
"""
from __future__ import annotations

import statistics
import time

import torch

from suite.bench import shapes as S


def fusion_forms(name: str, N: int, device: str, small: bool) -> dict:
    """{member: zero-argument forward}: "base: torch", "base: auto" (unfused) and "ours: fused (auto)"."""
    from suite import models
    from suite.layers.fusion import fuse_for_inference

    forms = {}
    for backend in ("torch", "auto"):
        model = models.build(name, backend=backend).eval().to(device)
        size = (3, 64, 64) if small else model.input_size
        x = torch.randn(N, *size, generator=torch.Generator().manual_seed(0)).to(device)
        forms[f"base: {backend}"] = (lambda m, x_: lambda: m(x_))(model, x)
    forms["ours: fused (auto)"] = (lambda m, x_: lambda: m(x_))(fuse_for_inference(model, x), x)  # chosen at this N
    return forms


def _tiny_step_args(device: str):
    g = torch.Generator().manual_seed(0)
    n, c, h, w = S.AUTO_OVERHEAD_SHAPE
    x = torch.randn(n, c, h, w, generator=g).to(device)
    basis, proj = torch.randn(c, 3, 3, generator=g).to(device), torch.randn(c, c, generator=g).to(device)
    return x, basis, proj, torch.randn(c, generator=g).to(device), torch.randn(c, generator=g).to(device)


def auto_choice(op: str, args) -> str | None:
    """The backend `auto` uses for this call (from its cache; None if the registry cannot say)."""
    try:
        from suite.ops import autotune, registry

        if not autotune.enabled():
            return registry.auto_backend(op, args[0])
        candidates = registry.auto_candidates(op, args[0], autotune.needs_grad(args))
        return autotune.choose(op, args, candidates)
    except Exception:  # noqa: BLE001 - an autotune whose internals moved: the caller times every backend instead
        return None


def _explicit(choice: str, x, rest) -> tuple[str, callable]:
    """The chosen backend named explicitly ('torch-channels-last': the reference on channels-last x)."""
    from suite import ops

    if choice == "torch-channels-last":
        xc = x.contiguous(memory_format=torch.channels_last)
        return "torch on channels-last x", lambda: ops.single_basis_step(xc, *rest[:2], bias1=rest[2],
                                                                          bias2=rest[3], backend="torch")
    return choice, lambda: ops.single_basis_step(x, *rest[:2], bias1=rest[2], bias2=rest[3], backend=choice)


def auto_overhead(host_us, device: str, calls: int = 400, repeats: int = 9) -> dict:
    """Host µs per call via auto, via the chosen backend, and their difference (see module docstring).
    `host_us(fn, calls)` is the device's host timer."""
    from suite import ops

    x, *rest = _tiny_step_args(device)
    args = (x, rest[0], rest[1], rest[2], rest[3], True)
    with torch.no_grad():
        def via_auto():
            return ops.single_basis_step(x, rest[0], rest[1], bias1=rest[2], bias2=rest[3], backend="auto")

        via_auto()  # the miss: measures the candidates once
        choice = auto_choice("single_basis_step", args)
        if choice is None:
            return {"error": "could not read auto's choice from suite.ops.autotune", "shape": _shape()}
        name, explicit = _explicit(choice, x, rest)
        explicit()
        t_auto, t_explicit = [], []
        for _ in range(repeats):  # interleaved, so a change of load hits both alike
            t_auto.append(host_us(via_auto, calls))
            t_explicit.append(host_us(explicit, calls))
    auto_us, explicit_us = statistics.median(t_auto), statistics.median(t_explicit)
    return {"op": "single_basis_step", "shape": _shape(), "chosen": name, "auto_us": auto_us,
            "explicit_us": explicit_us, "overhead_us": auto_us - explicit_us, "calls": calls, "repeats": repeats}


def _shape() -> str:
    return "x".join(map(str, S.AUTO_OVERHEAD_SHAPE))


def cpu_host_us(fn, calls: int) -> float:
    """Host µs per call on the CPU (perf_counter over `calls` calls)."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6
