"""[2/7] A (model, seed) counts once, whatever happens to the tree: a reworded provenance sentence finds the
finished run (case 1), a copied, renamed or linked run directory is never counted again (case 2), a duplicate
of one (identity, model, seed) counts once, and a tree written under the old naming (the hash of the whole
config) is found finished after the upgrade."""
from __future__ import annotations

import os
import shutil

import pytest

from jobs import cli, runner
from suite import runs
from tests.test_jobs import tiny_experiment  # noqa: F401  (fixture)
from tests.test_results import make_run

EXP = "fcnn-table2"


def _run(root, *extra) -> None:
    assert cli.main(["run", EXP, "--results", str(root), "--no-progress", "--models", "fcnn-a", *extra]) == 0


def _collect_n(root, capsys, tmp_path) -> str:
    capsys.readouterr()
    assert cli.main(["collect", EXP, "--results", str(root), "--out", str(tmp_path / "out")]) == 0
    return capsys.readouterr().out


def _model_a_row(text: str) -> list[str]:
    row, = [line for line in text.splitlines() if line.startswith("| A |")]
    return [c.strip() for c in row.split("|")]


def test_case1_rewording_provenance_trains_nothing_and_n_stays_1(tmp_path, capsys, tiny_experiment,  # noqa: F811
                                                                    monkeypatch):
    root = tmp_path / "results"
    _run(root)
    (before,) = runs.run_dirs(root, EXP, "local")
    assert before.name == runs.run_name(runs.read_json(before / runs.CONFIG))
    real = runner.run_config
    monkeypatch.setattr(runner, "run_config", lambda *a, **k: {**real(*a, **k), "provenance": {"recipe": "reworded"}})
    capsys.readouterr()
    _run(root)
    out = capsys.readouterr().out
    assert "1/1 run(s) finished; nothing to train" in out, out
    assert runs.run_dirs(root, EXP, "local") == [before]
    row = _model_a_row(_collect_n(root, capsys, tmp_path))
    assert row[8] == "1", row  # n


def _as_legacy(run_dir):
    """Rename a run directory as the version before identity names did (the hash of the whole config)."""
    config = runs.read_json(run_dir / runs.CONFIG)
    legacy = run_dir.with_name(f"{config['model']}_s{config['seed']}_{runs.legacy_hash(config)}")
    run_dir.rename(legacy)
    return legacy


def test_a_tree_of_the_old_naming_is_found_finished(tmp_path, capsys, tiny_experiment, monkeypatch):  # noqa: F811
    root = tmp_path / "results"
    _run(root)
    legacy = _as_legacy(runs.run_dirs(root, EXP, "local")[0])
    assert runs.classify(legacy).state == runs.FINISHED
    real = runner.run_config  # and the upgrade reworded a sentence too
    monkeypatch.setattr(runner, "run_config", lambda *a, **k: {**real(*a, **k), "provenance": {"recipe": "reworded"}})
    capsys.readouterr()
    _run(root)
    assert "nothing to train" in capsys.readouterr().out
    assert runs.run_dirs(root, EXP, "local") == [legacy]
    assert _model_a_row(_collect_n(root, capsys, tmp_path))[8] == "1"


def test_case2_a_copy_under_another_seed_is_bad_not_counted(tmp_path):
    d = make_run(tmp_path)
    copy = d.with_name("fcnn-a_s1_deadbeef")
    shutil.copytree(d, copy, symlinks=True)
    st = runs.classify(copy)
    assert st.state == runs.BAD and "name does not match its config" in st.reason
    found, bad = runs.scan(tmp_path, EXP, "local")
    assert [r.path for r in found] == [d] and [b.path for b in bad] == [copy]


def test_case2_a_symlinked_run_directory_is_refused(tmp_path):
    elsewhere = make_run(tmp_path / "elsewhere")
    d = make_run(tmp_path, seed=1)
    link = d.parent / elsewhere.name
    link.symlink_to(elsewhere, target_is_directory=True)
    st = runs.classify(link)
    assert st.state == runs.BAD and "symbolic link" in st.reason
    found, bad = runs.scan(tmp_path, EXP, "local")
    assert [r.path for r in found] == [d] and [b.path for b in bad] == [link]


def test_duplicates_count_once_the_earliest_kept(tmp_path):
    d = make_run(tmp_path)
    legacy_copy = d.with_name(f"fcnn-a_s0_{runs.legacy_hash(runs.read_json(d / runs.CONFIG))}")
    shutil.copytree(d, legacy_copy)  # a valid name for the same (identity, model, seed)
    summary = runs.read_json(d / runs.SUMMARY)
    found, bad = runs.scan(tmp_path, EXP, "local")
    assert len(found) == 1 and len(bad) == 1 and "duplicate of" in bad[0].reason
    earliest = min((d, legacy_copy), key=lambda p: (summary["finished_at"], str(p)))
    assert found[0].path == earliest and bad[0].path != earliest


@pytest.mark.parametrize("name", ["metrics.jsonl", "config.json", "summary.json"])
def test_a_run_file_that_is_a_fifo_or_link_is_refused_without_hanging(tmp_path, name):
    d = make_run(tmp_path)
    (d / name).unlink()
    os.mkfifo(d / name)
    st = runs.classify(d)
    assert st.state == runs.BAD and f"{name} is a FIFO" in st.reason
    (d / name).unlink()
    (d / name).symlink_to(tmp_path / "outside.json")
    (tmp_path / "outside.json").write_text("{}")
    st = runs.classify(d)
    assert st.state == runs.BAD and f"{name} is a symbolic link" in st.reason
    assert runs.metrics_so_far(d) == [] or name != "metrics.jsonl"


def test_reading_a_fifo_or_an_oversized_file_fails_at_once(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(ValueError, match="not a regular file"):
        runs.read_json(tmp_path / "fifo")
    (tmp_path / "big.json").write_text("[" + "0," * 100 + "0]")
    with pytest.raises(ValueError, match="big.json"):
        runs.read_regular(tmp_path / "big.json", max_bytes=64)


def test_case3_a_byte_0xff_in_jobs_jsonl_names_the_file_and_line(tmp_path, capsys, tiny_experiment):  # noqa: F811
    root = tmp_path / "results"
    _run(root)
    log = root / EXP / "local" / "jobs.jsonl"
    log.write_bytes(log.read_bytes() + b'{"model": "fcnn-a", "seed": 0, "x": "\xff"}\n')
    capsys.readouterr()
    assert cli.main(["status", EXP, "--results", str(root), "--profile", "local"]) == 0
    out, err = capsys.readouterr()
    assert "finished" in out and f"{log} line 2: skipped" in err and "Traceback" not in err
    assert cli.main(["collect", EXP, "--results", str(root), "--out", str(tmp_path / "out")]) == 0
    assert f"{log} line 2" in capsys.readouterr().err
