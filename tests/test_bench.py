"""`python -m suite.bench`: the one-run comparison harness (its load judgement, and a quick run end to end)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import suite.bench
from suite.bench import breakdown, catalog, cli, machine, summary


def test_load_judgement_marks_a_loaded_run_invalid(monkeypatch):
    m = {"torch_threads": 2, "numba_threads": 2, "load_before": [0.1, 0.1, 0.1]}
    monkeypatch.setattr(machine, "load_average", lambda: [2.2, 1.0, 0.5])
    machine.judge_load(m)
    assert m["valid_for_readme"] and m["load_after"] == [2.2, 1.0, 0.5]
    m = {"torch_threads": 2, "numba_threads": 2, "load_before": [0.5, 0.1, 0.1]}
    monkeypatch.setattr(machine, "load_average", lambda: [2.5, 1.0, 0.5])
    machine.judge_load(m)
    assert not m["valid_for_readme"] and "before" in m["load_note"] and "after" in m["load_note"]


def test_benchmark_shapes_use_the_papers_grids():
    from suite.bench.shapes import FCNN_GRIDS_2D, FCNN_STAGES
    from suite.paper_values import FCNN_TABLE1_OUTPUT, FCNN_TABLE3

    assert FCNN_GRIDS_2D == {row.channels: (row.d2, row.c2) for row in FCNN_TABLE3.values()}
    assert [h for _, h in FCNN_STAGES] == [FCNN_TABLE1_OUTPUT[s] for s in ("conv2_x", "conv3_x", "conv4_x")]


def test_machine_records_cpu_isa_threads_and_load():
    m = machine.machine()
    assert m["cpu"] and isinstance(m["isa"], list) and m["torch_threads"] >= 1 and len(m["load_before"]) == 3


def test_training_shapes_are_the_local_profiles():
    from suite.bench.shapes import TRAIN_LOCAL
    from suite.experiments._fcnn import LOCAL_FCNN

    assert TRAIN_LOCAL["overrides"] == LOCAL_FCNN.model_overrides
    assert TRAIN_LOCAL["batch"] == LOCAL_FCNN.recipe.batch_size


@pytest.mark.parametrize("index", range(3))
def test_every_factorized_form_computes_our_operator(index):
    """Each case's `fact:` members (PyTorch forms, tltorch's FactorizedConv) give our kernel's output."""
    made = catalog.op_cases(quick=True)[index].make()
    with torch.no_grad():
        ours = made["ours"]()
        for member, fn in made.items():
            if member.startswith("fact:") and not isinstance(fn, tuple):
                torch.testing.assert_close(fn(), ours, rtol=1e-4, atol=1e-4, msg=member)
    if index == 2:
        assert any("tltorch" in m for m in made) == (importlib.util.find_spec("tltorch") is not None)


def _bench_json(times: list, passes=2) -> dict:
    """A pytest-benchmark JSON as suite.bench.compare writes it from [(kind, group, shape, member, info, ms)]
    (pass p times ms·(1 + p): the first pass is the best)."""
    benchmarks = []
    for p in range(passes):
        for kind, group, shape, member, info, ms in times:
            extra = {"kind": kind, "group": group, "shape": shape, "member": member, "pass": p, **info}
            stats = {"min": ms * (1 + p) / 1e3}
            benchmarks.append({"group": f"{group} | {shape}", "extra_info": extra, "stats": stats})
    mach = {"cpu": "test", "isa": [], "cores": 2, "torch": "t", "torch_threads": 2, "numba": "n", "numba_threads": 2,
               "cpu_capability": "x", "load_before": [0, 0, 0], "load_after": [0, 0, 0], "valid_for_readme": True}
    return {"machine_info": {"suite": mach}, "suite": {"passes": passes}, "benchmarks": benchmarks}


def test_summary_keeps_the_best_pass_and_judges_the_targets(tmp_path, capsys):
    sb = ("op", "single-basis step", "C=512", {"macs": 10, "dense_macs": 50, "input_bytes": 4})
    cp = ("op", "HO-CP 3-D CP conv", "C=64 R=384", {"macs": 10, "dense_macs": 50, "input_bytes": 4, "C": 64, "R": 384})
    ml = ("model", "Model L vs ResNet-18 inference", "N=1", {"mult_ratio": 3.87})
    times = [(*sb[:3], "ours", sb[3], 2.0), (*sb[:3], "fact: eager NCHW", sb[3], 3.0),
             (*sb[:3], "dense: eager NCHW", sb[3], 9.0),
             (*cp[:3], "ours", {**cp[3], "extra_bytes": 12}, 4.0), (*cp[:3], "dense: eager NCDHW", cp[3], 3.0),
             (*cp[:3], "fact: tltorch FactorizedConv factorized", cp[3], 8.0),
             (*ml[:3], "ours: fused steps", ml[3], 10.0), (*ml[:3], "ours: torch NCHW", ml[3], 12.0),
             (*ml[:3], "base: eager NCHW", ml[3], 30.0)]
    result = summary.summarize(_bench_json(times))
    single, hocp = result["rows"]
    assert single["ours_ms"] == pytest.approx(2.0) and single["speedup_vs_fact"] == pytest.approx(1.5)
    assert hocp["speedup_vs_tltorch"] == {"factorized": pytest.approx(2.0)} and hocp["extra_over_input"] == 3.0
    (model,) = result["pairs"]
    assert model["ours"] == "fused steps" and model["speedup"] == pytest.approx(3.0)
    status = {(t["target"].split()[0], t["unit"]): t["met"] for t in result["targets"]}
    assert status == {("single-basis", "x"): True, ("HO-CP", "x"): False, ("HO-CP", "x input"): False,
                      ("Model", "x"): True}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_bench_json(times)))
    assert cli.main(["--markdown-from", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| HO-CP 3-D >= 1.0x dense Conv3d (R = 6C) | C=64 R=384 | 0.75x | **missed** |" in out
    assert "vs tltorch factorized 2.00x" in out


def test_markdown_from_rejects_another_json(tmp_path, capsys):
    """Another JSON is bad input: one line naming the file and what was expected, exit 2, no traceback."""
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"rows": []}))
    assert cli.main(["--markdown-from", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "pytest-benchmark JSON" in err[0]


def test_the_pytest_benchmark_module_runs(tmp_path):
    """A smoke run of the harness (--benchmark-disable: each form called once, nothing timed)."""
    root = str(Path(suite.bench.__file__).resolve().parents[2])  # this checkout's suite, not the venv's install
    env = dict(os.environ, SUITE_BENCH_QUICK="1", SUITE_BENCH_ONLY="single", SUITE_BENCH_MEMORY="0", PYTHONPATH=root)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-q",
                           "--pyargs", "suite.bench.compare", "--benchmark-disable"],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # ours, 2 eager fact., 2 eager dense, 2 bounds (projection GEMM alone); 3 torch.compile forms (quick: off)
    assert "7 passed, 3 skipped" in proc.stdout


@pytest.mark.slow
def test_bench_quick_runs_and_writes_json(tmp_path):
    """`python -m suite.bench --quick` (the CI smoke run) prints the table with the targets and keeps the JSON."""
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "suite.bench", "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| operator |" in proc.stdout and "Model L vs ResNet-18" in proc.stdout and "| target |" in proc.stdout
    result = summary.summarize(json.loads(out.read_text()))
    assert {r["group"].split()[0] for r in result["rows"]} == {"single-basis", "topological", "HO-CP"}
    for r in result["rows"]:
        assert r["ours_ms"] > 0 and r["speedup_vs_dense"] > 0 and r["speedup_vs_fact"] > 0 and "ours_extra_mb" in r
    assert {p["kind"] for p in result["pairs"]} == {"model", "train", "fusion"}  # fusion: fused vs unfused E, F, L
    assert all(t["met"] in (True, False) for t in result["targets"])
    m = result["machine"]
    assert m["cpu"] and m["torch_threads"] >= 1 and len(m["load_before"]) == len(m["load_after"]) == 3
    assert m["sgemm_gflops_torch"] > 0 and m["copy_gbs"] > 0
    assert isinstance(m["valid_for_readme"], bool) and ("VALID FOR THE README" in proc.stdout)


def test_layer_profile_times_each_conv_once_with_its_multiplications():
    """`--breakdown`'s profiler rows: one row per conv shape (nested aten events not counted twice), its calls per
    forward and MACs from the eager forward, a kind per layer (depthwise, k×k, 1×1)."""
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 8, 3, padding=1, groups=8), torch.nn.Conv2d(8, 4, 1),
                              torch.nn.Conv2d(4, 4, 1))
    x = torch.randn(2, 3, 8, 8)
    prof = breakdown.layer_profile(lambda: net(x), lambda: net(x), repeats=3)
    rows = {(r["kind"], r["weight"]): r for r in prof["rows"]}
    assert set(rows) == {("3x3", (8, 3, 3, 3)), ("depthwise", (8, 1, 3, 3)), ("1x1", (4, 8, 1, 1)),
                         ("1x1", (4, 4, 1, 1))}
    px = 2 * 8 * 8  # N·H·W
    expected = {(8, 3, 3, 3): px * 8 * 27, (8, 1, 3, 3): px * 8 * 9, (4, 8, 1, 1): px * 4 * 8, (4, 4, 1, 1): px * 4 * 4}
    for (kind, w), r in rows.items():
        assert r["calls"] == 1 and r["macs"] == expected[w] and r["ms"] > 0, (kind, r)
    assert prof["wall_ms"] > 0 and prof["wall_prof_ms"] > 0
    seen = {((2, 8, 8, 8), (4, 8, 1, 1)): (0, "1x1")}  # an in-place conv lists the residual it adds to first
    assert breakdown._layer_key([[2, 4, 8, 8], [2, 8, 8, 8], [4, 8, 1, 1], [4]], seen) == ((2, 8, 8, 8), (4, 8, 1, 1))
