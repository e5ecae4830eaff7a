"""`python -m suite.bench`: kernel speed vs the best PyTorch layers, as ratios measured in one run, with the targets.

It runs the pytest-benchmark module `suite.bench_compare` (the cases of `suite.bench_cases`, shapes from
`suite.bench_shapes`): per shape (a group) our Numba kernel, every PyTorch form of the same factorized
operator (eager NCHW, channels-last, `torch.compile`, tltorch's CP `FactorizedConv`) and the dense PyTorch
layer it replaces (same forms); Model L vs ResNet-18 inference at N = 32 and 1 (each model's forms: Model L
on `torch`, on `auto`, fused); one SGD step of models E, K, L on `auto` vs `torch`. Forward, float32. The
whole list is timed `--passes` times, pass after pass, and each form keeps its best (minimum) time, so a
change of load hits every form alike. It prints ms, speedup vs the best dense and the best factorized form,
GFLOP/s (2 × the papers' multiplication count / time) beside the machine's measured sgemm peak, peak extra
memory (RSS high-water mark of the call minus RSS before it, in a child process whose glibc returns every
block >= 128 KiB to the OS), and each target of the kernels with its status (met / missed, with the ratio).

    python -m suite.bench                 # full run (the README table)
    python -m suite.bench --quick         # tiny shapes, one short pass (CI smoke)
    python -m suite.bench --json out.json # keep the pytest-benchmark JSON of the run
    python -m suite.bench --markdown-from out.json   # the README table of a saved run
    python -m suite.bench --breakdown     # per-layer times of Model L and ResNet-18 (what bounds the ratio)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch

from suite import bench_shapes as S
from suite.bench_cases import case_by_key
from suite.host import atomic_write_bytes

MMAP_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "0"}


# ---------------------------------------------------------------- memory (child process)
def _rss_kib(field_: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_):
                return int(line.split()[1])
    raise RuntimeError(f"{field_} not in /proc/self/status")


def peak_extra_bytes(fn: Callable) -> int:
    """RSS high-water mark during fn() minus RSS before it (Linux; needs MMAP_ENV for honesty)."""
    with torch.no_grad():
        fn()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        before = _rss_kib("VmRSS")
        out = fn()
        peak = _rss_kib("VmHWM")
    del out
    return max(0, (peak - before) * 1024)


def _memory_child(key: str, quick: bool) -> None:
    made = case_by_key(key, quick).make()
    # eager forms only (compiled graphs are measured by time)
    print(json.dumps({member: peak_extra_bytes(fn) for member, fn in made.items() if not isinstance(fn, tuple)}))


def measure_memory(key: str, quick: bool) -> dict | str:
    """{member: peak extra bytes} of every eager form of case `key`, measured in a child process."""
    env = dict(os.environ, **MMAP_ENV)
    cmd = [sys.executable, "-m", "suite.bench", "--memory-child", key] + (["--quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except Exception as err:
        return f"memory probe failed: {type(err).__name__}: {err}"


# ---------------------------------------------------------------- report
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
              "amx_tile", "amx_bf16", "neon", "asimd", "sve")
LOAD_LIMIT = 0.3  # 1-minute load above this (beyond the run's own threads) marks a run as taken under load


def _cpuinfo() -> tuple[str, list[str]]:
    cpu, flags = platform.processor() or "?", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == "model name" and cpu in ("?", platform.processor()):
                    cpu = value.strip()
                elif name.strip() in ("flags", "Features") and not flags:
                    flags = value.split()
    except OSError:
        pass
    return cpu, [f for f in SIMD_FLAGS if f in flags]


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict:
    import numba

    cpu, isa = _cpuinfo()
    return {"cpu": cpu, "isa": isa, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "numba_threads": numba.get_num_threads(), "torch": torch.__version__, "numba": numba.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "python": platform.python_version(),
            "load_before": load_average()}


def judge_load(m: dict) -> None:
    """Record the load after the run and whether the run counts for the README: idle before (1-minute load
    <= LOAD_LIMIT) and, after, no load beyond the run's own threads plus LOAD_LIMIT."""
    m["load_after"] = load_average()
    threads = max(m["torch_threads"], m["numba_threads"])
    before, after = (m["load_before"] or [0.0])[0], (m["load_after"] or [0.0])[0]
    reasons = []
    if before > LOAD_LIMIT:
        reasons.append(f"1-minute load {before:.2f} before the run (limit {LOAD_LIMIT})")
    if after > threads + LOAD_LIMIT:
        reasons.append(f"1-minute load {after:.2f} after the run (limit {threads} own threads + {LOAD_LIMIT})")
    m["valid_for_readme"] = not reasons
    m["load_note"] = "; ".join(reasons) or "idle machine"


def _best_seconds(fn, repeats: int = 5) -> float:
    fn()
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def machine_peaks() -> dict:
    """This machine's sgemm peak (float32 1024³ matmul: torch on all its threads, and the single-threaded BLAS
    that the Numba kernels call once per thread) and copy bandwidth (256 MiB, read + write bytes)."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    an, bn = a.numpy(), b.numpy()
    with threadpool_limits(1, user_api="blas"):
        blas1 = 2 * n**3 / _best_seconds(lambda: np.dot(an, bn)) / 1e9
    src = torch.randn(64 * 2**20)
    dst = torch.empty_like(src)
    return {"sgemm_gflops_torch": 2 * n**3 / _best_seconds(lambda: torch.mm(a, b)) / 1e9,
            "sgemm_gflops_blas_1thread": blas1,
            "copy_gbs": 2 * src.numel() * 4 / _best_seconds(lambda: dst.copy_(src)) / 1e9}


# ---------------------------------------------------------------- the pytest-benchmark JSON -> rows
def _best_by_case(data: dict) -> dict[str, dict]:
    """{case key: {"info": extra_info, "ms": {member: best ms over passes}, "extra": {member: bytes}}}."""
    out: dict[str, dict] = {}
    for b in data.get("benchmarks", []):
        info = b.get("extra_info") or {}
        if "member" not in info:
            continue
        case = out.setdefault(b["group"], {"info": info, "ms": {}, "extra": {}})
        member, ms = info["member"], b["stats"]["min"] * 1e3
        case["ms"][member] = min(case["ms"].get(member, math.inf), ms)
        if "extra_bytes" in info:
            case["extra"][member] = info["extra_bytes"]
        elif "memory_error" in info:
            case["memory_error"] = info["memory_error"]
    return out


def _best(ms: dict, prefix: str) -> tuple[str, float]:
    forms = {k: v for k, v in ms.items() if k.startswith(prefix)}
    name = min(forms, key=forms.get)
    return name[len(prefix):].strip(), forms[name]


def op_row(key: str, case: dict) -> dict:
    info, ms = case["info"], case["ms"]
    fact, fact_ms = _best(ms, "fact:")
    dense, dense_ms = _best(ms, "dense:")
    ours = ms["ours"]
    row = {"group": info["group"], "shape": info["shape"], "info": info, "ours_ms": ours, "best_fact": fact,
           "best_fact_ms": fact_ms, "best_dense": dense, "best_dense_ms": dense_ms, "speedup_vs_dense": dense_ms / ours,
           "speedup_vs_fact": fact_ms / ours, "mult_ratio": info["dense_macs"] / info["macs"],
           "gflops": 2 * info["macs"] / ours / 1e6, "dense_gflops": 2 * info["dense_macs"] / dense_ms / 1e6,
           "all_ms": ms}
    bounds = {k: v for k, v in ms.items() if k.startswith("bound:")}
    if bounds:  # the factorized form's GEMM alone: no step whose GEMM is as fast as torch's beats fact_ms / this
        row["bound_ms"] = min(bounds.values())
        row["bound_vs_fact"] = fact_ms / row["bound_ms"]
    peers = {k: v for k, v in ms.items() if "tltorch" in k}
    if peers:
        row["speedup_vs_tltorch"] = {k.split("FactorizedConv")[-1].strip(): v / ours for k, v in peers.items()}
    if "ours" in case["extra"]:
        row["extra_over_input"] = case["extra"]["ours"] / info["input_bytes"]
        row["ours_extra_mb"] = case["extra"]["ours"] / 2**20
    elif "memory_error" in case:
        row["memory_error"] = case["memory_error"]
    return row


def pair_row(key: str, case: dict) -> dict:
    """Model and training cases: our best form vs the baseline's best form."""
    info, ms = case["info"], case["ms"]
    ours, ours_ms = _best(ms, "ours:")
    base, base_ms = _best(ms, "base:")
    return {"kind": info["kind"], "group": info["group"], "shape": info["shape"], "info": info, "ours": ours,
            "ours_ms": ours_ms, "base": base, "base_ms": base_ms, "speedup": base_ms / ours_ms, "all_ms": ms}


def summarize(data: dict) -> dict:
    """The table of a pytest-benchmark JSON written by `suite.bench_compare`."""
    if "benchmarks" not in data or "suite" not in data.get("machine_info", {}):
        raise ValueError("expected the pytest-benchmark JSON of `python -m suite.bench` or of "
                         "`pytest --pyargs suite.bench_compare --benchmark-json FILE` (no machine_info.suite found)")
    by_case = _best_by_case(data)
    result = {"machine": data["machine_info"]["suite"], "suite": data.get("suite", {}), "rows": [], "pairs": []}
    for key, case in by_case.items():
        if case["info"]["kind"] == "op":
            if "ours" in case["ms"] and any(k.startswith("dense:") for k in case["ms"]):
                result["rows"].append(op_row(key, case))
        elif any(k.startswith("ours:") for k in case["ms"]) and any(k.startswith("base:") for k in case["ms"]):
            result["pairs"].append(pair_row(key, case))
    result["targets"] = targets(result)
    return result


# ---------------------------------------------------------------- targets
TRAIN_TOLERANCE = 0.95  # "no slower": auto's step within the 5 % that repeated measurements of one step vary


def targets(result: dict) -> list[dict]:
    """The kernels' speed targets, each with its measured value and status (float32, N = 32, forward)."""
    out = []

    def add(what, shape, value, goal, higher=True, unit="x", bound=""):
        out.append({"target": what, "shape": shape, "value": value, "goal": goal, "unit": unit, "bound": bound,
                    "met": value >= goal if higher else value <= goal})

    for r in result["rows"]:
        g, info = r["group"], r["info"]
        if g.startswith("single-basis"):
            bound = (f"<= {r['bound_vs_fact']:.2f}x: the best factorized form takes {r['best_fact_ms']:.2f} ms, its "
                     f"projection GEMM alone {r['bound_ms']:.2f} ms") if "bound_vs_fact" in r else ""
            add("single-basis step >= 1.2x the best PyTorch factorized form", r["shape"], r["speedup_vs_fact"], 1.2,
                bound=bound)
        elif g.startswith("topological"):
            need = 2.5 * r["dense_gflops"] / r["mult_ratio"]
            bound = (f"needs {need:.0f} GFLOP/s of sparse channel gathers ({r['mult_ratio']:.1f}x fewer multiplications"
                     f" than the dense GEMM at its {r['dense_gflops']:.0f}); ours {r['gflops']:.0f}")
            add("topological 1x1 >= 2.5x the dense 1x1", r["shape"], r["speedup_vs_dense"], 2.5, bound=bound)
        elif g.startswith("HO-CP"):
            goal = 1.5 if info["R"] <= 3 * info["C"] else 1.0
            add(f"HO-CP 3-D >= {goal}x dense Conv3d (R = {info['R'] // info['C']}C)", r["shape"], r["speedup_vs_dense"], goal)
            if "extra_over_input" in r:
                add("HO-CP 3-D peak extra memory <= 2x the input", r["shape"], r["extra_over_input"], 2.0, False, "x input")
    for p in result["pairs"]:
        if p["kind"] == "model":
            add("Model L inference >= 2.5x ResNet-18 (fastest form each)", p["shape"], p["speedup"], 2.5)
        else:
            add(f"training step on auto no slower than on torch (>= {TRAIN_TOLERANCE})", p["shape"], p["speedup"],
                TRAIN_TOLERANCE)
    return out


# ---------------------------------------------------------------- report
def _row_line(r: dict) -> str:
    mem = f"{r['ours_extra_mb']:.1f} MB ({r['extra_over_input']:.2f}x input)" if "ours_extra_mb" in r else r.get("memory_error", "?")
    return (f"{r['group']:<42} {r['shape']:<44} ours {r['ours_ms']:8.2f} ms | vs dense {r['speedup_vs_dense']:5.2f}x "
            f"({r['best_dense']}) | vs factorized {r['speedup_vs_fact']:5.2f}x ({r['best_fact']}) | "
            f"{r['gflops']:6.1f} GFLOP/s | extra mem {mem}")


def markdown(result: dict) -> str:
    m, s = result["machine"], result["suite"]
    load = (f"Load average (1, 5, 15 min) before {m.get('load_before', '?')}, after {m.get('load_after', '?')}: "
            + ("idle, valid for the README." if m.get("valid_for_readme") else
               f"**NOT VALID FOR THE README** ({m.get('load_note', 'load not recorded')})."))
    peaks = (f"Measured sgemm peak {m['sgemm_gflops_torch']:.0f} GFLOP/s (torch, {m['torch_threads']} threads), "
             f"{m['sgemm_gflops_blas_1thread']:.0f} GFLOP/s (the kernels' BLAS, 1 thread); copy bandwidth "
             f"{m['copy_gbs']:.1f} GB/s." if "sgemm_gflops_torch" in m else "")
    lines = [f"Machine: {m['cpu']} ({', '.join(m.get('isa', [])) or 'ISA flags not recorded'}), {m['cores']} cores, "
             f"torch {m['torch']} ({m['cpu_capability']}, {m['torch_threads']} threads), numba {m['numba']} "
             f"({m['numba_threads']} threads). {peaks}", load,
             f"{'Quick run (tiny shapes): not the targets. ' if s.get('quick') else ''}Best of {s.get('passes', '?')} "
             "pass(es) per form (pytest-benchmark minimum).", "",
             "| operator | shape | ours ms | vs best dense | vs best factorized (form) | mult. ratio (paper count) | GFLOP/s | extra mem / input |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for r in result["rows"]:
        mem = f"{r['extra_over_input']:.2f}" if "extra_over_input" in r else "n/a"
        peer = ("; vs tltorch " + ", ".join(f"{k} {v:.2f}x" for k, v in r["speedup_vs_tltorch"].items())
                if "speedup_vs_tltorch" in r else "")
        lines.append(f"| {r['group']} | {r['shape']} | {r['ours_ms']:.2f} | {r['speedup_vs_dense']:.2f}x | "
                     f"{r['speedup_vs_fact']:.2f}x ({r['best_fact']}){peer} | {r['mult_ratio']:.2f}x | {r['gflops']:.0f} | {mem} |")
    if result["pairs"]:
        lines += ["", "| comparison | shape | ours ms (fastest form) | baseline ms (fastest form) | speedup | mult. ratio |",
                  "| --- | --- | ---: | ---: | ---: | ---: |"]
        for p in result["pairs"]:
            ratio = f"{p['info']['mult_ratio']:.2f}x" if "mult_ratio" in p["info"] else ""
            lines.append(f"| {p['group']} | {p['shape']} | {p['ours_ms']:.1f} ({p['ours']}) | {p['base_ms']:.1f} ({p['base']}) | "
                         f"{p['speedup']:.2f}x | {ratio} |")
    if result["targets"]:
        lines += ["", "| target | shape | measured | status | what bounds it (this run) |", "| --- | --- | ---: | --- | --- |"]
        for t in result["targets"]:
            lines.append(f"| {t['target']} | {t['shape']} | {t['value']:.2f}{t['unit']} | "
                         f"{'met' if t['met'] else '**missed**'} | {t.get('bound', '')} |")
    if s.get("compile_excluded"):
        lines += ["", "torch.compile forms excluded: " + "; ".join(sorted(set(s["compile_excluded"].values())))]
    return "\n".join(lines)


# ---------------------------------------------------------------- per-layer breakdown of the models
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
    from suite.bench_cases import FREEZING, Compiler, _cl, _cl_copy

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
                      f"{2 * macs / (layers_ms * 1e6):.0f} GFLOP/s over their {macs / 1e9 / n:.3f} G MACs per image.", "",
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
                  f"{base['wall_prof'] / ours['wall_prof']:.2f}x under it (multiplications {base['macs'] / ours['macs']:.2f}x). "
                  f"If Model L's conv/fc layers ran at ResNet-18's overall rate ({2 * base_rate / 1e6:.0f} GFLOP/s) and "
                  f"the rest stayed, Model L would take {at_base_rate:.1f} ms under the profiler: "
                  f"{base['wall_prof'] / at_base_rate:.2f}x.", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- the run
def run_pytest(json_path: Path, quick: bool, passes: int, compile_: bool, budget: float, only: str | None,
               memory: bool, rounds: int, max_time: float) -> int:
    """Run `suite.bench_compare` under pytest-benchmark in this process; its JSON goes to `json_path`."""
    import pytest

    os.environ.update({"SUITE_BENCH_QUICK": "1" if quick else "0", "SUITE_BENCH_PASSES": str(passes),
                       "SUITE_BENCH_COMPILE": "1" if compile_ else "0", "SUITE_BENCH_COMPILE_BUDGET": str(budget),
                       "SUITE_BENCH_ONLY": only or "", "SUITE_BENCH_MEMORY": "1" if memory else "0"})
    return pytest.main(["-p", "no:randomly", "-p", "no:cacheprovider", "-q", "--pyargs", "suite.bench_compare",
                        f"--benchmark-json={json_path}", f"--benchmark-min-rounds={rounds}",
                        f"--benchmark-max-time={max_time}", "--benchmark-warmup=off", "--benchmark-disable-gc",
                        "--benchmark-columns=min,median,rounds", "--benchmark-sort=name"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny shapes, one short pass (CI)")
    ap.add_argument("--passes", type=int, default=None, help="passes over the whole list (each form keeps its best)")
    ap.add_argument("--rounds", type=int, default=None, help="pytest-benchmark's minimum rounds per form and pass")
    ap.add_argument("--max-time", type=float, default=None, help="pytest-benchmark's seconds per form and pass")
    ap.add_argument("--json", metavar="PATH", help="keep the run's pytest-benchmark JSON (written atomically)")
    ap.add_argument("--no-compile", action="store_true", help="exclude torch.compile forms")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory probe")
    ap.add_argument("--compile-budget", type=float, default=240.0, help="seconds of torch.compile before skipping")
    ap.add_argument("--only", choices=["single", "topological", "ho-cp", "model", "training"], help="one group only")
    ap.add_argument("--markdown-from", metavar="PATH", help="print the README table of a saved --json run")
    ap.add_argument("--breakdown", action="store_true", help="per-layer times of Model L and ResNet-18 instead")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child is not None:
        _memory_child(args.memory_child, args.quick)
        return 0
    if args.markdown_from:
        try:  # a file that is not a saved run: one line and the bad-input code, no traceback
            with open(args.markdown_from) as f:
                table = markdown(summarize(json.load(f)))
        except (OSError, ValueError, LookupError, TypeError, AttributeError) as err:
            print(f"error: --markdown-from {args.markdown_from}: expected the JSON of a saved `python -m suite.bench "
                  f"--json` run ({type(err).__name__}: {err})", file=sys.stderr)
            return 2
        print(table)
        return 0
    if args.breakdown:
        try:
            print(breakdown(args.rounds or (2 if args.quick else 5), args.quick))
        except RuntimeError as err:  # torch.compile unavailable: one line, no traceback
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json"
        code = run_pytest(path, args.quick, args.passes or (1 if args.quick else 3),
                          not args.no_compile and not args.quick, args.compile_budget, args.only, not args.no_memory,
                          args.rounds or (1 if args.quick else 3), args.max_time or (0.05 if args.quick else 0.5))
        if not path.exists():
            print(f"the benchmark run wrote no JSON (pytest exit code {code})", file=sys.stderr)
            return int(code) or 1
        data = json.loads(path.read_text())
    if args.json:
        atomic_write_bytes(Path(args.json), json.dumps(data, indent=1).encode())
    result = summarize(data)
    print()
    for r in result["rows"]:
        print(_row_line(r))
    print()
    print(markdown(result))
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
