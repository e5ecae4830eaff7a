"""The GPU run's targets (issues [3/7] and [4/7]), each with its measured value, met / missed / not measured,
and what bounds it (`suite.bench.bounds.bound`).

- FCNN ops (single-basis step, basis_conv2d, topological 1x1), float32, N = 32, forward and forward+backward:
  the Numba kernel >= 1.0x the best PyTorch factorized form; the fused single-basis step forward >= 1.5x.
- CP conv 3-D: the Numba kernel >= 1.0x the torch backend, forward and forward+backward.
- Every op row: `auto` >= AUTO_GOAL x the best of its candidates (torch reference NCHW, registered backends).
- `auto` cache hit on a tiny op: <= OVERHEAD_GOAL_US of host time.
- Fused Models E, F, L at N = 1 and 32: no slower than the fastest unfused form (>= NOISE_GOAL).
"""
from __future__ import annotations

from suite.bench.bounds import bound_text

AUTO_GOAL = 0.95
OVERHEAD_GOAL_US = 10.0
NOISE_GOAL = 0.95  # "no slower": within the 5 % that repeated measurements of a whole network vary
FCNN_GROUPS = ("single-basis", "basis_conv2d", "topological")


def _target(what, row_or_shape, value, goal, higher=True, unit="x", bound="", missing=""):
    shape = row_or_shape if isinstance(row_or_shape, str) else f"{row_or_shape['shape']} {row_or_shape['pass']}"
    met = None if value is None else (value >= goal if higher else value <= goal)
    return {"target": what, "shape": shape, "value": value, "goal": goal, "unit": unit, "met": met,
            "bound": bound if value is not None else f"not measured: {missing or 'no time'}"}


def _ratio(num, den):
    return num / den if num and den else None


def _missing(row, *members) -> str:
    return "; ".join(f"{m}: {row['not_run'][m]}" for m in members if m in row.get("not_run", {})) or \
        row.get("error") or "form not run"


def _kernel_bound(row) -> str:
    parts = []
    if "kernel_bound" in row:
        parts.append(bound_text(row["kernel"], row["kernel_ms"], row["kernel_bound"]))
    if "fact_bound" in row:
        parts.append(bound_text(f"best PyTorch ({row['best_fact'].removeprefix('fact: ')})", row["best_fact_ms"],
                                row["fact_bound"]))
    absent = [f"{m.removeprefix('fact: ')} not run ({why})" for m, why in row.get("not_run", {}).items()
              if m.startswith("fact:")]
    return "; ".join(parts + absent)


def op_targets(row: dict) -> list[dict]:
    out, kernel, g = [], row["kernel"], row["group"]
    kernel_member = f"ours: {kernel}"
    if g.startswith(FCNN_GROUPS):
        value = _ratio(row["best_fact_ms"], row["kernel_ms"])
        miss = _missing(row, kernel_member)
        out.append(_target(f"{g}: {kernel} >= 1.0x the best PyTorch factorized form", row, value, 1.0,
                           bound=_kernel_bound(row), missing=miss))
        if g.startswith("single-basis") and row["pass"] == "fwd":
            out.append(_target(f"{g}: {kernel} forward >= 1.5x the best PyTorch factorized form", row, value, 1.5,
                               bound=_kernel_bound(row), missing=miss))
    elif g.startswith("HO-CP"):
        out.append(_target(f"CP conv: {kernel} >= 1.0x the torch backend", row,
                           _ratio(row["torch_ms"], row["kernel_ms"]), 1.0, bound=_kernel_bound(row),
                           missing=_missing(row, kernel_member, "fact: torch backend NCHW")))
    auto = _ratio(row["best_candidate_ms"], row["auto_ms"])
    auto_bound = (f"auto {row['auto_ms']:.3f} ms vs {row['best_candidate']} {row['best_candidate_ms']:.3f} ms "
                  f"({1e3 * (row['auto_ms'] - row['best_candidate_ms']):+.0f} us per call)" if auto else "")
    out.append(_target(f"{g}: auto >= {AUTO_GOAL}x the best candidate", row, auto, AUTO_GOAL, bound=auto_bound,
                       missing=_missing(row, "auto")))
    return out


def overhead_target(o: dict | None) -> dict:
    what = f"auto cache hit <= {OVERHEAD_GOAL_US:.0f} us host time"
    if not o or "overhead_us" not in o:
        return _target(what, "single_basis_step", None, OVERHEAD_GOAL_US, False, " us",
                       missing=(o or {}).get("error", "not measured"))
    return _target(what, f"single_basis_step {o['shape']}", o["overhead_us"], OVERHEAD_GOAL_US, False, " us",
                   bound=f"auto {o['auto_us']:.1f} us vs {o['explicit_us']:.1f} us per call for {o['chosen']} "
                         "named explicitly")


def fusion_target(row: dict) -> dict:
    model = row["info"].get("model", row["group"])
    what = f"fused {model} no slower than unfused (>= {NOISE_GOAL}x the fastest unfused form)"
    b = (f"fused {row['fused_ms']:.2f} ms vs {row['base'].removeprefix('base: ')} {row['base_ms']:.2f} ms"
         if row.get("speedup") else "")
    return _target(what, row["shape"], row.get("speedup"), NOISE_GOAL, bound=b,
                   missing=_missing(row, "ours: fused (auto)"))


def targets(result: dict) -> list[dict]:
    out = []
    for row in result["rows"]:
        out += op_targets(row)
    out.append(overhead_target(result.get("auto_overhead")))
    out += [fusion_target(r) for r in result["fusion"]]
    return out
