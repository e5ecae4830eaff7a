"""A GPU run's JSON -> rows (one per case and pass: each form's median, the best of each kind), the fused vs
unfused rows, and the targets with what bounds each.

What bounds a time (`bound`): the form's minimum traffic (forward: x read, output written, weights read;
forward+backward: FWD_BWD_TRAFFIC times that — backward reads dy and x and writes dx) over the measured copy
bandwidth, and its FLOPs (2 × the papers' multiplication count; forward+backward: 3 ×) over the measured
matmul ceiling of its precision; `suite.bench.bounds` says what a form under both ceilings is bound by.
"""
from __future__ import annotations

from suite.bench.bounds import bound

FWD_BWD_TRAFFIC = 2.5  # forward: 2 tensor passes (x, y); forward+backward: 5 (x, y, dy, x again, dx)
FWD_BWD_FLOPS = 3.0  # forward + input gradient + weight gradient


def _medians(records: list[dict]) -> dict[str, float]:
    return {r["member"]: r["median_ms"] for r in records if "median_ms" in r}


def _best(ms: dict, prefix: str, contains: str = "") -> tuple[str | None, float | None]:
    forms = {k: v for k, v in ms.items() if k.startswith(prefix) and contains in k}
    if not forms:
        return None, None
    name = min(forms, key=forms.get)
    return name, forms[name]


def op_row(records: list[dict], kernel: str, ceilings: dict) -> dict:
    first = records[0]
    info, pass_ = first.get("info", {}), first["pass"]
    ms = _medians(records)
    scale_b, scale_f = (FWD_BWD_TRAFFIC, FWD_BWD_FLOPS) if pass_ == "fwd+bwd" else (1.0, 1.0)
    traffic, flops, dense_flops = info.get("bytes", 0) * scale_b, 2 * info.get("macs", 0) * scale_f, \
        2 * info.get("dense_macs", 0) * scale_f
    row = {"group": first["group"], "shape": first["shape"], "pass": pass_, "info": info, "ms": ms,
           "spread": {r["member"]: (r["q1_ms"], r["q3_ms"]) for r in records if "median_ms" in r},
           "not_run": {r["member"]: r.get("skipped") or r.get("error") for r in records if "median_ms" not in r},
           "kernel": kernel, "kernel_ms": ms.get(f"ours: {kernel}"), "auto_ms": ms.get("auto")}
    row["best_fact"], row["best_fact_ms"] = _best(ms, "fact:")
    row["torch_ms"] = ms.get("fact: torch backend NCHW")
    for mode in ("fp32", "tf32", "bf16"):
        row[f"dense_{mode}"], row[f"dense_{mode}_ms"] = _best(ms, f"dense: {mode}")
    row["best_ours"], row["best_ours_ms"] = _best(ms, "ours:")
    cands = {r["member"]: r["median_ms"] for r in records if r.get("candidate") and "median_ms" in r}
    row["best_candidate"], row["best_candidate_ms"] = (min(cands, key=cands.get), min(cands.values())) if cands \
        else (None, None)
    if row["kernel_ms"]:
        row["kernel_bound"] = bound(row["kernel_ms"], traffic, flops, ceilings)
    if row["best_fact_ms"]:
        row["fact_bound"] = bound(row["best_fact_ms"], traffic, flops, ceilings)
    if first["member"] == "(case)":
        row["error"] = first.get("error")
    best_dense = min(((row[f"dense_{m}_ms"], m) for m in ("fp32", "tf32", "bf16") if row[f"dense_{m}_ms"]),
                     default=None)
    if best_dense:
        row["best_dense_ms"], row["best_dense_mode"] = best_dense
        row["dense_bound"] = bound(best_dense[0], traffic, dense_flops, ceilings, best_dense[1])
    return row


def fusion_row(records: list[dict]) -> dict:
    first = records[0]
    ms = _medians(records)
    base, base_ms = _best(ms, "base:")
    row = {"group": first["group"], "shape": first["shape"], "info": first.get("info", {}), "ms": ms,
           "fused_ms": ms.get("ours: fused (auto)"), "base": base, "base_ms": base_ms,
           "not_run": {r["member"]: r.get("skipped") or r.get("error") for r in records if "median_ms" not in r}}
    if first["member"] == "(case)":
        row["error"] = first.get("error")
    if row["fused_ms"] and base_ms:
        row["speedup"] = base_ms / row["fused_ms"]
    return row


def summarize(data: dict) -> dict:
    """The rows and targets of a GPU run's JSON (`suite.bench.gpu_run`)."""
    from suite.bench.gpu_run import FORMAT
    from suite.bench.gpu_targets import targets

    if data.get("format") != FORMAT:
        raise ValueError(f"expected the JSON of `python -m suite.bench --device cuda` (format {FORMAT!r}), "
                         f"got format {data.get('format')!r}")
    groups: dict[tuple, list[dict]] = {}
    for r in data["records"]:
        groups.setdefault((r["case"], r["pass"]), []).append(r)
    kernel, ceilings = data["device"].get("kernel_backend", "numba-cuda"), data["ceilings"]
    result = {"device": data["device"], "ceilings": ceilings, "suite": data.get("suite", {}),
              "auto_overhead": data.get("auto_overhead"), "rows": [], "fusion": []}
    for recs in groups.values():
        if recs[0]["group"].startswith("fused vs unfused"):
            result["fusion"].append(fusion_row(recs))
        else:
            result["rows"].append(op_row(recs, kernel, ceilings))
    result["targets"] = targets(result)
    return result
