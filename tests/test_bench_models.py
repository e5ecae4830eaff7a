"""`python -m suite.bench models`: the model timings' code path on tiny nets (narrow, small inputs), on the CPU and
through the GPU path with a fake device (`tests.test_bench_gpu.FakeDevice`: set times, no CUDA). No timing claim:
only that every form, part and task runs and the JSON is what the verdicts read."""
import json

import pytest

from paper_tables import time_verdicts as tv
from suite.bench import cli, model_timing
from suite.bench.model_forms import GPU_FORMS, forms_for
from tests.test_bench_gpu import FakeDevice


def test_quick_cpu_run_writes_the_json_the_verdicts_read(tmp_path, capsys):
    path = tmp_path / "models.json"
    code = cli.main(["models", "--quick", "--tiny", "--models", "fcnn-e", "--batches", "2",
                     "--samples", "2", "--json", str(path)])
    assert code == 0
    data = json.loads(path.read_text())
    assert data["format"] == model_timing.FORMAT and data["device"]["kind"] == "cpu"
    assert data["device"]["cores"] >= 1 and "load_before" in data["device"] and "load_after" in data["device"]["after"]
    assert len(data["commit"]["sha"]) == 40 or data["commit"]["sha"].startswith("unknown")
    assert not [r for r in data["records"] + data["layers"] if "error" in r]
    done = {(r["model"], r["part"], r["task"], r["form"]) for r in data["records"] if "samples_ms" in r}
    for form in ("fp32 eager NCHW", "fp32 eager channels_last"):
        assert {("fcnn-e", "model", "inference", form), ("fcnn-e", "model", "training", form),
                ("fcnn-e", "stages", "inference", form)} <= done
    assert all("--quick" in r["skipped"] for r in data["records"] if r["part"] == "stages" and r["task"] == "training")
    assert all(len(r["samples_ms"]) == 2 and r["batch"] == 2 for r in data["records"] if "samples_ms" in r)
    stage = next(r for r in data["records"] if r["part"] == "stages")
    whole = next(r for r in data["records"] if r["part"] == "model" and r["model"] == "fcnn-e")
    assert 0 < stage["multiplications"] < whole["multiplications"]  # the substituted layers' share
    assert {r["layer"] for r in data["layers"]} == {"3D-Conv", "CP-HOConv-3", "CP-HOConv-6"}
    bench = tv.load_bench(path)
    eff = tv.Efficiency("fcnn-e", "fcnn-e", "≈", 1.0, 0.5, stages=True)  # the reading path: both parts
    assert [v.part for v in tv.headline(tv.verdicts(eff, bench))] == ["model", "stages"]
    out = capsys.readouterr().out
    assert "fastest form" in out and "fcnn-e" in out


def test_model_and_form_selection_errors_are_one_line(capsys):
    assert cli.main(["models", "--models", "fcnn-z"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'fcnn-z' not timed here" in err
    assert cli.main(["models", "--forms", "bf16 autocast channels_last"]) == 2  # a GPU form on the CPU
    assert "not a cpu form" in capsys.readouterr().err
    assert model_timing.select_models(None, quick=True) == tuple(m for m in model_timing.MODELS
                                                                 if m not in model_timing.REFERENCE)
    assert model_timing.select_models(["all"], quick=True) == model_timing.MODELS
    assert [f.name for f in forms_for("cpu", None, quick=True)] == ["fp32 eager NCHW", "fp32 eager channels_last"]


def test_cuda_path_with_a_fake_device_covers_every_gpu_form(tmp_path, monkeypatch):
    from suite.bench import models_cli

    monkeypatch.setenv("SUITE_AUTOTUNE_BUDGET", "0.002")
    device = FakeDevice({})
    path = tmp_path / "models-cuda.json"
    argv = ["--device", "cuda", "--tiny", "--no-compile", "--models", "hocp-convnet", "--batches", "2",
            "--samples", "3", "--no-figure5", "--json", str(path)]
    assert models_cli.main(argv, device=device) == 0
    data = json.loads(path.read_text())
    assert data["device"]["kind"] == "cuda" and data["device"]["gpu"] == "Fake GPU"
    assert not [r for r in data["records"] if "error" in r]
    eager = [f.name for f in GPU_FORMS if not f.compile]
    assert {"tf32 eager channels_last", "bf16 autocast channels_last", "fp32 auto NCHW"} <= set(eager)
    for task in ("inference", "training"):
        timed = {r["form"] for r in data["records"] if r["task"] == task and "samples_ms" in r}
        assert timed == set(eager)
    assert all(r["samples_ms"] == pytest.approx([0.9, 1.0, 1.1]) for r in data["records"])  # the fake's times
    assert len(device.timed) == 2 * len(eager)
    bench = tv.load_bench(path)
    assert bench.label().startswith("cuda: Fake GPU on ")
    assert model_timing.BATCHES["cuda"] == (1, 32, 256) and model_timing.BATCHES["cpu"] == (1, 32)


def test_compile_forms_come_last_and_skip_with_their_reason():
    forms = forms_for("cuda", ["fp32 eager NCHW", "tf32 compile channels_last"], quick=False)
    run = model_timing.model_timings(FakeDevice({}), ("fcnn-e",), forms, (2,), 2, compile_budget=-1.0,
                                     tiny=True, log=lambda line: None)
    order = [(r["form"], r["part"], r["task"], "samples_ms" in r) for r in run["records"]]
    eager = [("fp32 eager NCHW", p, t, True) for p in ("model", "stages") for t in ("inference", "training")]
    assert order[:4] == eager  # the stage layers' training pass too (forward and backward of the blocks)
    assert [(f, ok) for f, _, _, ok in order[4:]] == [("tf32 compile channels_last", False)] * 4
    reasons = [r["skipped"] for r in run["records"][4:]]
    assert "budget" in reasons[0] and "budget" in reasons[1] and reasons[2] == "stages: eager forms only"


def test_cuda_without_a_gpu_is_one_line_and_unavailable(monkeypatch, capsys):
    import torch

    from suite.bench import models_cli

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(["models", "--device", "cuda", "--models", "fcnn-l"]) == models_cli.EX_UNAVAILABLE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CUDA is not available" in err


def test_past_the_time_limit_every_model_left_is_one_skipped_record(tmp_path):
    forms = forms_for("cpu", None, quick=True)
    run = model_timing.model_timings(FakeDevice({}), ("fcnn-e", "vgg16"), forms, (1,), 2, time_limit=-1.0,
                                     figure5_max=1e9, tiny=True, log=lambda line: None)
    assert [(r["model"], r["form"]) for r in run["records"]] == [("fcnn-e", "(every form)"), ("vgg16", "(every form)")]
    assert all("time limit" in r["skipped"] for r in run["records"] + run["layers"]) and run["layers"]
    path = tmp_path / "late.json"
    path.write_text(json.dumps(run))
    (v,) = tv.verdicts(tv.Efficiency("fcnn-e", "vgg16", "<", 1.0), tv.load_bench(path))
    assert v.verdict == tv.NOT_MEASURED
