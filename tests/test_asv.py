"""asv tracking: the regression gate on synthetic results, the asv configuration, and every
benchmark's setup + methods on the quickest ('small') shape. Timings decide nothing here."""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import math
import pkgutil
import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _gate():
    spec = importlib.util.spec_from_file_location("asv_gate", ROOT / "scripts" / "asv_gate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gate = _gate()
S = gate.Sample


# ------------------------------------------------------------------------------------------ gate logic
@pytest.mark.parametrize(
    "base, head, expected",
    [
        (S(1.0), S(1.6), "slower"),
        (S(1.0), S(1.4), "same"),
        (S(1.0), S(0.5), "faster"),
        (S(1.0), S(None), "broken"),  # ran in BASE, fails in HEAD
        (S(1.0), S(math.nan), "same"),  # skipped in HEAD (no GPU, say)
        (S(math.nan), S(5.0), "same"),  # nothing to compare with
        (S(None), S(5.0), "same"),
        (S(1.0, (0.5, 2.0)), S(1.8, (1.2, 2.5)), "noise"),  # 99% intervals overlap: not significant
        (S(1.0, (0.9, 1.1)), S(1.8, (1.7, 1.9)), "slower"),
        (S(1.0, (0.9, 1.1)), S(1.8), "slower"),  # one side without an interval (asv --quick)
    ],
)
def test_classify(base, head, expected):
    assert gate.classify(base, head, 1.5) == expected


def test_compare_gates_time_only_and_orders_failures_first():
    base = {"m.C.time_a('x')": S(1.0), "m.C.time_b('x')": S(1.0), "m.C.track_gflops('x')": S(10.0),
            "m.C.peakmem_forward('x')": S(1e8), "m.C.time_c('x')": S(1.0), "m.C.time_only_base": S(1.0)}
    head = {"m.C.time_a('x')": S(1.2), "m.C.time_b('x')": S(3.0), "m.C.track_gflops('x')": S(1.0),
            "m.C.peakmem_forward('x')": S(9e8), "m.C.time_c('x')": S(None), "m.C.time_only_head": S(9.0)}
    changes = gate.compare(base, head, 1.5)
    assert [c.benchmark for c in changes][:2] == ["m.C.time_b('x')", "m.C.time_c('x')"]
    assert {c.benchmark for c in changes} == {"m.C.time_a('x')", "m.C.time_b('x')", "m.C.time_c('x')"}
    assert [c.status for c in gate.failures(changes)] == ["slower", "broken"]
    assert changes[0].ratio == pytest.approx(3.0)
    with pytest.raises(ValueError, match="factor"):
        gate.compare(base, head, 1.0)


# ------------------------------------------------------------------- gate on asv's own results files
BASE_HASH, HEAD_HASH = "a" * 40, "b" * 40
NAME = "bench_fcnn.Topological1x1.time_forward"
PARAMS = [["'small'", "'N32-C128-H36-grid8x16'"], ["'torch'", "'numba'"]]


def _save(results_dir: Path, commit: str, values: list, name: str = NAME) -> None:
    """A results file written by asv's own Results API, as `asv run --set-commit-hash` writes it."""
    from asv.results import Results
    from asv.runner import BenchmarkResult

    r = Results({"machine": "box", "python": "3.11"}, {}, commit, 0, "3.11", "existing-py", {})
    samples = [None if v is None or math.isnan(v) else [v * f for f in (0.98, 0.99, 1.0, 1.01, 1.02)] for v in values]
    r.add_result({"name": name, "version": "1", "params": PARAMS},
                 BenchmarkResult(result=values, samples=samples, number=[1 if s else None for s in samples],
                                 errcode=0, stderr="", profile=None))
    r.save(str(results_dir))


def _run(tmp_path, factor="1.5", *extra):
    return gate.main(["--base", BASE_HASH, "--head", HEAD_HASH, "--results-dir", str(tmp_path), "--factor", factor,
                      *extra])


def test_gate_exits_nonzero_on_a_slowed_kernel(tmp_path, capsys):
    _save(tmp_path, BASE_HASH, [0.001, 0.0005, 0.020, 0.010])
    _save(tmp_path, HEAD_HASH, [0.001, 0.0005, 0.020, 0.031])  # ('N32-…', 'numba') 3.1x slower
    assert _run(tmp_path) == 1
    out = capsys.readouterr().out
    assert re.search(r"slower .*3\.10 .*N32-C128-H36-grid8x16', 'numba'\)", out), out
    assert "FAILED: 1 benchmark" in out
    assert _run(tmp_path, "4.0") == 0  # the same results pass a looser gate
    assert _run(tmp_path, "1.5", "--bench", "'small'") == 0  # and the gate can be restricted


def test_gate_passes_within_factor_and_on_speedups(tmp_path, capsys):
    _save(tmp_path, BASE_HASH, [0.001, 0.0005, 0.020, 0.010])
    _save(tmp_path, HEAD_HASH, [0.0014, 0.0001, 0.025, math.nan])  # 1.4x, faster, 1.25x, skipped
    assert _run(tmp_path) == 0
    out = capsys.readouterr().out
    assert "OK: no time_* benchmark slower than 1.5x" in out and "faster" in out


def test_degenerate_intervals_are_ignored():
    # seen on a loaded 2-core machine: 2 samples gave HEAD the interval (-0.0068, 0.42) s around 0.27 s
    assert gate._ci({"ci_99_a": -0.0068, "ci_99_b": 0.42}) is None
    assert gate._ci({"ci_99_a": 0.01, "ci_99_b": 0.02}) == (0.01, 0.02)
    assert gate._ci({"ci_99_a": 0.01, "ci_99_b": math.inf}) is None and gate._ci(None) is None


def test_gate_fails_when_a_benchmark_breaks(tmp_path):
    _save(tmp_path, BASE_HASH, [0.001, 0.0005, 0.020, 0.010])
    _save(tmp_path, HEAD_HASH, [0.001, 0.0005, 0.020, None])
    assert _run(tmp_path) == 1


def test_gate_reports_missing_results(tmp_path, capsys):
    _save(tmp_path, BASE_HASH, [0.001, 0.0005, 0.020, 0.010])
    assert _run(tmp_path) == 2
    assert "need results of both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _run(tmp_path, "0.9")


# ----------------------------------------------------------------------------------- configuration
def test_asv_conf():
    conf = json.loads(re.sub(r"^\s*//.*$", "", (ROOT / "asv.conf.json").read_text(), flags=re.M))
    assert conf["branches"] == ["main"]
    assert conf["environment_type"] == "existing"  # offline: never builds environments
    assert (ROOT / conf["benchmark_dir"] / "__init__.py").is_file()
    assert gate._conf_results_dir() == ROOT / conf["results_dir"]


# ------------------------------------------------------------------- every benchmark, quickest params
def _benchmark_classes():
    import benchmarks

    out = []
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"benchmarks.{info.name}")
            out += [cls for name, cls in vars(module).items()
                    if inspect.isclass(cls) and not name.startswith("_") and cls.__module__ == module.__name__]
    return out


CLASSES = _benchmark_classes()


def test_every_op_is_benchmarked():
    from benchmarks._common import BACKENDS
    from suite import ops

    assert {cls.OP for cls in CLASSES} == {"basis_conv2d", "single_basis_stack", "topological_conv", "cp_conv",
                                           "tucker_conv"}
    for cls in CLASSES:
        assert callable(getattr(ops, cls.OP))
        assert cls.params == [list(cls.SHAPES), BACKENDS] and "small" in cls.SHAPES, cls.__name__


def _numba_ops() -> set:
    from suite.ops import registry

    return set(registry.ops_with("numba"))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_benchmark_setup_and_methods_on_small_shape(cls, monkeypatch):
    monkeypatch.setenv("FCNN_BENCH_SRC", str(ROOT))  # the benchmarks must import this tree's suite
    ran = []
    for backend in cls.params[1]:
        bench = cls()
        try:
            bench.setup("small", backend)
        except NotImplementedError as skip:
            assert backend != "torch", f"the torch reference must always run: {skip}"
            assert str(skip), "a skip must say why"
            continue
        ran.append(backend)
        bench.time_forward("small", backend)
        bench.time_forward_backward("small", backend)
        bench.peakmem_forward("small", backend)
        gflops = bench.track_gflops("small", backend)
        speedup = bench.track_speedup_vs_dense("small", backend)
        assert math.isfinite(gflops) and gflops > 0 and math.isfinite(speedup) and speedup > 0
    assert "torch" in ran
    if cls.OP in _numba_ops():  # a kernel that exists must be benchmarked, not skipped
        assert "numba" in ran


def test_benchmarks_import_the_benchmarked_tree(monkeypatch, tmp_path):
    from benchmarks._common import load_ops

    monkeypatch.setenv("FCNN_BENCH_SRC", str(tmp_path))
    with pytest.raises(RuntimeError, match="not from the benchmarked tree"):
        load_ops()
    monkeypatch.setenv("FCNN_BENCH_SRC", str(ROOT))
    assert Path(load_ops().__file__).is_relative_to(ROOT)
    foreign = types.ModuleType("suite._from_elsewhere")
    foreign.__file__ = str(tmp_path / "suite" / "_from_elsewhere.py")  # e.g. the editable install's tree
    monkeypatch.setitem(sys.modules, foreign.__name__, foreign)
    with pytest.raises(RuntimeError, match="suite._from_elsewhere was imported from"):
        load_ops()
