"""pytest-benchmark module of the side-by-side comparisons (`suite.bench.catalog`): one group per shape, its forms
as the members. `python -m suite.bench` runs it and prints the table with the targets; run directly:

    python -m pytest -p no:randomly --pyargs suite.bench.compare --benchmark-json out.json
    python -m suite.bench --markdown-from out.json      # the README table of that run

Settings (environment, so `suite.bench` and a direct run agree): SUITE_BENCH_QUICK=1 (tiny shapes),
SUITE_BENCH_ONLY (a word of the groups to keep: single, topological, ho-cp, model, training),
SUITE_BENCH_PASSES (the whole list is timed this many times, pass after pass, so a change of the machine's
load hits every form alike; the report keeps each form's best), SUITE_BENCH_COMPILE=0 and
SUITE_BENCH_COMPILE_BUDGET (seconds of torch.compile before compiled forms are skipped),
SUITE_BENCH_MEMORY=0 (no memory probe), SUITE_BENCH_TRAIN_ROUNDS (timed SGD steps per training form and pass,
default 7: a step of Models E, K, L varies by up to 8 % from one call to the next). The JSON keeps, per
benchmark, `extra_info` (case, member, pass, multiplication counts, peak extra memory) and, at the top,
`machine_info["suite"]` (CPU model, ISA flags, threads, load before and after, whether the run is valid for
the README, measured sgemm peak and copy bandwidth) and `suite` (compile budget spent, forms excluded and why).

Not collected by `make test` (the file name is not test_*.py and it is outside tests/): no timing claims from
unit tests; tests/test_bench.py runs it once with --benchmark-disable on tiny shapes.
"""
from __future__ import annotations

import os

import pytest
import torch

from suite.bench import catalog, fusion_cases, machine, memory
from suite.bench.compiler import Compiler

QUICK = os.environ.get("SUITE_BENCH_QUICK", "0") not in ("", "0")
ONLY = os.environ.get("SUITE_BENCH_ONLY", "").strip().lower()
PASSES = int(os.environ.get("SUITE_BENCH_PASSES", "1"))
COMPILER = Compiler(os.environ.get("SUITE_BENCH_COMPILE", "0" if QUICK else "1") not in ("", "0"),
                                float(os.environ.get("SUITE_BENCH_COMPILE_BUDGET", "240")))
MEMORY = os.environ.get("SUITE_BENCH_MEMORY", "1") not in ("", "0")
TRAIN_ROUNDS = int(os.environ.get("SUITE_BENCH_TRAIN_ROUNDS", "1" if QUICK else "7"))
MACHINE = machine.machine()  # at collection, before anything is timed: the load before the run

CASES = [c for c in catalog.cases(QUICK) if not ONLY or ONLY in c.group.lower()]
_MADE: dict[str, dict] = {c.key: c.make() for c in CASES}  # built once, kept for every pass
_READY: dict[tuple, object] = {}  # (case key, member) -> callable, or the reason it cannot run
_MEMORY: dict[str, dict | str] = {}
PARAMS = [pytest.param(case, member, p, id=f"pass{p}-{case.key}-{member}")
          for p in range(PASSES) for case in CASES for member in _MADE[case.key]]


class _Hooks:
    """pytest-benchmark hooks: the machine record (CPU, ISA, threads, load) and the run's own fields."""

    def pytest_benchmark_update_machine_info(self, config, machine_info):
        machine_info["suite"] = MACHINE

    def pytest_benchmark_update_json(self, config, benchmarks, output_json):
        MACHINE.update(machine.machine_peaks())
        try:  # the host cost of an `auto` cache hit on a tiny op (suite.bench.fusion_cases)
            overhead = fusion_cases.auto_overhead(fusion_cases.cpu_host_us, "cpu")
        except Exception as err:  # noqa: BLE001 - reported as not measured, never a failed run
            overhead = {"error": f"{type(err).__name__}: {err}"}
        machine.judge_load(MACHINE)
        output_json["machine_info"]["suite"] = MACHINE
        output_json["suite"] = {"quick": QUICK, "passes": PASSES, "only": ONLY or None,
                                "compile_excluded": COMPILER.reasons, "compile_seconds": COMPILER.spent,
                                "auto_overhead": overhead}


@pytest.fixture(scope="session", autouse=True)
def _register_hooks(request):
    if not request.config.pluginmanager.has_plugin("suite-bench"):
        request.config.pluginmanager.register(_Hooks(), "suite-bench")


def _ready(case, member):
    """The member's zero-argument callable (compiled under the budget, warmed once), or pytest.skip."""
    key = (case.key, member)
    if key not in _READY:
        fn = _MADE[case.key][member]
        if isinstance(fn, tuple):
            fn = COMPILER.build(f"{case.key} {member}", *fn)  # (fn, args) or (fn, args, options)
        if fn is not None:
            with torch.set_grad_enabled(case.kind == "train"):
                fn()  # first call: Numba compile or cache load, autotune's choice, oneDNN primitives
        _READY[key] = fn if fn is not None else COMPILER.reasons[f"{case.key} {member}"]
    ready = _READY[key]
    if isinstance(ready, str):
        pytest.skip(ready)
    return ready


@pytest.mark.parametrize("case, member, pass_", PARAMS)
def test_side_by_side(benchmark, case, member, pass_):
    fn = _ready(case, member)
    benchmark.group = case.key
    benchmark.extra_info.update({"kind": case.kind, "group": case.group, "shape": case.label, "member": member,
                                 "pass": pass_, "macs": case.macs, "dense_macs": case.dense_macs,
                                 "input_bytes": case.input_bytes, **case.info})
    if case.kind == "op" and MEMORY and not isinstance(_MADE[case.key][member], tuple):
        if case.key not in _MEMORY:
            _MEMORY[case.key] = memory.measure_memory(case.key, QUICK)
        mem = _MEMORY[case.key]
        if isinstance(mem, dict):
            benchmark.extra_info["extra_bytes"] = mem[member]
        else:
            benchmark.extra_info["memory_error"] = mem
    with torch.set_grad_enabled(case.kind == "train"):
        if case.kind == "train":  # steps of 0.1-5 s: a fixed number of rounds, so the minimum is not one of 2-3
            benchmark.pedantic(fn, rounds=TRAIN_ROUNDS, iterations=1)
        else:
            benchmark(fn)
