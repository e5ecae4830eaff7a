"""`python -m suite.bench --device cuda`: the GPU run's code path on the CPU, with the device abstracted (a fake
timer that calls each form and returns set times), covering the header, every kind of row, the targets and the
JSON / markdown export. No timing claim: the times are the fake's."""
import json

import pytest
import torch

from suite.bench import cli, gpu_report, gpu_summary
from suite.bench.device import versions
from suite.bench.gpu_run import FORMAT, gpu_run


class FakeDevice:
    """A `suite.bench.device.Device` on the CPU: calls every timed form once (so each must run) and returns the
    times it was given (ms, default 1.0); host timer: auto's calls come first in each pair (see auto_overhead)."""

    kind, torch_device, kernel_backend = "cuda", "cpu", "numba"

    def __init__(self, times: dict[str, float]):
        self.times, self.timed, self.host_calls = times, [], 0

    def header(self) -> dict:
        return {"device": "cuda", "gpu": "Fake GPU", "driver": "0.0", "cuda": "0.0", "cudnn": 0, "sm_count": 1,
                "memory_gib": 1.0, "capability": "0.0", "clocks": {"clocks.sm": "1 MHz"}, "versions": versions()}

    def ceilings(self, quick: bool) -> dict:
        return {"fp32_matmul_tflops": 1.0, "tf32_matmul_tflops": 2.0, "bf16_matmul_tflops": 4.0, "copy_gbs": 100.0}

    def time(self, fn, member, budget_s, min_samples, max_samples):
        fn()
        self.timed.append(member)
        t = self.times.get(member, 1.0)
        return [0.9 * t, t, 1.1 * t]

    def host_us(self, fn, calls):
        fn()
        self.host_calls += 1
        return 55.0 if self.host_calls % 2 else 50.0  # via auto, then the chosen backend named explicitly

    def synchronize(self):
        pass


TIMES = {"ours: numba": 1.0, "fact: torch backend NCHW": 2.0, "fact: torch backend channels_last": 3.0,
         "auto": 1.02, "dense: tf32 channels_last": 0.5, "ours: fused (auto)": 1.0, "base: torch": 0.9,
         "base: auto": 1.2}


@pytest.fixture(scope="module")
def run_data(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SUITE_AUTOTUNE_BUDGET", "0.002")
    try:
        device = FakeDevice(TIMES)
        data = gpu_run(device, quick=True, compile_=False, time_limit=600, tiny=True, log=lambda line: None,
                       fusion_models=("fcnn-l",))
    finally:
        mp.undo()
    return device, data


def test_every_form_runs_forward_and_backward(run_data):
    device, data = run_data
    assert data["format"] == FORMAT
    failed = [(r["case"], r["pass"], r["member"], r["error"]) for r in data["records"] if "error" in r]
    assert not failed
    cp = {(r["pass"], r["member"]) for r in data["records"] if r["group"].startswith("HO-CP") and "median_ms" in r}
    for pass_ in ("fwd", "fwd+bwd"):
        for member in ("ours: numba", "auto", "fact: torch backend NCHW", "fact: conv3d chain channels_last",
                       "dense: fp32 NCHW", "dense: tf32 channels_last", "dense: bf16 autocast channels_last"):
            assert (pass_, member) in cp
    skipped = {r["member"]: r["skipped"] for r in data["records"] if "skipped" in r}
    assert "torch.compile disabled" in skipped["fact: compile channels_last"]
    assert "ours: numba-cuda" not in {r["member"] for r in data["records"]}  # a CUDA backend on a CPU device: no row
    order = [r["member"] for r in data["records"]]
    first_compiled = order.index("fact: compile channels_last")
    assert set(order[first_compiled:]) == {"fact: compile channels_last"}  # compiled forms last (their budget)
    assert "ours: fused (auto)" in order[:first_compiled]


def test_rows_and_targets(run_data):
    _, data = run_data
    result = gpu_summary.summarize(json.loads(json.dumps(data)))
    groups = {(r["group"].split()[0], r["pass"]) for r in result["rows"]}
    names = ("single-basis", "basis_conv2d", "topological", "HO-CP")
    assert groups == {(g, p) for g in names for p in ("fwd", "fwd+bwd")}
    step = next(r for r in result["rows"] if r["group"].startswith("single-basis") and r["pass"] == "fwd")
    assert step["kernel_ms"] == 1.0 and step["best_fact_ms"] == 2.0 and step["best_fact"] == "fact: torch backend NCHW"
    assert step["dense_tf32_ms"] == 0.5 and step["best_dense_mode"] == "tf32"
    assert step["kernel_bound"]["gbs"] == pytest.approx(step["info"]["bytes"] / 1e6)  # bytes / 1 ms in GB/s
    status = {(t["target"], t["shape"]): t["met"] for t in result["targets"]}
    shape = step["shape"] + " fwd"
    assert status[("single-basis step (fused): numba >= 1.0x the best PyTorch factorized form", shape)] is True
    assert status[("single-basis step (fused): numba forward >= 1.5x the best PyTorch factorized form", shape)]
    cp = [t for t in result["targets"] if t["target"].startswith("CP conv")]
    assert len(cp) == 2 and all(t["value"] == pytest.approx(2.0) and t["met"] for t in cp)
    autos = [t for t in result["targets"] if "auto >= 0.95x" in t["target"]]
    # auto's candidates: the torch reference (2.0) and the kernel (1.0) where the registry lets auto pick it
    assert len(autos) == 8 and all(t["value"] in (pytest.approx(1 / 1.02), pytest.approx(2 / 1.02)) for t in autos)
    (overhead,) = [t for t in result["targets"] if t["target"].startswith("auto cache hit")]
    assert overhead["value"] == pytest.approx(5.0) and overhead["met"]
    fused = [t for t in result["targets"] if t["target"].startswith("fused")]
    assert len(fused) == 2 and all(t["value"] == pytest.approx(0.9) and t["met"] is False for t in fused)


def test_markdown_and_json_export(run_data, tmp_path, capsys):
    _, data = run_data
    json_path, md_path = tmp_path / "bench-cuda.json", tmp_path / "bench-cuda.md"
    assert cli.report_gpu(data, json_path, md_path, gpu_report.markdown, gpu_summary.summarize) == 0
    printed = capsys.readouterr().out
    assert md_path.read_text() == printed
    assert "GPU: Fake GPU" in printed and "Measured ceilings: float32 matmul 1.0 TFLOP/s" in printed
    assert "| single-basis step (fused) |" in printed and "| fused vs unfused |" in printed
    assert "| auto cache hit <= 10 us host time | single_basis_step 1x8x4x4 | 5.00 us | 10.0 us | met |" in printed
    assert "**missed**" in printed and "Where the factorized layer still loses to the dense one" in printed
    assert "torch.compile disabled" in printed  # forms not run are listed with their reason
    assert cli.main(["--markdown-from", str(json_path)]) == 0
    assert capsys.readouterr().out == printed


def test_a_form_that_fails_is_a_row_not_a_crash(tmp_path):
    from suite.bench.forms import Form
    from suite.bench.gpu_run import Run

    def broken(x):
        raise AttributeError("module 'numpy' has no attribute 'row_stack'")

    run = Run(FakeDevice({}), quick=True, compile_=False, compile_budget=0, time_limit=60)
    rec = run.time_form({"case": "c", "group": "g", "shape": "s", "info": {}}, Form("ours: x", broken,
                                                                                  (torch.ones(1),)), "fwd")
    assert rec["error"] == "AttributeError: module 'numpy' has no attribute 'row_stack'"
    late = Run(FakeDevice({}), quick=True, compile_=False, compile_budget=0, time_limit=-1)
    assert "time limit" in late.time_form({"case": "c"}, Form("ours: x", broken, ()), "fwd")["skipped"]


def test_without_cuda_one_line_and_unavailable_exit_code(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(["--device", "cuda"]) == cli.EX_UNAVAILABLE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CUDA is not available" in err


def test_precision_is_set_per_form_and_restored():
    from suite.bench.precision import precision

    before = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    with precision("tf32"):
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
    with precision("fp32"):
        assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    with precision("bf16", "cpu"):
        assert torch.is_autocast_enabled("cpu")
    assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == before
    with pytest.raises(ValueError, match="precision"):
        with precision("fp16"):
            pass
