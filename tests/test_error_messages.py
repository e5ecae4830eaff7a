"""Each deliberate mistake of issue [7/7] gets one line naming what is wrong and what was expected (exit 2 for a
command line), never a traceback or an empty result."""
import pytest

from jobs import cli
from paper_tables.__main__ import main as paper_tables_main
from suite import runs


def one_line_error(capsys, argv, main=cli.main) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("call", [runs.runs_frame, runs.metrics_frame])
def test_frames_raise_on_an_unknown_experiment_or_profile(call, tmp_path):
    (tmp_path / "fcnn-table2" / "local").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"^unknown experiment 'fcnn-tabel2'; expected one of: .*fcnn-table2"):
        call(tmp_path, "fcnn-tabel2", "local")
    with pytest.raises(ValueError, match=r"^unknown profile 'lokal'; expected one of: local, paper"):
        call(tmp_path, "fcnn-table2", "lokal")
    assert call(tmp_path, "fcnn-table2", "local").empty  # known names without runs: an empty frame


@pytest.mark.parametrize("command", [["run", "fcnn-table2", "--dry-run"], ["collect", "fcnn-table2"],
                                     ["status", "fcnn-table2", "--profile", "local"]])
def test_set_errors_name_the_key_and_what_is_valid(command, tmp_path, capsys):
    argv = [*command, "--results", str(tmp_path)]
    err = one_line_error(capsys, [*argv, "--set", "data.clutr=3"])
    assert "data.clutr: unknown option of dataset 'digits'; valid data keys: data.resize, data.crop" in err
    assert "unexpected keyword" not in err
    err = one_line_error(capsys, [*argv, "--set", "recipe.lr=-1"])
    assert err == "error: recipe.lr: expected a number > 0, got -1\n"
    assert not (tmp_path / "fcnn-table2").exists()


def test_collect_out_that_cannot_be_written_blames_out(tmp_path, capsys):
    err = one_line_error(capsys, ["collect", "fcnn-table2", "--results", str(tmp_path), "--out", "/proc/x"])
    assert err.startswith("error: --out /proc/x: cannot write there") and "--results" not in err
    blocker = tmp_path / "file"
    blocker.write_text("")
    err = one_line_error(capsys, ["collect", "fcnn-table2", "--results", str(tmp_path), "--out", str(blocker / "x")])
    assert f"--out {blocker / 'x'}" in err and "expected a writable directory" in err


def test_paper_tables_readme_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "missing.md"
    err = one_line_error(capsys, ["--only", "complexity", "--readme", str(missing), "--out", str(tmp_path / "o")],
                         main=paper_tables_main)
    assert f"--readme {missing}: no such file" in err and "complexity-tables:start" in err
    assert not (tmp_path / "o").exists()  # said before anything is rendered
