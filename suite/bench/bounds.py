"""What bounds a measured time: its achieved bandwidth and FLOP rate as fractions of the device's measured
ceilings (copy bandwidth, matmul TFLOP/s of its precision). A form under BOUND_FRACTION of both is bound by
neither: by launches, latency or a poor kernel. Read by the GPU summary, its targets and its report."""
from __future__ import annotations

BOUND_FRACTION = 0.3


def bound(ms: float, bytes_: float, flops: float, ceilings: dict, mode: str = "fp32") -> dict:
    """Achieved bandwidth and FLOP rate of a time, as fractions of the device's measured ceilings."""
    peak = ceilings.get(f"{mode}_matmul_tflops") or ceilings.get("fp32_matmul_tflops")
    gbs, tflops = bytes_ / ms / 1e6, flops / ms / 1e9
    out = {"gbs": gbs, "tflops": tflops, "bw_frac": gbs / ceilings["copy_gbs"] if ceilings.get("copy_gbs") else None,
           "flop_frac": tflops / peak if peak else None}
    fracs = [f for f in (out["bw_frac"], out["flop_frac"]) if f is not None]
    if not fracs:
        out["verdict"] = "no ceilings measured"
    elif max(fracs) < BOUND_FRACTION:
        out["verdict"] = "bound by neither (launches, latency or the kernel itself)"
    else:
        out["verdict"] = "memory-bound" if (out["bw_frac"] or 0) >= (out["flop_frac"] or 0) else "compute-bound"
    return out


def bound_text(label: str, ms: float, b: dict, mode: str = "fp32") -> str:
    bw = f"{100 * b['bw_frac']:.0f} %" if b["bw_frac"] is not None else "?"
    fl = f"{100 * b['flop_frac']:.0f} %" if b["flop_frac"] is not None else "?"
    return (f"{label} {ms:.3f} ms: {b['gbs']:.0f} GB/s ({bw} of copy bw), {b['tflops']:.1f} TFLOP/s ({fl} of the "
            f"{mode} matmul ceiling): {b['verdict']}")
