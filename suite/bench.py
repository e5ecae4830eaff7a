"""`python -m suite.bench`: kernel speed vs the best PyTorch layers, as ratios measured in one run.

For each shape of `suite.bench_shapes` (FCNN Table 1's stages, an HO-CP 3-D conv) it times (forward, inference, no autograd) our Numba kernel, every
PyTorch form of the same factorized operator (eager NCHW, eager channels-last, `torch.compile`) and
the dense PyTorch layer it replaces (same three forms), interleaved round-robin and reported as the
best of the repeats. It prints ms, speedup vs the best dense form, speedup vs the best factorized
form, achieved GFLOP/s (2 × the papers' multiplication count / time) beside the machine's measured
conv peak (the best GFLOP/s any dense torch conv reached in this run), and peak extra memory (RSS
high-water mark of the call minus RSS before it, measured in a child process whose glibc returns
every block ≥ 128 KiB to the OS, so freed temporaries do not hide). Then Model L vs ResNet-18.

    python -m suite.bench                 # full run (the README table)
    python -m suite.bench --quick         # tiny shapes, few repeats (CI smoke)
    python -m suite.bench --json out.json # also write every measurement
    python -m suite.bench --markdown-from out.json   # render the README table from a saved run
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from suite import bench_shapes as S
from suite import ops
from suite.results import atomic_write_bytes

MMAP_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "0"}


# ---------------------------------------------------------------- cases
@dataclass
class Case:
    """One benchmark shape: our kernel, the torch factorized forms, the torch dense forms."""

    group: str
    label: str
    macs: int  # the papers' multiplication count of the factorized operator
    dense_macs: int
    make: Callable[[], dict]  # -> {"inputs": ..., "ours": fn, "fact": {name: fn}, "dense": {name: fn}}
    input_bytes: int
    notes: list = field(default_factory=list)


def _cl(t):
    return t.contiguous(memory_format=torch.channels_last if t.ndim == 4 else torch.channels_last_3d)


def single_basis_case(N, C, H, k=3) -> Case:
    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(N, C, H, H, generator=g)
        basis = torch.randn(C, k, k, generator=g) / k
        proj = torch.randn(C, C, generator=g) / math.sqrt(C)
        dense_w = torch.randn(C, C, k, k, generator=g) / math.sqrt(C * k * k)
        dw, pw = basis.unsqueeze(1), proj[:, :, None, None]
        xc, dwc, pwc, dense_c = _cl(x), _cl(dw), _cl(pw), _cl(dense_w)

        def fact(x_, dw_, pw_):
            return torch.relu_(x_ + F.conv2d(F.conv2d(x_, dw_, padding=k // 2, groups=C), pw_))

        def dense(x_, w_):
            return torch.relu_(F.conv2d(x_, w_, padding=k // 2))

        return {
            "ours": lambda: ops.single_basis_stack(x, basis[None], proj[None], backend="numba"),
            "fact": {"eager NCHW": lambda: fact(x, dw, pw), "eager channels_last": lambda: fact(xc, dwc, pwc),
                     "compile": (fact, (x, dw, pw)), "compile channels_last": (fact, (xc, dwc, pwc))},
            "dense": {"eager NCHW": lambda: dense(x, dense_w), "eager channels_last": lambda: dense(xc, dense_c),
                      "compile channels_last": (dense, (xc, dense_c))},
        }

    hw = H * H
    return Case("single-basis step relu(x + P·dw3x3(x))", f"N={N} C={C} H=W={H}", N * hw * C * (k * k + C),
                N * hw * C * C * k * k, make, N * C * hw * 4)


def topological_case(N, C, H, grid, neighbors) -> Case:
    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(N, C, H, H, generator=g)
        w = torch.randn(*grid, *neighbors, 1, 1, generator=g) / math.sqrt(math.prod(neighbors))
        dense_w = torch.randn(C, C, 1, 1, generator=g) / math.sqrt(C)
        idx = ops.neighbor_index(grid, neighbors)
        m, p = idx.shape
        wflat = w.reshape(m, p, 1, 1)
        gather_idx = idx.reshape(-1)
        xc, dense_c = _cl(x), _cl(dense_w)

        def gather_grouped(x_):  # the reference: gather the neighbors, grouped 1×1 conv
            return F.conv2d(x_[:, gather_idx], wflat, groups=m)

        offs = [tuple(int(o) for o in off) for off in torch.cartesian_prod(*(torch.arange(c) for c in neighbors)).reshape(p, -1)]
        wg = w.reshape(*grid, p)

        def rolled(x_):  # Alg. 4 literally: Σ_i w[:, i] · roll(x, -i) on the channel grid
            xs = x_.reshape(N, *grid, H, H)
            out = torch.zeros_like(xs)
            dims = tuple(range(1, 1 + len(grid)))
            for i, off in enumerate(offs):
                out += wg[..., i].reshape(1, *grid, 1, 1) * torch.roll(xs, [-o for o in off], dims)
            return out.reshape(N, C, H, H)

        def dense(x_, w_):
            return F.conv2d(x_, w_)

        return {
            "ours": lambda: ops.topological_conv(x, w, grid, backend="numba"),
            "fact": {"eager gather+grouped NCHW": lambda: gather_grouped(x),
                     "eager gather+grouped channels_last": lambda: gather_grouped(xc),
                     "eager roll": lambda: rolled(x), "compile gather+grouped": (gather_grouped, (x,))},
            "dense": {"eager NCHW": lambda: dense(x, dense_w), "eager channels_last": lambda: dense(xc, dense_c),
                      "compile channels_last": (dense, (xc, dense_c))},
        }

    p = math.prod(neighbors)
    return Case("topological 1x1 (FCNN Table 3, 2-D grid)",
                f"N={N} C={C} H=W={H} grid={'x'.join(map(str, grid))} nb={'x'.join(map(str, neighbors))}",
                N * H * H * C * p, N * H * H * C * C, make, N * C * H * H * 4)


def cp_case(N, C, R, dims, K=3) -> Case:
    T = C

    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(N, C, *dims, generator=g)
        u_in = torch.randn(C, R, generator=g) / math.sqrt(C)
        spatial = [torch.randn(K, R, generator=g) / math.sqrt(K) for _ in dims]
        u_out = torch.randn(T, R, generator=g) / math.sqrt(R)
        dense_w = torch.randn(T, C, *([K] * len(dims)), generator=g) / math.sqrt(C * K ** len(dims))
        xc, dense_c = _cl(x), _cl(dense_w)
        w_in = u_in.t().reshape(R, C, 1, 1, 1)
        w_out = u_out.reshape(T, R, 1, 1, 1)
        w_modes = []
        for d in range(3):
            shape = [R, 1, 1, 1, 1]
            shape[2 + d] = K
            w_modes.append(spatial[d].t().reshape(shape))
        pads = [(K // 2, 0, 0), (0, K // 2, 0), (0, 0, K // 2)]

        def conv_chain(x_, wi, wm, wo):  # 1×1×1 conv → three depthwise 1-D convs → 1×1×1 conv
            h = F.conv3d(x_, wi)
            for w_, pad in zip(wm, pads):
                h = F.conv3d(h, w_, padding=pad, groups=R)
            return F.conv3d(h, wo)

        wic, wmc, woc = _cl(w_in), [_cl(w) for w in w_modes], _cl(w_out)
        return {
            "ours": lambda: ops.cp_conv(x, u_in, spatial, u_out, backend="numba"),
            "fact": {"eager einsum (suite.ops reference)": lambda: ops.cp_conv(x, u_in, spatial, u_out, backend="torch"),
                     "eager conv3d chain NCDHW": lambda: conv_chain(x, w_in, w_modes, w_out),
                     "eager conv3d chain channels_last": lambda: conv_chain(xc, wic, wmc, woc),
                     "compile conv3d chain": (conv_chain, (x, w_in, w_modes, w_out))},
            "dense": {"eager NCDHW": lambda: F.conv3d(x, dense_w, padding=K // 2),
                      "eager channels_last": lambda: F.conv3d(xc, dense_c, padding=K // 2),
                      "compile channels_last": (lambda a, b: F.conv3d(a, b, padding=K // 2), (xc, dense_c))},
        }

    V = math.prod(dims)
    return Case("HO-CP 3-D CP conv (K=3, T=C)", f"N={N} C={C} R={R} D,H,W={','.join(map(str, dims))}",
                N * V * (C * R + R * K * len(dims) + R * T), N * V * C * T * K ** len(dims), make, N * C * V * 4)


def cases(quick: bool) -> list[Case]:
    """The shapes of `suite.bench_shapes` (shared with the asv benchmarks)."""
    if quick:
        (d, nb), (n2, c2, h2), (n3, c3, dims3) = S.SMALL_GRID_2D, S.SMALL_2D, S.SMALL_3D
        return [single_basis_case(n2, c2, h2), topological_case(n2, c2, h2, d, nb),
                cp_case(n3, c3, S.SMALL_CP_RANK, dims3)]
    out = [single_basis_case(S.FCNN_BATCH, C, H, S.FCNN_KERNEL) for C, H in S.FCNN_STAGES]
    out += [topological_case(S.FCNN_BATCH, C, H, *S.FCNN_GRIDS_2D[C]) for C, H in S.FCNN_STAGES]
    out += [cp_case(S.HOCP_BATCH, C, r * C, S.HOCP_DIMS, S.HOCP_KERNEL) for C in S.HOCP_CHANNELS for r in S.HOCP_RANK_FACTORS]
    return out


# ---------------------------------------------------------------- timing
class Compiler:
    """torch.compile with a total time budget; failures and skips are recorded with their reason."""

    def __init__(self, enabled: bool, budget_s: float):
        self.enabled, self.budget, self.spent = enabled, budget_s, 0.0
        self.reasons: dict[str, str] = {}
        self.failure: str | None = None

    def build(self, key: str, fn, args):
        if self.failure:
            self.reasons[key] = self.failure
            return None
        if not self.enabled:
            self.reasons[key] = "torch.compile disabled (--no-compile or --quick)"
            return None
        if self.spent > self.budget:
            self.reasons[key] = f"torch.compile budget of {self.budget:.0f}s spent on earlier shapes"
            return None
        t0 = time.perf_counter()
        try:
            compiled = torch.compile(fn, dynamic=False)
            with torch.no_grad():
                compiled(*args)
                compiled(*args)
        except Exception as err:  # offline toolchain, missing compiler, ...: excluded, with the reason
            self.failure = f"torch.compile failed: {type(err).__name__}: {(str(err).splitlines() or [''])[0][:120]}"
            self.reasons[key] = self.failure
            return None
        finally:
            self.spent += time.perf_counter() - t0
        return lambda: compiled(*args)


def time_all(fns: dict[str, Callable], repeats: int, min_seconds: float) -> dict[str, float]:
    """Best-of-`repeats` wall time (s) of each fn, run round-robin so every form sees the same load."""
    with torch.no_grad():
        for fn in fns.values():
            fn()  # warm-up (Numba compile / oneDNN primitive creation)
        best = {k: math.inf for k in fns}
        start = time.perf_counter()
        r = 0
        while r < repeats or (time.perf_counter() - start < min_seconds and r < 4 * repeats):
            for k, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                best[k] = min(best[k], time.perf_counter() - t0)
            r += 1
    return best


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


def _memory_child(index: int, quick: bool) -> None:
    case = cases(quick)[index]
    made = case.make()
    result = {"ours": peak_extra_bytes(made["ours"])}
    for kind in ("fact", "dense"):
        for name, fn in made[kind].items():
            if not isinstance(fn, tuple):  # eager forms only (compiled graphs are measured by time)
                result[f"{kind}:{name}"] = peak_extra_bytes(fn)
    print(json.dumps(result))


def measure_memory(index: int, quick: bool) -> dict | str:
    env = dict(os.environ, **MMAP_ENV)
    cmd = [sys.executable, "-m", "suite.bench", "--memory-child", str(index)] + (["--quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except Exception as err:
        return f"memory probe failed: {type(err).__name__}: {err}"


# ---------------------------------------------------------------- models
def model_rows(quick: bool, repeats: int, compiler: Compiler) -> list[dict]:
    """Model L vs ResNet-18 inference (eval mode, batch N), each on its fastest form.

    Model L forms: eager NCHW / channels_last (layers on `auto`), and `suite.layers.fusion.fuse_for_inference`
    (BatchNorm folded into fused single-basis steps, each on its measured fastest implementation). ResNet-18: eager NCHW / channels_last,
    and torch.compile (channels_last) while the compile budget lasts.
    """
    try:
        from suite import models
        from suite.complexity import count
        from suite.layers.fusion import fuse_for_inference
    except ImportError as err:
        return [{"error": f"suite.models not available: {err}"}]
    N = 2 if quick else 32
    timings = {}
    for name in ("fcnn-l", "resnet18"):
        model = models.build(name).eval()
        size = (3, 64, 64) if quick else tuple(model.input_size)
        x = torch.randn(N, *size)
        mc, xc = copy.deepcopy(model).to(memory_format=torch.channels_last), _cl(x)
        forms = {"eager NCHW": (lambda m_, x_: lambda: m_(x_))(model, x),
                 "eager channels_last": (lambda m_, x_: lambda: m_(x_))(mc, xc)}
        if name == "fcnn-l":
            forms["fused steps (BN folded, auto per layer)"] = (lambda m_, x_: lambda: m_(x_))(fuse_for_inference(model), x)
        else:
            compiled = compiler.build(f"{name} compile channels_last", mc, (xc,))
            if compiled is not None:
                forms["compile channels_last"] = compiled
        macs = count(model, size).multiplications
        t = time_all(forms, repeats, 0.0)
        best = min(t, key=t.get)
        timings[name] = {"model": name, "form": best, "ms": t[best] * 1e3, "macs_per_image": macs,
                         "input": [N, *size], "all_ms": {k: v * 1e3 for k, v in t.items()}}
        print(f"{name:<10} N={N} input {size}: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in t.items()), flush=True)
    ours, base = timings["fcnn-l"], timings["resnet18"]
    return [ours, base, {"speedup": base["ms"] / ours["ms"], "mult_ratio": base["macs_per_image"] / ours["macs_per_image"],
                         "batch": N}]


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


def run(quick: bool, repeats: int, compile_: bool, budget: float, only: str | None) -> dict:
    m = machine()
    compiler = Compiler(compile_, budget)
    rows = []
    all_cases = cases(quick)
    for i, case in enumerate(all_cases):
        if only and only not in case.group.lower():
            continue
        made = case.make()
        fns = {"ours": made["ours"]}
        for kind in ("fact", "dense"):
            for name, fn in made[kind].items():
                key = f"{kind}:{name}"
                fns[key] = compiler.build(f"{case.label} {key}", *fn) if isinstance(fn, tuple) else fn
        fns = {k: v for k, v in fns.items() if v is not None}
        t = time_all(fns, repeats, 0.0 if quick else 1.0)
        mem = measure_memory(i, quick)
        fact = {k: v for k, v in t.items() if k.startswith("fact:")}
        dense = {k: v for k, v in t.items() if k.startswith("dense:")}
        bf, bd = min(fact, key=fact.get), min(dense, key=dense.get)
        row = {"group": case.group, "shape": case.label, "ours_ms": t["ours"] * 1e3,
               "best_fact": bf[5:], "best_fact_ms": fact[bf] * 1e3, "best_dense": bd[6:], "best_dense_ms": dense[bd] * 1e3,
               "speedup_vs_dense": dense[bd] / t["ours"], "speedup_vs_fact": fact[bf] / t["ours"],
               "mult_ratio": case.dense_macs / case.macs,
               "gflops": 2 * case.macs / t["ours"] / 1e9, "dense_gflops": 2 * case.dense_macs / dense[bd] / 1e9,
               "input_mb": case.input_bytes / 2**20, "all_ms": {k: v * 1e3 for k, v in t.items()}}
        if isinstance(mem, dict):
            row["ours_extra_mb"] = mem["ours"] / 2**20
            row["extra_over_input"] = mem["ours"] / case.input_bytes
            row["all_extra_mb"] = {k: v / 2**20 for k, v in mem.items()}
        else:
            row["memory_error"] = mem
        rows.append(row)
        print(_row_line(row), flush=True)
    peak = max([r["dense_gflops"] for r in rows] + [0.0])
    for r in rows:
        r["conv_peak_gflops"] = peak
    result = {"machine": m, "quick": quick, "repeats": repeats, "rows": rows,
              "compile_excluded": compiler.reasons, "compile_seconds": compiler.spent}
    if only is None or "model" in only:
        result["models"] = model_rows(quick, max(2, repeats // 2), compiler)
    judge_load(m)
    return result


def _row_line(r: dict) -> str:
    mem = f"{r['ours_extra_mb']:.1f} MB ({r['extra_over_input']:.2f}x input)" if "ours_extra_mb" in r else r.get("memory_error", "?")
    return (f"{r['group']:<42} {r['shape']:<44} ours {r['ours_ms']:8.2f} ms | vs dense {r['speedup_vs_dense']:5.2f}x "
            f"({r['best_dense']}) | vs factorized {r['speedup_vs_fact']:5.2f}x ({r['best_fact']}) | "
            f"{r['gflops']:6.1f} GFLOP/s | extra mem {mem}")


def markdown(result: dict) -> str:
    m = result["machine"]
    peak = max([r["conv_peak_gflops"] for r in result["rows"]] + [0.0])
    load = (f"Load average (1, 5, 15 min) before {m.get('load_before', '?')}, after {m.get('load_after', '?')}: "
            + ("idle, valid for the README." if m.get("valid_for_readme") else
               f"**NOT VALID FOR THE README** ({m.get('load_note', 'load not recorded')})."))
    lines = [f"Machine: {m['cpu']} ({', '.join(m.get('isa', [])) or 'ISA flags not recorded'}), {m['cores']} cores, "
             f"torch {m['torch']} ({m['cpu_capability']}, {m['torch_threads']} threads), numba {m['numba']} "
             f"({m['numba_threads']} threads). Measured conv peak (best dense torch conv of the run): {peak:.0f} GFLOP/s.",
             load, "",
             "| operator | shape | ours ms | vs best dense | vs best factorized (form) | mult. ratio (paper count) | GFLOP/s | extra mem / input |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for r in result["rows"]:
        mem = f"{r['extra_over_input']:.2f}" if "extra_over_input" in r else "n/a"
        lines.append(f"| {r['group']} | {r['shape']} | {r['ours_ms']:.2f} | {r['speedup_vs_dense']:.2f}x | "
                     f"{r['speedup_vs_fact']:.2f}x ({r['best_fact']}) | {r['mult_ratio']:.2f}x | {r['gflops']:.0f} | {mem} |")
    models_ = result.get("models") or []
    if len(models_) == 3:
        a, b, s = models_
        lines += ["", f"Model L vs ResNet-18 inference, N={s['batch']}: {a['ms']:.0f} ms ({a['form']}) vs "
                      f"{b['ms']:.0f} ms ({b['form']}) = **{s['speedup']:.2f}x** (multiplication ratio {s['mult_ratio']:.2f}x)."]
    if result.get("compile_excluded"):
        lines += ["", "torch.compile forms excluded: " + "; ".join(sorted(set(result["compile_excluded"].values())))]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny shapes, few repeats (CI)")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per form (best is kept)")
    ap.add_argument("--json", metavar="PATH", help="write all measurements as JSON (atomically)")
    ap.add_argument("--no-compile", action="store_true", help="exclude torch.compile forms")
    ap.add_argument("--compile-budget", type=float, default=240.0, help="seconds of torch.compile before skipping")
    ap.add_argument("--only", choices=["single", "topological", "ho-cp", "model"], help="one group only")
    ap.add_argument("--markdown-from", metavar="PATH", help="print the README table of a saved --json run")
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child is not None:
        _memory_child(args.memory_child, args.quick)
        return 0
    if args.markdown_from:
        with open(args.markdown_from) as f:
            print(markdown(json.load(f)))
        return 0
    repeats = args.repeats or (2 if args.quick else 5)
    compile_ = not args.no_compile and not args.quick  # --quick (CI) never spends minutes compiling
    result = run(args.quick, repeats, compile_, args.compile_budget, args.only)
    print()
    print(markdown(result))
    if args.json:
        atomic_write_bytes(Path(args.json), json.dumps(result, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
