"""The kernels' speed targets of the CPU run, each with its measured value, its status and what bounds it."""
from __future__ import annotations

from suite.bench.gpu_targets import NOISE_GOAL, overhead_target

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
            add(f"HO-CP 3-D >= {goal}x dense Conv3d (R = {info['R'] // info['C']}C)", r["shape"],
                r["speedup_vs_dense"], goal)
            if "extra_over_input" in r:
                add("HO-CP 3-D peak extra memory <= 2x the input", r["shape"], r["extra_over_input"], 2.0, False,
                    "x input")
    for p in result["pairs"]:
        if p["kind"] == "model":
            add("Model L inference >= 2.5x ResNet-18 (fastest form each)", p["shape"], p["speedup"], 2.5)
        elif p["kind"] == "fusion":
            add(f"fused {p['info']['model']} no slower than unfused (>= {NOISE_GOAL}x the fastest unfused form)",
                p["shape"], p["speedup"], NOISE_GOAL, bound=f"fused {p['ours_ms']:.2f} ms vs {p['base']} "
                f"{p['base_ms']:.2f} ms")
        else:
            add(f"training step on auto no slower than on torch (>= {TRAIN_TOLERANCE})", p["shape"], p["speedup"],
                TRAIN_TOLERANCE)
    overhead = result.get("suite", {}).get("auto_overhead")
    if overhead is not None:  # runs saved before the row existed have none
        t = overhead_target(overhead)
        out.append({**t, "value": t["value"] if t["value"] is not None else float("nan"), "met": bool(t["met"])})
    return out

