"""The GPU run's report (markdown): the device header with its measured ceilings, one row per operator case and
pass, fused vs unfused models, `auto`'s overhead, where the factorized layer still loses to the dense one and
why, the targets, and every form that did not run with its reason."""
from __future__ import annotations

from suite.bench.bounds import bound_text


def _ms(v) -> str:
    return f"{v:.3f}" if v is not None else "n/a"


def _x(v) -> str:
    return f"{v:.2f}x" if v is not None else "n/a"


def header_lines(result: dict) -> list[str]:
    d, c, s = result["device"], result["ceilings"], result["suite"]
    v = d.get("versions", {})
    clocks = ", ".join(f"{k} {val}" for k, val in d.get("clocks", {}).items()) or "clocks not reported"
    after = "; after it: " + ", ".join(f"{k} {val}" for k, val in d["clocks_after"].items()) \
        if d.get("clocks_after") else ""
    return [f"GPU: {d.get('gpu', '?')} ({d.get('sm_count', '?')} SMs, {d.get('memory_gib', '?')} GiB, compute "
            f"capability {d.get('capability', '?')}), driver {d.get('driver', '?')}, CUDA {d.get('cuda', '?')}, cuDNN "
            f"{d.get('cudnn', '?')}; {clocks} (before the run){after}.",
            "Software: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
            f"Measured ceilings: float32 matmul {c.get('fp32_matmul_tflops', 0):.1f} TFLOP/s (TF32 off), TF32 "
            f"{c.get('tf32_matmul_tflops', 0):.1f}, bf16 {c.get('bf16_matmul_tflops', 0):.1f}; copy bandwidth "
            f"{c.get('copy_gbs', 0):.0f} GB/s (read + write).",
            f"{'Quick run: not the targets. ' if s.get('quick') else ''}Medians (quartiles in the JSON) of CUDA-event "
            f"timings after two warm-up calls, >= {s.get('timing', {}).get('min_samples', '?')} samples per form; "
            "float32 with TF32 off unless a form says tf32 / bf16 autocast; `auto` measured its candidates into a "
            f"fresh cache. Run time {s.get('seconds', 0):.0f} s, of which torch.compile "
            f"{s.get('compile_seconds', 0):.0f} s.", ""]


def op_table(rows: list[dict]) -> list[str]:
    lines = ["| operator | shape | pass | numba kernel ms | other backends ms | auto ms | best PyTorch factorized ms "
             "(form) | dense fp32 / tf32 / bf16 ms | peers ms | kernel vs best PyTorch | fastest factorized vs "
             "fastest dense |", "| --- | --- | --- | ---: | --- | ---: | --- | --- | --- | ---: | ---: |"]
    for r in rows:
        ms = r["ms"]
        others = ", ".join(f"{k.removeprefix('ours: ')} {v:.3f}" for k, v in ms.items()
                           if k.startswith("ours:") and k != f"ours: {r['kernel']}") or "-"
        peers = ", ".join(f"{k.removeprefix('peer: tltorch FactorizedConv ')} {v:.3f}" for k, v in ms.items()
                          if k.startswith("peer:")) or "-"
        fact = f"{_ms(r['best_fact_ms'])} ({r['best_fact'].removeprefix('fact: ')})" if r["best_fact"] else "n/a"
        dense = " / ".join(_ms(r[f"dense_{m}_ms"]) for m in ("fp32", "tf32", "bf16"))
        fastest = min((v for k, v in ms.items() if k.startswith(("ours:", "fact:", "peer:"))), default=None)
        vs_dense = r["best_dense_ms"] / fastest if fastest and r.get("best_dense_ms") else None
        dense_mode = f" ({r['best_dense_mode']})" if vs_dense else ""
        vs_fact = _x(_ratio(r["best_fact_ms"], r["kernel_ms"]))
        lines.append(f"| {r['group']} | {r['shape']} | {r['pass']} | {_ms(r['kernel_ms'])} | {others} | "
                     f"{_ms(r['auto_ms'])} | {fact} | {dense} | {peers} | {vs_fact} | {_x(vs_dense)}{dense_mode} |")
    return lines


def _ratio(a, b):
    return a / b if a and b else None


def dense_lines(rows: list[dict]) -> list[str]:
    """Where the fastest factorized form (ours, PyTorch's, a peer's) is slower than the fastest dense form."""
    out = []
    for r in rows:
        forms = {k: v for k, v in r["ms"].items() if k.startswith(("ours:", "fact:", "peer:"))}
        if not forms or not r.get("best_dense_ms"):
            continue
        name = min(forms, key=forms.get)
        if forms[name] <= r["best_dense_ms"]:
            continue
        out.append(f"- {r['group']} {r['shape']} {r['pass']}: fastest factorized form {name} {forms[name]:.3f} ms is "
                   f"{forms[name] / r['best_dense_ms']:.2f}x slower than dense {r['best_dense_mode']} "
                   f"({bound_text('dense', r['best_dense_ms'], r['dense_bound'], r['best_dense_mode'])}; it does "
                   f"{r['info'].get('dense_macs', 0) / max(r['info'].get('macs', 1), 1):.1f}x the multiplications)"
                   + (f"; {bound_text(r['kernel'], r['kernel_ms'], r['kernel_bound'])}" if "kernel_bound" in r else ""))
    return (["", "Where the factorized layer still loses to the dense one, and why:"] + out) if out else []


def fusion_lines(rows: list[dict], overhead: dict | None) -> list[str]:
    lines = []
    if rows:
        lines += ["", "| fused vs unfused | N | fused (auto) ms | unfused: torch ms | unfused: auto ms | fused vs "
                  "fastest unfused |", "| --- | --- | ---: | ---: | ---: | ---: |"]
        for r in rows:
            lines.append(f"| {r['info'].get('model', r['group'])} | {r['shape']} | {_ms(r['fused_ms'])} | "
                         f"{_ms(r['ms'].get('base: torch'))} | {_ms(r['ms'].get('base: auto'))} | "
                         f"{_x(r.get('speedup'))} |")
    if overhead and "overhead_us" in overhead:
        lines += ["", f"`auto` cache hit, single_basis_step {overhead['shape']}: {overhead['auto_us']:.1f} us per call "
                      f"(host) vs {overhead['explicit_us']:.1f} us for {overhead['chosen']} named explicitly: "
                      f"{overhead['overhead_us']:.1f} us of overhead."]
    elif overhead:
        lines += ["", f"`auto` overhead not measured: {overhead.get('error')}"]
    return lines


def target_lines(targets: list[dict]) -> list[str]:
    lines = ["", "| target | shape | measured | goal | status | what bounds it (this run) |",
             "| --- | --- | ---: | ---: | --- | --- |"]
    for t in targets:
        value = f"{t['value']:.2f}{t['unit']}" if t["value"] is not None else "n/a"
        status = {True: "met", False: "**missed**", None: "**not measured**"}[t["met"]]
        lines.append(f"| {t['target']} | {t['shape']} | {value} | {t['goal']}{t['unit']} | {status} | {t['bound']} |")
    return lines


def not_run_lines(result: dict) -> list[str]:
    seen: dict[str, list[str]] = {}
    for r in result["rows"] + result["fusion"]:
        for member, why in r.get("not_run", {}).items():
            seen.setdefault(f"{member}: {why}", []).append(f"{r['shape']} {r.get('pass', '')}".strip())
        if r.get("error"):
            seen.setdefault(f"{r['group']}: {r['error']}", []).append(r["shape"])
    if not seen:
        return []
    return ["", "Forms not run:"] + [f"- {why} ({len(where)} case(s): {', '.join(sorted(set(where))[:4])}"
                                     f"{', ...' if len(set(where)) > 4 else ''})" for why, where in seen.items()]


def markdown(result: dict) -> str:
    return "\n".join(header_lines(result) + op_table(result["rows"]) + dense_lines(result["rows"])
                     + fusion_lines(result["fusion"], result.get("auto_overhead"))
                     + target_lines(result["targets"]) + not_run_lines(result))
