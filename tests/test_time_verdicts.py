"""Time verdicts of efficiency claims (`paper_tables.time_verdicts`) and the figures in seconds
(`paper_tables.time_figures`), on synthetic model-timing JSONs: the times are set, not measured."""
import math
import platform

import pytest

from paper_tables import efficiency_claims, stats
from paper_tables import time_verdicts as tv
from tests import _bench_json as bj

HALF = tv.Efficiency("fcnn-d", "fcnn-a", "≈", 0.5, 0.05, stages=True)


def two_models(d_ms: float, a_ms: float = 100.0, spread: float = 0.02, **kw) -> dict:
    return bj.bench({("fcnn-d", "model", "inference", 32): {"fp32 eager NCHW": d_ms * 1.3,
                                                           "fp32 eager channels_last": d_ms},
                     ("fcnn-a", "model", "inference", 32): {"fp32 eager NCHW": a_ms,
                                                           "fp32 eager channels_last": a_ms * 1.2},
                     ("fcnn-d", "model", "inference", 1): {"fp32 eager NCHW": d_ms / 20},
                     ("fcnn-a", "model", "inference", 1): {"fp32 eager NCHW": a_ms / 20},
                     ("fcnn-d", "stages", "training", 32): {"fp32 eager NCHW": 3 * d_ms},
                     ("fcnn-a", "stages", "training", 32): {"fp32 eager NCHW": 3 * a_ms}}, spread=spread, **kw)


def load(tmp_path, data, name="bench.json"):
    return tv.load_bench(bj.write(tmp_path / name, data))


@pytest.mark.parametrize("relation, paper, tol, lo, hi, expected", [
    ("≈", 0.5, 0.05, 0.47, 0.52, stats.HOLDS), ("≈", 0.5, 0.05, 0.6, 0.7, stats.CONTRADICTED),
    ("≈", 0.5, 0.05, 0.3, 0.4, stats.CONTRADICTED), ("≈", 0.5, 0.05, 0.52, 0.6, stats.INCONCLUSIVE),
    ("<", 1.0, 0, 0.8, 0.9, stats.HOLDS), ("<", 1.0, 0, 1.0, 1.2, stats.CONTRADICTED),
    ("<", 1.0, 0, 0.9, 1.1, stats.INCONCLUSIVE), (">", 3.0, 0, 3.1, 3.3, stats.HOLDS),
    (">", 3.0, 0, 2.0, 3.0, stats.CONTRADICTED), (">", 3.0, 0, 2.9, 3.1, stats.INCONCLUSIVE),
    ("≈", 0.5, 0.05, None, None, stats.INCONCLUSIVE)])
def test_decide_is_the_counts_tolerance_rule_on_the_interval(relation, paper, tol, lo, hi, expected):
    assert tv.decide(relation, paper, tol, lo, hi) == expected


def test_ratio_of_geometric_means_with_a_log_t_interval():
    ratio, lo, hi = tv.ratio_interval(bj.samples(50.0, 0.05), bj.samples(100.0, 0.05))
    assert ratio == pytest.approx(0.5) and lo < 0.5 < hi and hi / lo < 1.1
    assert math.log(ratio / lo) == pytest.approx(math.log(hi / ratio))  # symmetric in log
    r2, lo2, hi2 = tv.ratio_interval(bj.samples(50.0, 0.3), bj.samples(100.0, 0.3))
    assert r2 == pytest.approx(0.5) and lo2 < lo and hi2 > hi  # more spread, wider interval
    assert tv.ratio_interval([50.0], [100.0], scale=2.0) == (pytest.approx(1.0), None, None)


def test_holds_contradicted_inconclusive_with_the_fastest_forms(tmp_path):
    holds = tv.verdicts(HALF, load(tmp_path, two_models(50.0)))
    head = holds[0]
    assert (head.part, head.task, head.batch) == ("model", "inference", 32)  # inference, largest batch first
    assert head.verdict == stats.HOLDS and head.ratio == pytest.approx(0.5)
    assert head.forms == {"fcnn-d": "fp32 eager channels_last", "fcnn-a": "fp32 eager NCHW"}
    assert [(v.part, v.task, v.batch) for v in holds] == [("model", "inference", 32), ("model", "inference", 1),
                                                         ("stages", "training", 32)]
    assert [v.part for v in tv.headline(holds)] == ["model", "stages"]
    assert tv.verdicts(HALF, load(tmp_path, two_models(80.0)))[0].verdict == stats.CONTRADICTED
    noisy = tv.verdicts(HALF, load(tmp_path, two_models(54.0, spread=0.5)))[0]
    assert noisy.verdict == stats.INCONCLUSIVE and noisy.lo < 0.45 and noisy.hi > 0.55
    assert "→ holds" in head.cell() and "fcnn-d: fp32 eager channels_last" in head.cell() and "N=32" in head.cell()
    whole_only = tv.Efficiency("fcnn-d", "fcnn-a", "≈", 0.5, 0.05)
    assert {v.part for v in tv.verdicts(whole_only, load(tmp_path, two_models(50.0)))} == {"model"}


def test_a_missing_model_is_not_measured(tmp_path):
    data = two_models(50.0)
    data["records"] = [r for r in data["records"] if r["model"] != "fcnn-d"]
    (v,) = tv.verdicts(HALF, load(tmp_path, data, "cpu-run.json"))
    assert v.verdict == tv.NOT_MEASURED and v.ratio is None and "fcnn-d not in cpu-run.json" in v.cell()
    skipped = bj.bench({("fcnn-d", "model", "inference", 1): {"fp32 eager NCHW": None},
                        ("fcnn-a", "model", "inference", 1): {"fp32 eager NCHW": 10.0}})
    assert tv.verdicts(HALF, load(tmp_path, skipped))[0].verdict == tv.NOT_MEASURED  # no successful form


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a readable JSON file"),
    ('{"format": "suite.bench.gpu/1", "records": []}', "expected a model-timings JSON"),
    ('[1, 2]', "got format 'list'"),
    ('{"format": "suite.bench.models/1", "device": {}, "commit": {}, "records": {}}', "'records' to be a list"),
    ('{"format": "suite.bench.models/1", "device": {}, "commit": {}, "records": [{"model": "x"}]}',
     "record 0 lacks"),
    ('{"format": "suite.bench.models/1", "device": {}, "commit": {}, "records": [{"model": "x", "part": "model", '
     '"task": "inference", "batch": 1, "form": "f", "samples_ms": [0, 1]}]}', "positive milliseconds")])
def test_a_malformed_json_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(tv.BenchError) as err:
        tv.load_bench(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_two_devices_each_labelled_with_machine_and_commit(tmp_path):
    cpu = load(tmp_path, two_models(50.0), "cpu.json")
    gpu = load(tmp_path, two_models(150.0, kind="cuda", name="Fake H200", sha="b" * 40, host="gpuhost"), "gpu.json")
    v_cpu, v_gpu = (tv.verdicts(HALF, b, head="a" * 40)[0] for b in (cpu, gpu))
    assert v_cpu.verdict == stats.HOLDS and v_gpu.verdict == stats.CONTRADICTED
    assert v_cpu.device == "cpu: Test CPU, 2 cores on testhost, commit aaaaaaaaaa (another machine)"
    assert v_gpu.device == "cuda: Fake H200 on gpuhost, commit bbbbbbbbbb (another machine, another commit)"
    here = load(tmp_path, two_models(50.0, host=platform.node()), "here.json")
    assert here.label("a" * 40) == f"cpu: Test CPU, 2 cores on {platform.node()}, commit aaaaaaaaaa"


def test_figure5_verdicts_every_pair_or_the_worst_one(tmp_path):
    fast = {("3D-Conv", 16, 16): 10.0, ("CP-HOConv-3", 16, 16): 4.0, ("CP-HOConv-6", 16, 16): 8.0,
            ("3D-Conv", 32, 32): 40.0, ("CP-HOConv-3", 32, 32): 10.0, ("CP-HOConv-6", 32, 32): 50.0}
    out = tv.figure5_verdicts(load(tmp_path, bj.bench({}, layers=fast)))
    assert [(v.forms.keys() - {"3D-Conv"}, v.verdict) for v in out] == [({"CP-HOConv-3"}, stats.HOLDS),
                                                                        ({"CP-HOConv-6"}, stats.CONTRADICTED)]
    assert out[1].ratio == pytest.approx(1.25) and "largest ratio at 32×32" in out[1].detail
    (none,) = tv.figure5_verdicts(load(tmp_path, bj.bench({})))
    assert none.verdict == tv.NOT_MEASURED


def test_every_efficiency_claim_is_a_claim_of_the_ledger():
    from paper_tables.claims import CLAIMS

    keys = {c.key for c in CLAIMS}
    assert set(efficiency_claims.keys()) <= keys
    eff = efficiency_claims.efficiency()
    assert eff["fcnn-googlenet-over-l"] == tv.Efficiency("googlenet", "fcnn-l", "≈", 3.4, 0.05,
                                                         what="3.4 times less computation")
    assert eff["fcnn-table2-complexity-fcnn-b"].stages and eff["fcnn-table2-complexity-fcnn-b"].tol == 0.005
    assert len(efficiency_claims.keys()) >= 27


def test_figures_render_printable_from_two_devices(tmp_path):
    from paper_tables import time_figures as tf
    from tests._figures import assert_printable

    models = ("fcnn-a", "fcnn-a0", "fcnn-b", "fcnn-g", "fcnn-l", "resnet18", "googlenet", "alexnet", "convnet3d",
              "hocp-convnet")
    times = {(m, "model", "inference", n): {"fp32 eager NCHW": 10.0 * (i + 1) * n} for i, m in enumerate(models)
             for n in (1, 32)}
    layers = {(s, c, c): 5.0 * c / (1 + k) for c in (16, 32) for k, s in enumerate(("3D-Conv", "CP-HOConv-3"))}
    mults = {m: 1e8 * (i + 1) for i, m in enumerate(models)}
    benches = [load(tmp_path, bj.bench(times, layers=layers, mults=mults), "cpu.json"),
               load(tmp_path, bj.bench(times, kind="cuda", name="Fake GPU", layers=layers, mults=mults), "gpu.json")]
    fastest_form = tf.figure5_times(benches[0])["CP-HOConv-3", 32, 32]  # the median of the faster form
    assert fastest_form == pytest.approx(80.0, rel=1e-3)
    points = tf.gap_points(benches[0])
    lr = next(p for p in points if (p["model"], p["baseline"]) == ("fcnn-l", "resnet18"))
    assert lr["mult_ratio"] == pytest.approx(5 / 6) and lr["time_ratio"] == pytest.approx(5 / 6) and lr["batch"] == 32
    for draw in tf.DRAW.values():
        for columns in (1, 2):
            assert_printable(draw(benches, columns), columns)
    paths = tf.render(benches, tmp_path / "out")
    assert {p.name for p in paths} >= {"fcnn_figure2_time.png", "hocp_figure5_time_1col.pdf",
                                       "time_vs_multiplications.png"}


@pytest.mark.slow  # the ledger counts every paper-size network (~1 min on 2 cores)
def test_claims_page_puts_a_time_verdict_or_not_measured_beside_every_efficiency_claim(tmp_path, capsys):
    from paper_tables.__main__ import main

    data = two_models(50.0)  # fcnn-d and fcnn-a only: every other efficiency claim is "not measured" there
    cpu = bj.write(tmp_path / "cpu.json", data)
    gpu = bj.write(tmp_path / "gpu.json", two_models(150.0, kind="cuda", name="Fake H200", sha="b" * 40))
    out = tmp_path / "out"
    assert main(["claims", "--bench", str(cpu), str(gpu), "--out", str(out)]) == 0
    page = (out / "claims.md").read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in page.splitlines() if line.startswith("| ")}
    for key in efficiency_claims.keys():
        cell = rows[key].rstrip(" |").split(" | ")[-1]
        assert cell.count("cpu: Test CPU") >= 1 and cell.count("cuda: Fake H200") >= 1, (key, cell)
        assert "→" in cell or tv.NOT_MEASURED in cell
    d_vs_a = rows["fcnn-t2-d-vs-a"]
    assert "cpu: Test CPU" in d_vs_a and "0.5× [" in d_vs_a and "→ holds" in d_vs_a and "→ contradicted" in d_vs_a
    assert rows["fcnn-t2-b-vs-a"].rstrip(" |").endswith("—")  # an accuracy claim without efficiency statement
    assert "fcnn-t2-d-vs-a" in page.split("hold in counts but are contradicted in seconds")[2].split(";")[0]
    assert (out / "claims_time.md").exists() and (out / "time_vs_multiplications.png").exists()
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    capsys.readouterr()
    assert main(["claims", "--bench", str(cpu), str(broken), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(broken) in err
