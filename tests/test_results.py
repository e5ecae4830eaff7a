"""suite.runs: run directories, atomic summaries, and reading back only finished, well-formed runs;
the table generator renders from the good runs and names the bad ones."""
import json

import pytest

from suite import runs


def make_run(root, *, model="fcnn-a", seed=0, profile="local", experiment="fcnn-table2", top1=50.0, epochs=2,
             finish=True, **config_extra):
    """A run written by the real writers (config, env, metrics, a checkpoint, a verified summary)."""
    config = {"experiment": experiment, "profile": profile, "model": model, "seed": seed, "dataset": "digits",
              "recipe": {"lr": 0.1, "batch_size": 96, "epochs": epochs}, "data": {"source": "test"}, **config_extra}
    d = runs.run_dir_for(root, config)
    runs.start_run(d, config)
    history = [{"epoch": e + 1, "train_loss": 1.0 / (e + 1), "val_top1": top1 - (epochs - 1 - e), "val_top5": 99.0,
                "val_loss": 1.0, "lr": 0.1, "seconds": 0.5} for e in range(epochs)]
    runs.write_metrics(d, history)
    runs.atomic_write_bytes(d / runs.CHECKPOINT, b"weights of " + d.name.encode())
    if finish:
        runs.finish_run(d, runs.make_summary(config, history, 1.0, "epochs"))
    return d


def test_run_dir_layout_and_round_trip(tmp_path):
    d = make_run(tmp_path, top1=61.5)
    assert d.parent == tmp_path / "fcnn-table2" / "local" and d.name.startswith("fcnn-a_s0_")
    env = json.loads((d / runs.ENV).read_text())
    assert {"git_commit", "packages", "cpu_count", "gpus"} <= set(env) and "torch" in env["packages"]
    run = runs.read_run(d)
    assert run.summary["top1"] == 61.5 and len(run.metrics) == 2
    assert not list(d.glob(".*.tmp"))  # atomic writes leave no temp files


def test_changed_config_gets_new_directory_and_same_directory_refuses_other_config(tmp_path):
    a = {"experiment": "e", "profile": "local", "model": "m", "seed": 0, "recipe": {"lr": 0.1}}
    b = {**a, "recipe": {"lr": 0.01}}
    assert runs.run_dir_for(tmp_path, a) != runs.run_dir_for(tmp_path, b)
    d = runs.run_dir_for(tmp_path, a)
    runs.start_run(d, a)
    with pytest.raises(ValueError, match="another config"):
        runs.start_run(d, b)
    with pytest.raises(ValueError, match="expected key 'seed'"):
        runs.run_dir_for(tmp_path, {"experiment": "e", "profile": "p", "model": "m"})


def test_finish_run_rejects_wrong_schema(tmp_path):
    with pytest.raises(ValueError, match="missing key 'top1'"):
        runs.finish_run(tmp_path, {"schema": 1, "experiment": "e", "model": "m", "profile": "p", "seed": 0,
                                      "epochs": 1, "top5": 1.0})
    assert not runs.is_finished(tmp_path)
    d = make_run(tmp_path, finish=False)
    history = runs.read_metrics(d / runs.METRICS)
    summary = runs.make_summary(runs.read_json(d / runs.CONFIG), history, 1.0, "epochs")
    with pytest.raises(ValueError, match="top1=99.0 differs from metrics.jsonl"):  # summary must match the log
        runs.finish_run(d, {**summary, "top1": 99.0})
    assert not runs.is_finished(d)


def corrupt_results(root):
    """Two good runs plus every kind of bad one; returns (good dirs, {bad dir: expected reason})."""
    good = [make_run(root, model="fcnn-a", seed=0, top1=40.0), make_run(root, model="fcnn-a", seed=1, top1=50.0)]
    bad = {}
    d = make_run(root, model="fcnn-b", top1=70.0)
    with open(d / runs.METRICS, "a") as f:
        f.write('{"epoch": 3, "train_loss": 0.')  # killed while writing a line
    bad[d] = "not valid JSON"
    d = make_run(root, model="fcnn-c", finish=False)
    bad[d] = "unfinished: 2 epoch(s) done"
    d = make_run(root, model="fcnn-d", top1=70.0)
    s = json.loads((d / runs.SUMMARY).read_text())
    s["top1"] = "70%"
    (d / runs.SUMMARY).write_text(json.dumps(s))
    bad[d] = "key 'top1' expected float"
    d = make_run(root, model="fcnn-e", top1=70.0)
    s = json.loads((d / runs.SUMMARY).read_text())
    s["schema"] = 99
    (d / runs.SUMMARY).write_text(json.dumps(s))
    bad[d] = "schema 99"
    d = make_run(root, model="fcnn-f", top1=70.0)
    (d / runs.SUMMARY).write_text('{"schema": 1, "top1"')  # truncated summary
    bad[d] = "summary.json: not valid JSON"
    return good, bad


def test_scan_separates_good_and_bad_runs(tmp_path):
    good, bad = corrupt_results(tmp_path)
    found, bads = runs.scan(tmp_path, "fcnn-table2", "local")
    assert sorted(r.path for r in found) == sorted(good)
    reasons = {b.path: b.reason for b in bads}
    assert set(reasons) == set(bad)
    for d, expected in bad.items():
        assert expected in reasons[d], (d, reasons[d])


def test_scan_never_mixes_profiles(tmp_path):
    make_run(tmp_path, profile="paper", top1=70.0)
    make_run(tmp_path, profile="local", top1=30.0)
    found, bad = runs.scan(tmp_path, "fcnn-table2", "local")
    assert [r.summary["top1"] for r in found] == [30.0] and not bad
    # a run whose config says paper but sits under local/ is bad, not silently used
    d = make_run(tmp_path, profile="paper", model="fcnn-b", top1=71.0)
    target = tmp_path / "fcnn-table2" / "local" / d.name
    d.rename(target)
    found, bad = runs.scan(tmp_path, "fcnn-table2", "local")
    assert [r.summary["top1"] for r in found] == [30.0]
    assert [b.path for b in bad] == [target] and "profile 'paper'" in bad[0].reason


def test_wrong_but_well_formed_numbers_never_count(tmp_path):
    """Case 4: an edited top-1, NaN or Infinity anywhere, a file changed after the summary: bad."""
    edits = {}
    d = make_run(tmp_path, model="fcnn-a")
    s = json.loads((d / runs.SUMMARY).read_text())
    (d / runs.SUMMARY).write_text(json.dumps({**s, "top1": 99.9}))
    edits[d] = "summary top1=99.9 differs from metrics.jsonl (50.0)"
    d = make_run(tmp_path, model="fcnn-b")
    (d / runs.METRICS).write_text((d / runs.METRICS).read_text().replace('"val_loss": 1.0', '"val_loss": NaN'))
    edits[d] = "non-finite number NaN"
    d = make_run(tmp_path, model="fcnn-c")
    (d / runs.SUMMARY).write_text((d / runs.SUMMARY).read_text().replace('"train_seconds": 1.0',
                                                                                '"train_seconds": Infinity'))
    edits[d] = "non-finite number Infinity"
    d = make_run(tmp_path, model="fcnn-d")
    (d / runs.CHECKPOINT).write_bytes(b"other weights")
    edits[d] = "checkpoint.pt changed after the run finished"
    d = make_run(tmp_path, model="fcnn-e")
    env = json.loads((d / runs.ENV).read_text())
    runs.atomic_write_json(d / runs.ENV, {**env, "git_commit": None})
    edits[d] = "env.json changed after the run finished"
    found, bad = runs.scan(tmp_path, "fcnn-table2", "local")
    assert not found
    reasons = {b.path: b.reason for b in bad}
    for d, expected in edits.items():
        assert expected in reasons[d], reasons[d]
        assert runs.classify(d).state == runs.BAD


def test_files_get_the_users_umask(tmp_path):
    """Case 7: results are readable by colleagues (umask 022 -> 0644), not mkstemp's 0600."""
    import os
    import stat
    old = os.umask(0o022)
    try:
        d = make_run(tmp_path)
        os.umask(0o027)
        runs.atomic_write_json(tmp_path / "x.json", {})
    finally:
        os.umask(old)
    for name in (runs.CONFIG, runs.ENV, runs.METRICS, runs.SUMMARY, runs.CHECKPOINT):
        assert stat.S_IMODE((d / name).stat().st_mode) == 0o644, name
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o640


def test_classify_a_directory_being_written(tmp_path):
    """Case 8: while a process holds the run's lock, its directory is running, whatever is in it."""
    d = tmp_path / "fcnn-table2" / "local" / "fcnn-a_s0_x"
    assert runs.classify(d).state == runs.NOT_STARTED
    with runs.lock_run(d):
        st = runs.classify(d)
        assert st.state == runs.RUNNING and st.epochs == 0 and st.heartbeat_age < 60 and ":" in st.holder
        d.mkdir(parents=True)
        (d / runs.METRICS).write_text('{"epoch": 1}\n{"epo')  # a line being written
        assert runs.classify(d).describe().startswith("running: 1 epoch(s) done")
    assert runs.classify(d).state == runs.BAD  # no lock, no config: damaged


def test_run_errors_cross_process_boundaries(tmp_path):
    """A pool worker's BadRun / RunLocked reaches `jobs run` intact (pickled by concurrent.futures)."""
    import pickle
    for error in (runs.BadRun(tmp_path, "why"), runs.UnfinishedRun(tmp_path, "unfinished"),
                  runs.RunLocked(tmp_path, "host:42")):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error) and again.path == tmp_path
