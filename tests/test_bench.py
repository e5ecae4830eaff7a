"""`python -m suite.bench`: the one-run comparison harness (its load judgement, and a quick run end to end)."""
import subprocess
import sys

import pytest

from suite import bench


def test_load_judgement_marks_a_loaded_run_invalid(monkeypatch):
    m = {"torch_threads": 2, "numba_threads": 2, "load_before": [0.1, 0.1, 0.1]}
    monkeypatch.setattr(bench, "load_average", lambda: [2.2, 1.0, 0.5])
    bench.judge_load(m)
    assert m["valid_for_readme"] and m["load_after"] == [2.2, 1.0, 0.5]
    m = {"torch_threads": 2, "numba_threads": 2, "load_before": [0.5, 0.1, 0.1]}
    monkeypatch.setattr(bench, "load_average", lambda: [2.5, 1.0, 0.5])
    bench.judge_load(m)
    assert not m["valid_for_readme"] and "before" in m["load_note"] and "after" in m["load_note"]


def test_benchmark_shapes_use_the_papers_grids():
    from suite.bench_shapes import FCNN_GRIDS_2D, FCNN_STAGES
    from suite.paper_values import FCNN_TABLE1_OUTPUT, FCNN_TABLE3

    assert FCNN_GRIDS_2D == {row.channels: (row.d2, row.c2) for row in FCNN_TABLE3.values()}
    assert [h for _, h in FCNN_STAGES] == [FCNN_TABLE1_OUTPUT[s] for s in ("conv2_x", "conv3_x", "conv4_x")]


def test_machine_records_cpu_isa_threads_and_load():
    m = bench.machine()
    assert m["cpu"] and isinstance(m["isa"], list) and m["torch_threads"] >= 1 and len(m["load_before"]) == 3


@pytest.mark.slow
def test_bench_quick_runs_and_writes_json(tmp_path):
    """`python -m suite.bench --quick` (the CI smoke run) prints the table and writes every field."""
    import json

    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "suite.bench", "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| operator |" in proc.stdout and "Model L vs ResNet-18" in proc.stdout
    result = json.loads(out.read_text())
    assert {r["group"].split()[0] for r in result["rows"]} == {"single-basis", "topological", "HO-CP"}
    for r in result["rows"]:
        assert r["ours_ms"] > 0 and r["speedup_vs_dense"] > 0 and r["speedup_vs_fact"] > 0 and "ours_extra_mb" in r
    assert result["models"][2]["speedup"] > 0
    m = result["machine"]
    assert m["cpu"] and m["torch_threads"] >= 1 and len(m["load_before"]) == len(m["load_after"]) == 3
    assert isinstance(m["valid_for_readme"], bool) and ("VALID FOR THE README" in proc.stdout)


