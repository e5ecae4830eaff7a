"""The CPU as a `suite.bench.device.Device` for the model timings: wall-clock time per call, the machine's
fingerprint (`suite.bench.machine`) as its header.

Timing: `time.perf_counter` around each call, after the caller's warm-up; samples in milliseconds. The
header's first call records the load before the run, any later call the load after it and whether the run
counts as taken on an idle machine (`machine.judge_load`).
"""
from __future__ import annotations

import time


class CpuDevice:
    kind = "cpu"
    torch_device = "cpu"
    kernel_backend = "numba"

    def __init__(self):
        self._machine: dict | None = None

    def header(self) -> dict:
        from suite.bench.machine import judge_load, machine

        if self._machine is None:
            self._machine = {"device": "cpu", **machine()}
        else:
            judge_load(self._machine)
        return dict(self._machine)

    def synchronize(self) -> None:
        pass

    def time(self, fn, member, budget_s, min_samples, max_samples) -> list[float]:
        samples = []
        start = time.perf_counter()
        while len(samples) < max_samples and (len(samples) < min_samples or time.perf_counter() - start < budget_s):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1e3)
        return samples

    def host_us(self, fn, calls) -> float:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - t0) / calls * 1e6

    def ceilings(self, quick: bool) -> dict:
        from suite.bench.machine import machine_peaks

        return machine_peaks()


__all__ = ["CpuDevice"]
