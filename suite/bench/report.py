"""The CPU run's report: one line per operator row, and the README's markdown table with the targets."""
from __future__ import annotations


def row_line(r: dict) -> str:
    mem = (f"{r['ours_extra_mb']:.1f} MB ({r['extra_over_input']:.2f}x input)" if "ours_extra_mb" in r
           else r.get("memory_error", "?"))
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
             "| operator | shape | ours ms | vs best dense | vs best factorized (form) | mult. ratio (paper count) "
             "| GFLOP/s | extra mem / input |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for r in result["rows"]:
        mem = f"{r['extra_over_input']:.2f}" if "extra_over_input" in r else "n/a"
        peer = ("; vs tltorch " + ", ".join(f"{k} {v:.2f}x" for k, v in r["speedup_vs_tltorch"].items())
                if "speedup_vs_tltorch" in r else "")
        lines.append(f"| {r['group']} | {r['shape']} | {r['ours_ms']:.2f} | {r['speedup_vs_dense']:.2f}x | "
                     f"{r['speedup_vs_fact']:.2f}x ({r['best_fact']}){peer} | {r['mult_ratio']:.2f}x | "
                     f"{r['gflops']:.0f} | {mem} |")
    if result["pairs"]:
        lines += ["", "| comparison | shape | ours ms (fastest form) | baseline ms (fastest form) | speedup "
                  "| mult. ratio |",
                  "| --- | --- | ---: | ---: | ---: | ---: |"]
        for p in result["pairs"]:
            ratio = f"{p['info']['mult_ratio']:.2f}x" if "mult_ratio" in p["info"] else ""
            lines.append(f"| {p['group']} | {p['shape']} | {p['ours_ms']:.1f} ({p['ours']}) | "
                         f"{p['base_ms']:.1f} ({p['base']}) | "
                         f"{p['speedup']:.2f}x | {ratio} |")
    if result["targets"]:
        lines += ["", "| target | shape | measured | status | what bounds it (this run) |",
                  "| --- | --- | ---: | --- | --- |"]
        for t in result["targets"]:
            lines.append(f"| {t['target']} | {t['shape']} | {t['value']:.2f}{t['unit']} | "
                         f"{'met' if t['met'] else '**missed**'} | {t.get('bound', '')} |")
    if s.get("compile_excluded"):
        lines += ["", "torch.compile forms excluded: " + "; ".join(sorted(set(s["compile_excluded"].values())))]
    return "\n".join(lines)

