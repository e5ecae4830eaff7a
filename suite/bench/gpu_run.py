"""The GPU run: every form of every case timed on one device, forward and forward+backward, into one JSON.

Per case the forms are built once; per pass (forward, then forward+backward) each form is warmed (two calls:
Numba compilation, `auto`'s measurement, torch.compile under the run's budget) and then timed by the device
(`suite.bench.device`: CUDA events), median and quartiles of the samples. A form that cannot run says why
(not installed, compile budget spent, its error's first line) and the run goes on. The torch.compile forms
run last, after every other case (one compilation can take tens of seconds: on the H200 on 2026-12-04 the
compile forms of the first three shapes took 88 s), so that their budget and the time limit only ever cut
compiled forms. `auto` measures its
candidates into a fresh autotune directory (choices made now, on this device). A wall-clock limit skips
what is left once reached, so the run always ends with its JSON written.
"""
from __future__ import annotations

import statistics
import time

import torch

from suite.bench import shapes as S
from suite.bench.compiler import Compiler
from suite.bench.forms import runner
from suite.bench.fresh_cache import fresh_autotune_cache

FORMAT = "suite.bench.gpu/1"
PASSES = ("fwd", "fwd+bwd")


def _reason(err: BaseException) -> str:
    return f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0][:160]}"


def stats(samples: list[float]) -> dict:
    q = statistics.quantiles(samples, n=4) if len(samples) >= 2 else [samples[0]] * 3
    return {"median_ms": statistics.median(samples), "q1_ms": q[0], "q3_ms": q[2], "n": len(samples)}


class Run:
    """One GPU run's state: the device, its budgets, the compiler, the records."""

    def __init__(self, device, quick: bool, compile_: bool, compile_budget: float, time_limit: float, log=print):
        self.device, self.quick, self.log = device, quick, log
        self.compiler = Compiler(compile_, compile_budget)
        self.deadline = time.perf_counter() + time_limit
        self.time_limit = time_limit
        self.budget_s, self.min_samples, self.max_samples = (0.02, 3, 50) if quick else (0.05, 5, 100)
        self.records: list[dict] = []

    def late(self) -> str | None:
        if time.perf_counter() > self.deadline:
            return f"the run's time limit of {self.time_limit:.0f} s was reached"
        return None

    def time_form(self, where: dict, form, pass_: str) -> dict:
        """The record of one form in one pass; `where`: the case's "case" (key), "group", "shape", "info"."""
        rec = {**where, "pass": pass_, "member": form.member, "mode": form.mode, "candidate": form.candidate}
        grad = pass_ == "fwd+bwd"
        reason = form.skip or self.late() or (None if form.grad_ok or not grad else "forward only")
        if reason:
            return {**rec, "skipped": reason}
        device_type = torch.device(self.device.torch_device).type
        fn = form.fn
        try:
            if form.compile:
                key = f"{where['case']} {form.member} {pass_}"
                fn = self.compiler.compile(key, form.fn, lambda c: _warm(runner(form, c, grad, device_type)))
                if fn is None:
                    return {**rec, "skipped": self.compiler.reasons[key]}
            run = runner(form, fn, grad, device_type)
            _warm(run)
            self.device.synchronize()
            samples = self.device.time(run, form.member, self.budget_s, self.min_samples, self.max_samples)
        except Exception as err:  # noqa: BLE001 - a form that fails is a row that says why, never a crash
            return {**rec, "error": _reason(err)}
        return {**rec, **stats(samples)}

    def op_case(self, case, compiled: bool = False) -> None:
        """Time the case's forms, both passes: the eager ones, or (`compiled`) only the torch.compile ones."""
        start = time.perf_counter()
        info = {"macs": case.macs, "dense_macs": case.dense_macs, "bytes": case.bytes, "op": case.op, **case.info}
        where = {"case": case.key, "group": case.group, "shape": case.label, "info": info}
        try:
            forms = case.make(self.device.torch_device)
        except Exception as err:  # noqa: BLE001
            self.records.append({**where, "pass": "fwd", "member": "(case)",
                                 "error": f"building the case failed: {_reason(err)}"})
            return
        for pass_ in PASSES:
            for form in forms:
                if form.compile == compiled:
                    self.records.append(self.time_form(where, form, pass_))
        del forms
        _empty_cache(self.device)
        self.log(f"  {case.key}{' (torch.compile forms)' if compiled else ''}: {time.perf_counter() - start:.1f} s")

    def fusion_case(self, name: str, N: int, small: bool) -> None:
        from suite.bench.forms import Form
        from suite.bench.fusion_cases import fusion_forms

        group, label = f"fused vs unfused {name}", f"N={N}"
        where = {"case": f"{group} | {label}", "group": group, "shape": label, "info": {"model": name, "batch": N}}
        start = time.perf_counter()
        try:
            forms = fusion_forms(name, N, self.device.torch_device, small)
        except Exception as err:  # noqa: BLE001
            self.records.append({**where, "pass": "fwd", "member": "(case)",
                                 "error": f"building the models failed: {_reason(err)}"})
            return
        for member, fn in forms.items():
            self.records.append(self.time_form(where, Form(member, fn, (), grad_ok=False), "fwd"))
        del forms
        _empty_cache(self.device)
        self.log(f"  {where['case']}: {time.perf_counter() - start:.1f} s")


def _warm(run) -> None:
    run()
    run()


def _empty_cache(device) -> None:
    if torch.device(device.torch_device).type == "cuda":
        torch.cuda.empty_cache()


def gpu_run(device, quick: bool = False, compile_: bool = True, compile_budget: float = 60.0,
            time_limit: float = 170.0, only: str | None = None, tiny: bool = False, log=print,
            fusion_models=S.GPU_FUSION_MODELS) -> dict:
    """The whole GPU run on `device` (a `suite.bench.device.Device`); the JSON-ready result. `tiny`: the CI
    shapes (tests run this code on the CPU with a fake device)."""
    from suite.bench.fusion_cases import auto_overhead
    from suite.bench.gpu_cases import op_cases

    t0 = time.perf_counter()
    with fresh_autotune_cache() as env:
        header = {**device.header(), "kernel_backend": device.kernel_backend}
        log(f"GPU run on {header.get('gpu', device.torch_device)}: measuring ceilings")
        ceilings = device.ceilings(quick)
        run = Run(device, quick, compile_, compile_budget, time_limit, log)
        cases = [c for c in op_cases(quick, tiny) if not only or only in c.group.lower()]
        for case in cases:
            run.op_case(case)
        overhead = None
        if not only or only == "auto":
            try:
                overhead = auto_overhead(device.host_us, device.torch_device, calls=100 if tiny else 400)
            except Exception as err:  # noqa: BLE001
                overhead = {"error": _reason(err)}
        if not only or only in ("model", "fused"):
            for name in fusion_models:
                for N in ((1, 2) if tiny else S.MODEL_BATCHES):
                    run.fusion_case(name, N, small=tiny or quick)
        for case in cases:  # last: see the module docstring
            run.op_case(case, compiled=True)
        header["clocks_after"] = device.header().get("clocks", {})
    return {"format": FORMAT, "device": header, "ceilings": ceilings, "auto_overhead": overhead,
            "records": run.records,
            "suite": {"quick": quick, "only": only, "compile_seconds": run.compiler.spent, "autotune": env,
                      "seconds": time.perf_counter() - t0, "time_limit": time_limit,
                      "timing": {"budget_s": run.budget_s, "min_samples": run.min_samples,
                                 "max_samples": run.max_samples}}}
