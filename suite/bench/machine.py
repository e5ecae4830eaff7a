"""The machine a CPU run was taken on: CPU model and SIMD flags, threads, versions, load before and after (is
the run valid for the README?), and its measured sgemm peak and copy bandwidth."""
from __future__ import annotations

import math
import os
import platform
import time

import torch

from suite import host

SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
              "amx_tile", "amx_bf16", "neon", "asimd", "sve")
LOAD_LIMIT = 0.3  # 1-minute load above this (beyond the run's own threads) marks a run as taken under load


def _cpuinfo() -> tuple[str, list[str]]:
    """The CPU model (`suite.host.cpu`, the one reader of /proc/cpuinfo) and its SIMD flags."""
    cpu, flags = host.cpu()
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

