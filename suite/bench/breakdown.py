"""`python -m suite.bench --breakdown`: per-layer times of Model L and ResNet-18 from the torch profiler (what
bounds the model ratio)."""
from __future__ import annotations

import math
import time
from typing import Callable

import torch

from suite.bench import shapes as S
from suite.bench.machine import _best_seconds


class _ConvShapes(torch.overrides.TorchFunctionMode):
    """Records, for every F.conv2d / F.linear of an eager forward, (input shape, weight shape) -> (MACs, kind)."""

    def __init__(self):
        super().__init__()
        self.seen: dict[tuple, tuple[int, str]] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in (torch.nn.functional.conv2d, torch.conv2d, torch.nn.functional.linear):
            x, w = args[0], args[1] if len(args) > 1 else kwargs["weight"]
            macs = out.numel() * math.prod(w.shape[1:])
            groups = (x.shape[1] // w.shape[1]) if w.ndim == 4 else 1
            kind = ("fc" if w.ndim == 2 else "depthwise" if groups > 1 and groups == x.shape[1] else
                    f"{w.shape[2]}x{w.shape[3]}" + (f" /{groups}" if groups > 1 else ""))
            self.seen[(tuple(x.shape), tuple(w.shape))] = (macs, kind)
        return out


def _layer_key(shapes: list, seen: dict) -> tuple | None:
    """(input shape, weight shape) of a profiled event: the first pair of consecutive 4-D (or 2-D) argument shapes
    that the eager forward recorded (an in-place `_convolution_pointwise_` lists the residual it adds to first)."""
    dims = [tuple(v) for v in shapes if isinstance(v, (list, tuple)) and len(v) in (2, 4)]
    return next(((x, w) for x, w in zip(dims, dims[1:]) if (x, w) in seen), None)


def layer_profile(forward: Callable, eager: Callable, repeats: int) -> dict:
    """Per-layer time of `forward` (any form, compiled ones included) from the torch profiler: each outermost
    conv/linear event (its time inclusive of the events it calls) grouped by input and weight shapes, mean of
    `repeats` forwards; MACs and kind per layer from one `eager` forward of the same network. Also the wall
    time per forward without the profiler (best of `repeats`) and with it."""
    from torch.profiler import ProfilerActivity, profile

    shapes = _ConvShapes()
    with torch.no_grad():
        with shapes:
            eager()
        wall = _best_seconds(forward, repeats) * 1e3  # its first call warms (compilation, oneDNN primitives)
        t0 = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(repeats):
                forward()
        wall_prof = (time.perf_counter() - t0) * 1e3 / repeats
    groups: dict[tuple, list[float]] = {}
    for ev in prof.events():
        key = _layer_key(ev.input_shapes or [], shapes.seen)
        if key is None:
            continue
        parent, nested = ev.cpu_parent, False
        while parent is not None and not nested:
            nested = _layer_key(parent.input_shapes or [], shapes.seen) == key
            parent = parent.cpu_parent
        if not nested:
            g = groups.setdefault(key, [0, 0.0])
            g[0] += 1
            g[1] += ev.cpu_time_total / 1e3
    rows = []
    for key, (count, total_ms) in groups.items():
        macs, kind = shapes.seen[key]
        calls, ms = count / repeats, total_ms / repeats
        rows.append({"kind": kind, "input": key[0], "weight": key[1], "calls": calls, "ms": ms,
                     "macs": macs * calls, "gflops": 2 * macs * calls / (ms * 1e6) if ms else float("nan")})
    rows.sort(key=lambda r: -r["ms"])
    return {"wall_ms": wall, "wall_prof_ms": wall_prof, "rows": rows}


def _fmt_shape(t) -> str:
    return "x".join(str(v) for v in t)


def breakdown(repeats: int, quick: bool) -> str:
    """Per-layer times of Model L's and ResNet-18's fastest forms (torch.compile with freezing, channels-last)
    at the target batches, from the torch profiler (markdown): per layer shape its calls, ms per forward, share,
    and GFLOP/s (2 × MACs / time), then the share of each layer kind and what the ratio would be if Model L's
    layers ran at ResNet-18's overall GFLOP/s."""
    from suite import models
    from suite.bench.cases import _cl, _cl_copy
    from suite.bench.compiler import FREEZING, Compiler

    lines = ["Per-layer profile of each network's fastest form (torch.compile with freezing, channels-last; the "
             "torch profiler's CPU time of each outermost conv/linear call, the calls it makes included, per input and "
             f"weight shape, mean of {repeats} forwards; under the profiler, so times are a little above the "
             "benchmark's).", ""]
    for N in S.MODEL_BATCHES:
        n = 2 if quick and N > 1 else N
        summary = {}
        for name in ("fcnn-l", "resnet18"):
            net = models.build(name, backend="torch").eval()
            x = torch.randn(n, *((3, 64, 64) if quick else net.input_size), generator=torch.Generator().manual_seed(0))
            compiler, key = Compiler(True, math.inf), f"{name} N={n}"
            compiled = compiler.build(key, _cl_copy(net), (_cl(x),), FREEZING)
            if compiled is None:  # no working torch.compile here: say so rather than profile another form
                raise RuntimeError(f"--breakdown profiles the torch.compile form: {compiler.reasons[key]}")
            prof = layer_profile(compiled, lambda: net(x), repeats)
            layers_ms = sum(r["ms"] for r in prof["rows"])
            macs = sum(r["macs"] for r in prof["rows"])
            wp = prof["wall_prof_ms"]
            summary[name] = {"wall": prof["wall_ms"], "wall_prof": wp, "macs": macs, "layers_ms": layers_ms}
            lines += [f"**{name}, N={n}**: {prof['wall_ms']:.1f} ms per forward (best of {repeats}), {wp:.1f} ms under "
                      f"the profiler; conv/fc layers {layers_ms:.1f} ms of it ({100 * layers_ms / wp:.0f} %), "
                      f"{2 * macs / (layers_ms * 1e6):.0f} GFLOP/s over their {macs / 1e9 / n:.3f} G MACs per "
                      "image.", "",
                      "| layer kind | input | weight | calls | ms / forward | share | GFLOP/s |",
                      "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
            by_kind: dict[str, list[float]] = {}
            for r in prof["rows"]:
                lines.append(f"| {r['kind']} | {_fmt_shape(r['input'])} | {_fmt_shape(r['weight'])} | {r['calls']:g} | "
                             f"{r['ms']:.2f} | {100 * r['ms'] / wp:.1f} % | {r['gflops']:.0f} |")
                k = by_kind.setdefault(r["kind"], [0.0, 0.0])
                k[0] += r["ms"]
                k[1] += r["macs"]
            lines += ["", "By kind: " + "; ".join(
                f"{k} {v[0]:.1f} ms ({100 * v[0] / wp:.0f} %, {2 * v[1] / (v[0] * 1e6):.0f} GFLOP/s)"
                for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1][0])) +
                f"; outside the conv/fc layers (pools, adds, the compiled graph's wrapper) "
                f"{wp - layers_ms:.1f} ms.", ""]
        ours, base = summary["fcnn-l"], summary["resnet18"]
        base_rate = base["macs"] / base["layers_ms"]
        at_base_rate = ours["macs"] / base_rate + (ours["wall_prof"] - ours["layers_ms"])
        lines += [f"N={n}: ratio {base['wall'] / ours['wall']:.2f}x without the profiler, "
                  f"{base['wall_prof'] / ours['wall_prof']:.2f}x under it (multiplications "
                  f"{base['macs'] / ours['macs']:.2f}x). If Model L's conv/fc layers ran at ResNet-18's overall rate "
                  f"({2 * base_rate / 1e6:.0f} GFLOP/s) and "
                  f"the rest stayed, Model L would take {at_base_rate:.1f} ms under the profiler: "
                  f"{base['wall_prof'] / at_base_rate:.2f}x.", ""]
    return "\n".join(lines)

