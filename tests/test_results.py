"""suite.results: run directories, atomic summaries, and reading back only finished, well-formed runs;
the table generator renders from the good runs and names the bad ones."""
import json

import pytest

from suite import results


def make_run(root, *, model="fcnn-a", seed=0, profile="local", experiment="fcnn-table2", top1=50.0, epochs=2,
             finish=True):
    config = {"experiment": experiment, "profile": profile, "model": model, "seed": seed, "dataset": "digits",
              "recipe": {"lr": 0.1, "batch_size": 96, "epochs": epochs}}
    d = results.run_dir_for(root, config)
    results.start_run(d, config)
    history = [{"epoch": e + 1, "train_loss": 1.0 / (e + 1), "val_top1": top1 - (epochs - 1 - e), "val_top5": 99.0,
                "lr": 0.1} for e in range(epochs)]
    results.write_metrics(d, history)
    if finish:
        results.finish_run(d, {"schema": results.SCHEMA, "experiment": experiment, "model": model,
                               "profile": profile, "seed": seed, "epochs": epochs, "top1": top1, "top5": 99.0})
    return d


def test_run_dir_layout_and_round_trip(tmp_path):
    d = make_run(tmp_path, top1=61.5)
    assert d.parent == tmp_path / "fcnn-table2" / "local" and d.name.startswith("fcnn-a_s0_")
    env = json.loads((d / results.ENV).read_text())
    assert {"git_commit", "packages", "cpu_count", "gpus"} <= set(env) and "torch" in env["packages"]
    run = results.read_run(d)
    assert run.summary["top1"] == 61.5 and len(run.metrics) == 2
    assert not list(d.glob(".*.tmp"))  # atomic writes leave no temp files


def test_changed_config_gets_new_directory_and_same_directory_refuses_other_config(tmp_path):
    a = {"experiment": "e", "profile": "local", "model": "m", "seed": 0, "recipe": {"lr": 0.1}}
    b = {**a, "recipe": {"lr": 0.01}}
    assert results.run_dir_for(tmp_path, a) != results.run_dir_for(tmp_path, b)
    d = results.run_dir_for(tmp_path, a)
    results.start_run(d, a)
    with pytest.raises(ValueError, match="another config"):
        results.start_run(d, b)
    with pytest.raises(ValueError, match="expected key 'seed'"):
        results.run_dir_for(tmp_path, {"experiment": "e", "profile": "p", "model": "m"})


def test_finish_run_rejects_wrong_schema(tmp_path):
    with pytest.raises(ValueError, match="missing key 'top1'"):
        results.finish_run(tmp_path, {"schema": 1, "experiment": "e", "model": "m", "profile": "p", "seed": 0,
                                      "epochs": 1, "top5": 1.0})
    assert not results.is_finished(tmp_path)


def corrupt_results(root):
    """Two good runs plus every kind of bad one; returns (good dirs, {bad dir: expected reason})."""
    good = [make_run(root, model="fcnn-a", seed=0, top1=40.0), make_run(root, model="fcnn-a", seed=1, top1=50.0)]
    bad = {}
    d = make_run(root, model="fcnn-b", top1=70.0)
    with open(d / results.METRICS, "a") as f:
        f.write('{"epoch": 3, "train_loss": 0.')  # killed while writing a line
    bad[d] = "not valid JSON"
    d = make_run(root, model="fcnn-c", finish=False)
    bad[d] = "unfinished"
    d = make_run(root, model="fcnn-d", top1=70.0)
    s = json.loads((d / results.SUMMARY).read_text())
    s["top1"] = "70%"
    (d / results.SUMMARY).write_text(json.dumps(s))
    bad[d] = "key 'top1' expected float"
    d = make_run(root, model="fcnn-e", top1=70.0)
    s = json.loads((d / results.SUMMARY).read_text())
    s["schema"] = 99
    (d / results.SUMMARY).write_text(json.dumps(s))
    bad[d] = "schema 99"
    d = make_run(root, model="fcnn-f", top1=70.0)
    (d / results.SUMMARY).write_text('{"schema": 1, "top1"')  # truncated summary
    bad[d] = "summary.json: not valid JSON"
    return good, bad


def test_scan_separates_good_and_bad_runs(tmp_path):
    good, bad = corrupt_results(tmp_path)
    runs, bads = results.scan(tmp_path, "fcnn-table2", "local")
    assert sorted(r.path for r in runs) == sorted(good)
    reasons = {b.path: b.reason for b in bads}
    assert set(reasons) == set(bad)
    for d, expected in bad.items():
        assert expected in reasons[d], (d, reasons[d])


def test_scan_never_mixes_profiles(tmp_path):
    make_run(tmp_path, profile="paper", top1=70.0)
    make_run(tmp_path, profile="local", top1=30.0)
    runs, bad = results.scan(tmp_path, "fcnn-table2", "local")
    assert [r.summary["top1"] for r in runs] == [30.0] and not bad
    # a run whose config says paper but sits under local/ is bad, not silently used
    d = make_run(tmp_path, profile="paper", model="fcnn-b", top1=71.0)
    target = tmp_path / "fcnn-table2" / "local" / d.name
    d.rename(target)
    runs, bad = results.scan(tmp_path, "fcnn-table2", "local")
    assert [r.summary["top1"] for r in runs] == [30.0]
    assert [b.path for b in bad] == [target] and "profile 'paper'" in bad[0].reason
