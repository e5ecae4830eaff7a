"""The GPU the benchmark runs on, behind one small interface so that its code path runs on a CPU in tests.

`Device` is what the GPU run needs from a device: the torch device string, the kernel backend its targets
name, a header (GPU name, driver, CUDA, cuDNN, clocks, versions), measured ceilings (float32 / TF32 / bf16
matmul TFLOP/s and copy bandwidth), a timer of device time per call (CUDA events) and a timer of host time
per call. `CudaDevice` is the real one; tests pass a fake with the same methods.

Timing (`CudaDevice.time`): after the caller's warm-up, one CUDA event pair around each call, calls issued
back to back (the host never waits for the GPU between them, so a call's time is the GPU's when the GPU is
the bottleneck and the host's launch time when the host is), until `budget_s` of wall time or `max_samples`;
at least `min_samples`. The L2 cache is not flushed between calls (the same layer called on the same tensors
is what a network's step does too). Samples are milliseconds per call.
"""
from __future__ import annotations

import subprocess
import time
from typing import Callable, Protocol

import torch

SMI_FIELDS = ("name", "driver_version", "clocks.sm", "clocks.max.sm", "clocks.mem", "clocks.max.mem", "power.limit",
              "temperature.gpu")


class Device(Protocol):
    kind: str  # "cuda"
    torch_device: str  # where the benchmark's tensors live
    kernel_backend: str  # the Numba backend the targets are about on this device

    def header(self) -> dict: ...

    def ceilings(self, quick: bool) -> dict: ...

    def time(self, fn: Callable[[], object], member: str, budget_s: float, min_samples: int,
             max_samples: int) -> list[float]: ...

    def host_us(self, fn: Callable[[], object], calls: int) -> float: ...

    def synchronize(self) -> None: ...


def versions() -> dict:
    """Versions of what the kernels and the forms run on ('not installed' where missing)."""
    from suite.kernels._env import versions

    return {"torch": torch.__version__, **versions(("numba", "numba-cuda", "numpy", "tensorly-torch", "triton"),
                                                   missing="not installed")}


def nvidia_smi(index: int = 0) -> dict:
    """`nvidia-smi --query-gpu` of GPU `index` ({} when nvidia-smi is missing or fails: the header says so)."""
    try:
        proc = subprocess.run(["nvidia-smi", f"--id={index}", f"--query-gpu={','.join(SMI_FIELDS)}",
                               "--format=csv,noheader"], capture_output=True, text=True, timeout=15, check=True)
    except (OSError, subprocess.SubprocessError):
        return {}
    values = [v.strip() for v in proc.stdout.strip().splitlines()[0].split(",")] if proc.stdout.strip() else []
    return dict(zip(SMI_FIELDS, values)) if len(values) == len(SMI_FIELDS) else {}


def cuda_unavailable_reason() -> str | None:
    """None when a CUDA device can run the benchmark, else why not (one line)."""
    if not torch.cuda.is_available():
        built = torch.version.cuda or "no CUDA"
        return f"CUDA is not available (torch {torch.__version__}, CUDA build: {built}): no GPU benchmark here"
    return None


class CudaDevice:
    """One CUDA device, timed with CUDA events."""

    kind = "cuda"
    kernel_backend = "numba-cuda"

    def __init__(self, index: int = 0):
        self.index = index
        self.torch_device = f"cuda:{index}"

    def synchronize(self) -> None:
        torch.cuda.synchronize(self.index)

    def header(self) -> dict:
        props = torch.cuda.get_device_properties(self.index)
        smi = nvidia_smi(self.index)
        return {"device": "cuda", "gpu": props.name, "driver": smi.get("driver_version", "nvidia-smi unavailable"),
                "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                "sm_count": props.multi_processor_count, "memory_gib": round(props.total_memory / 2**30, 1),
                "capability": f"{props.major}.{props.minor}", "clocks": {k: v for k, v in smi.items()
                                                                          if k.startswith(("clocks", "power", "temp"))},
                "versions": versions()}

    def time(self, fn, member, budget_s, min_samples, max_samples) -> list[float]:
        pairs = []
        start = time.perf_counter()
        while len(pairs) < max_samples and (len(pairs) < min_samples or time.perf_counter() - start < budget_s):
            begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            begin.record()
            fn()
            end.record()
            pairs.append((begin, end))
            if len(pairs) % 8 == 0:  # the wall-clock budget needs the GPU's progress, not only the host's
                end.synchronize()
        self.synchronize()
        return [b.elapsed_time(e) for b, e in pairs]

    def host_us(self, fn, calls) -> float:
        """Host microseconds per call of `fn` over `calls` calls issued back to back (no synchronization
        between them; the queue is drained before and after)."""
        self.synchronize()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        self.synchronize()
        return elapsed / calls * 1e6

    def ceilings(self, quick: bool) -> dict:
        """Measured float32 (TF32 off), TF32 and bf16 matmul TFLOP/s and copy bandwidth (GB/s, read + write)."""
        from suite.bench.precision import precision

        dev, out = self.torch_device, {}
        for name, mode, dtype, n in (("fp32", "fp32", torch.float32, 4096), ("tf32", "tf32", torch.float32, 8192),
                                     ("bf16", "fp32", torch.bfloat16, 8192)):
            n = n // 2 if quick else n
            a, b = torch.randn(n, n, device=dev, dtype=dtype), torch.randn(n, n, device=dev, dtype=dtype)
            with precision(mode):
                ms = _median(self._timed(lambda a=a, b=b: torch.mm(a, b), 5))
            out[f"{name}_matmul_tflops"] = 2 * n**3 / ms / 1e9
            del a, b
        src = torch.empty(2**28 if not quick else 2**26, device=dev)  # 1 GiB (quick: 256 MiB) of float32
        dst = torch.empty_like(src)
        ms = _median(self._timed(lambda d=dst, s=src: d.copy_(s), 5))
        out["copy_gbs"] = 2 * src.numel() * 4 / ms / 1e6
        del src, dst
        torch.cuda.empty_cache()
        return out

    def _timed(self, fn, n: int) -> list[float]:
        fn()
        self.synchronize()
        return self.time(fn, "ceiling", 0.0, n, n)


def cuda_event_ms(fn: Callable[[], object], reps: int, warmup: int = 3, index: int = 0) -> list[float]:
    """`reps` CUDA-event times (ms) of `fn` after `warmup` calls: the bench's timer, for the scripts/ checks."""
    device = CudaDevice(index)
    for _ in range(warmup):
        fn()
    device.synchronize()
    return device.time(fn, "script", 0.0, reps, reps)


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
