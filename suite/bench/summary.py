"""A pytest-benchmark JSON written by `suite.bench.compare` -> the table's rows (operators) and pairs (models,
training steps), each form keeping its best time over the passes; the targets are judged on the result."""
from __future__ import annotations

import math

from suite.bench.targets import targets


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
    """The table of a pytest-benchmark JSON written by `suite.bench.compare`."""
    if "benchmarks" not in data or "suite" not in data.get("machine_info", {}):
        raise ValueError("expected the pytest-benchmark JSON of `python -m suite.bench` or of "
                         "`pytest --pyargs suite.bench.compare --benchmark-json FILE` (no machine_info.suite found)")
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

