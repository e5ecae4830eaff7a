"""The reference results shipped in reference/ (docs/reference.md): the refresh command builds a verified
reference from a results root without checkpoints; the tables show it as the "reference run" columns and the
claims say which runs they used; `jobs collect` puts the user's runs beside it with a verdict; a corrupted
reference file is one clear error naming it. Synthetic runs of the local profile's real configurations (written
by the real writers), so that the refresh and `jobs collect` select them as they would real runs."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import paper_tables
from jobs import cli, runner
from paper_tables import __main__ as tables_cli
from paper_tables import reference as reference_runs
from paper_tables import stats
from suite import experiments, runs
from suite.runs import reference as shipped

EXPERIMENT = "fcnn-table2"


def real_run(root, model: str, seed: int, top1: float, *, experiment: str = EXPERIMENT, epochs: int = 2):
    """A finished run of ``experiment``'s local setting (its real config: the identity refresh and collect
    select), with synthetic metrics ending at ``top1``."""
    config = runner.run_config(experiments.get(experiment), model, seed, "local")
    d = runs.run_dir_for(root, config)
    runs.start_run(d, config)
    runs.write_metrics(d, [{"epoch": e + 1, "train_loss": 1.0 / (e + 1), "val_top1": top1 - (epochs - 1 - e),
                            "val_top5": 99.0, "val_loss": 1.0, "lr": 0.1} for e in range(epochs)])
    runs.atomic_write_bytes(d / runs.CHECKPOINT, b"weights of " + d.name.encode())
    runs.finish_run(d, runs.make_summary(config, runs.read_metrics(d / runs.METRICS), 1.0, "epochs"))
    return d


def refresh(source, ref, capsys, experiments_arg=EXPERIMENT) -> shipped.Reference:
    rc = cli.main(["reference", "refresh", "--experiments", experiments_arg, "--from", str(source),
                   "--reference", str(ref)])
    assert rc == 0, capsys.readouterr().err
    return shipped.load(ref)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A results root of fcnn-a (50.0 ± 0.1) and fcnn-b (60.0 ± 2) over 4 seeds, and the reference the refresh
    command made of it (built once: the tests take copies)."""
    root = tmp_path_factory.mktemp("reference-source")
    for seed, (a, b) in enumerate([(50.0, 58.0), (50.1, 62.0), (49.9, 59.0), (50.0, 61.0)]):
        real_run(root / "results", "fcnn-a", seed, a)
        real_run(root / "results", "fcnn-b", seed, b)
    assert cli.main(["reference", "refresh", "--experiments", EXPERIMENT, "--from", str(root / "results"),
                     "--reference", str(root / "reference")]) == 0
    return root


@pytest.fixture
def reference(source, tmp_path, monkeypatch) -> shipped.Reference:
    """A copy of the source's reference, made the tables' reference ($SUITE_REFERENCE)."""
    shutil.copytree(source / "reference", tmp_path / "reference")
    monkeypatch.setenv(shipped.REFERENCE_ENV, str(tmp_path / "reference"))
    return shipped.load()


def test_refresh_copies_verified_runs_without_checkpoints(tmp_path, capsys, source):
    reference = refresh(source / "results", tmp_path / "reference", capsys)
    root = reference.root
    assert len(reference.runs) == 8 and {r.config["model"] for r in reference.runs} == {"fcnn-a", "fcnn-b"}
    assert not list(root.rglob(runs.CHECKPOINT)) and list((source / "results").rglob(runs.CHECKPOINT))
    assert not list(root.parent.glob(".reference.*"))  # no staging or old tree left
    manifest = json.loads((root / shipped.MANIFEST).read_text())
    assert manifest["commit"] == runs.git_commit() and manifest["experiments"][EXPERIMENT]["runs"] == 8
    assert {"cpu", "cores", "load_before"} <= set(manifest["machine"]) and manifest["machine"]["cores"] >= 1
    assert manifest["command"] == f"python -m jobs reference refresh --experiments {EXPERIMENT} --from " \
                                  f"{source / 'results'}"
    assert len(manifest["files"]) == 8 * 4 and all(rel.startswith(f"{EXPERIMENT}/local/") for rel in manifest["files"])
    summary = json.loads((reference.runs[0].path / runs.SUMMARY).read_text())
    assert runs.CHECKPOINT in summary["files"]  # the run's own summary, unchanged: it still vouches for the rest
    err = capsys.readouterr().err
    local = experiments.get(EXPERIMENT).setting("local")
    left_out = len(experiments.get(EXPERIMENT).models) * len(local.seeds) - 8
    assert "fcnn-table2: 8 run(s) copied" in err and f"warning: {left_out} run(s) of the setting not finished" in err
    again = refresh(source / "results", root, capsys)  # a second refresh replaces the first, atomically
    assert len(again.runs) == 8 and not list(root.parent.glob(".reference.*"))


def test_refresh_without_from_trains_into_a_work_directory(tmp_path, monkeypatch, capsys):
    """Without --from the refresh trains each experiment (`python -m jobs run`, here replaced by two planted runs)
    into a work directory and records each experiment's wall time and load average in the manifest."""
    from jobs import reference as refresh_cmd
    trained = []

    def train(experiment, work):
        trained.append(experiment)
        for seed in (0, 1):
            real_run(work, "fcnn-a", seed, 50.0 + seed)
        return {"wall_seconds": 1.5, "load_before": [0.1, 0.2, 0.3]}

    monkeypatch.setattr(refresh_cmd, "train", train)
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "README.md").write_text("kept")
    rc = cli.main(["reference", "refresh", "--experiments", "fcnn-figure2,fcnn-table2", "--work",
                   str(tmp_path / "work"), "--reference", str(tmp_path / "ref")])
    assert rc == 2 and trained == ["fcnn-table7", "fcnn-table2"]  # Figure 2's runs are Table 7's; none planted
    assert "fcnn-table7: no finished run" in capsys.readouterr().err
    assert not (tmp_path / "ref" / shipped.MANIFEST).exists()  # nothing written: the reference is unchanged
    trained.clear()
    ref = refresh_cmd.refresh(["fcnn-table2"], work=tmp_path / "work2", reference_dir=tmp_path / "ref")
    assert trained == ["fcnn-table2"] and len(ref.runs) == 2 and (tmp_path / "ref" / "README.md").read_text() == "kept"
    assert ref.manifest["experiments"]["fcnn-table2"] == {"wall_seconds": 1.5, "load_before": [0.1, 0.2, 0.3],
                                                          "runs": 2, "run_commits": [runs.git_commit()]}


def test_piecewise_training_keeps_wall_times_for_refresh_from(tmp_path, monkeypatch, capsys):
    """`reference train` trains experiment by experiment into --work and keeps each wall time there; a later
    `refresh --from WORK` records them in the manifest. A corrupt times file is one clear error."""
    from jobs import reference as refresh_cmd

    real = subprocess.run

    def run(cmd, **kwargs):
        if "jobs" not in cmd:  # git and the like: the real thing
            return real(cmd, **kwargs)
        work = Path(cmd[cmd.index("--results") + 1])
        for seed in (0, 1):
            real_run(work, "fcnn-a", seed, 50.0 + seed)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(refresh_cmd.subprocess, "run", run)
    work = tmp_path / "work"
    assert cli.main(["reference", "train", "--experiments", "fcnn-table2"]) == 2  # no --work
    assert "needs --work" in capsys.readouterr().err
    assert cli.main(["reference", "train", "--experiments", "fcnn-table2", "--work", str(work)]) == 0
    assert "refresh --from" in capsys.readouterr().out
    ref = refresh_cmd.refresh(["fcnn-table2"], source=work, reference_dir=tmp_path / "ref")
    recorded = ref.manifest["experiments"]["fcnn-table2"]
    assert recorded["runs"] == 2 and recorded["wall_seconds"] >= 0 and len(recorded["load_before"]) == 3
    (work / refresh_cmd.TIMES).write_text("{not json")
    with pytest.raises(ValueError, match="reference-times.json: not valid JSON"):
        refresh_cmd.refresh(["fcnn-table2"], source=work, reference_dir=tmp_path / "ref2")


def test_refresh_refuses_a_results_root_without_the_setting(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    rc = cli.main(["reference", "refresh", "--experiments", EXPERIMENT, "--from", str(tmp_path / "empty"),
                   "--reference", str(tmp_path / "ref")])
    err = capsys.readouterr().err
    assert rc == 2 and "fcnn-table2: no finished run of the local profile's own setting" in err
    assert not (tmp_path / "ref").exists()


def test_tables_render_the_reference_column_and_claims_name_their_runs(tmp_path, reference):
    md = paper_tables.render(EXPERIMENT, "local", tmp_path / "results", tmp_path / "out")  # a fresh clone: no runs
    with open(tmp_path / "out" / "fcnn_table2_local.csv") as f:
        rows = {r["Model"]: r for r in csv.DictReader(f)}
    a = stats.summarize([50.0, 50.1, 49.9, 50.0])
    assert float(rows["A"]["Top-1 % (reference run, mean)"]) == round(a.mean, 2)
    assert float(rows["A"]["Top-1 % reference ± 95%"]) == round(a.half_width, 2)
    assert rows["A"]["n (reference)"] == "4" and rows["A"]["n"] == "0"
    assert rows["A"]["Top-1 % (measured, local, mean)"] == ""  # the user's column stays empty
    assert rows["C"]["n (reference)"] == "0" and rows["C"]["Top-1 % (reference run, mean)"] == ""
    assert f"commit {reference.manifest['commit'][:12]}" in md
    with open(tmp_path / "out" / "fcnn_table2_local_claims.csv") as f:
        claims = {r["Claim"]: r for r in csv.DictReader(f)}
    b_vs_a = next(c for c in claims.values() if c["Runs used"].startswith("reference: fcnn-b n=4, fcnn-a n=4")
                  or c["Runs used"].startswith("reference: fcnn-a n=4, fcnn-b n=4"))
    assert b_vs_a["n (a/b)"] == "4/4" and b_vs_a["Verdict"] in (stats.HOLDS, stats.CONTRADICTED, stats.INCONCLUSIVE)
    others = [c for c in claims.values() if c["Runs used"] and "fcnn-c" in c["Runs used"]]
    assert others and all(c["Runs used"].startswith("results: ") for c in others)  # no reference of C: the user's
    real_run(tmp_path / "results", "fcnn-a", 0, 40.0)  # the user's runs of both models take over from the reference
    real_run(tmp_path / "results", "fcnn-b", 0, 45.0)
    paper_tables.render(EXPERIMENT, "local", tmp_path / "results", tmp_path / "out")
    with open(tmp_path / "out" / "fcnn_table2_local_claims.csv") as f:
        used = {r["Claim"]: r["Runs used"] for r in csv.DictReader(f)}
    assert used[b_vs_a["Claim"]].startswith("results: ") and "n=1" in used[b_vs_a["Claim"]]


@pytest.mark.parametrize("yours, verdict", [
    ([50.05, 49.95, 50.0, 50.1], "agrees with the reference within ±1 point"),
    ([55.0, 55.1, 54.9, 55.0], "differs from the reference by more than 1 point"),
    ([45.0, 55.0, 50.0], "inconclusive"),
])
def test_collect_compares_yours_with_the_reference(tmp_path, capsys, reference, yours, verdict):
    for seed, top1 in enumerate(yours):
        real_run(tmp_path / "results", "fcnn-a", seed, top1)
    table = reference_runs.compare(EXPERIMENT, "local", tmp_path / "results")
    row = dict(zip(table.columns, next(r for r in table.rows if r[0] == "fcnn-a")))
    d = stats.welch(yours, [50.0, 50.1, 49.9, 50.0])
    assert row["Verdict"] == verdict and row["n (yours)"] == len(yours) and row["n (reference)"] == 4
    assert row["95% CI low"] == round(d.lo, 2) and row["95% CI high"] == round(d.hi, 2)
    no_yours = dict(zip(table.columns, next(r for r in table.rows if r[0] == "fcnn-b")))
    assert no_yours["Verdict"] == "no run of yours" and no_yours["n (yours)"] == 0
    no_ref = dict(zip(table.columns, next(r for r in table.rows if r[0] == "fcnn-c")))
    assert no_ref["Verdict"] == "no reference run"
    rc = cli.main(["collect", EXPERIMENT, "--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert rc == 0 and out.rstrip().splitlines()[-1].startswith("- ")  # the comparison's notes end the output
    tail = out[out.index("your runs against the reference run"):]
    assert f"| fcnn-a | {_render_fmt(row['Yours (mean)'])} | {len(yours)} |" in tail and verdict in tail
    assert (tmp_path / "out" / "fcnn_table2_local_vs_reference.csv").is_file()


def _render_fmt(value):
    from paper_tables import _render
    return _render.fmt(value)


def test_agreement_rule_at_its_edges():
    assert stats.agreement(-1.0, 1.0) == stats.agreement(-0.2, 0.3) == "agrees with the reference within ±1 point"
    assert stats.agreement(1.01, 3.0) == stats.agreement(-4.0, -1.5) == \
        "differs from the reference by more than 1 point"
    assert stats.agreement(0.5, 1.5) == stats.agreement(-3.0, 3.0) == stats.agreement(None, None) == "inconclusive"


def test_a_corrupted_reference_file_is_one_clear_error(tmp_path, capsys, reference):
    metrics = reference.runs[0].path / runs.METRICS
    metrics.write_text(metrics.read_text().replace('"val_top1": 4', '"val_top1": 9'))
    with pytest.raises(shipped.BadReference, match=rf"reference {metrics}: its SHA-256 differs from manifest.json"):
        shipped.load()
    assert tables_cli.main([EXPERIMENT, "--results", str(tmp_path / "r"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: reference {metrics}") and "make reference" in err[0]
    assert cli.main(["collect", EXPERIMENT, "--results", str(tmp_path / "r"), "--out", str(tmp_path)]) == 2
    assert f"error: reference {metrics}" in capsys.readouterr().err


def test_nothing_half_written_is_read(tmp_path, reference):
    stray = reference.root / EXPERIMENT / "local" / "fcnn-c_s0_00000000"
    stray.mkdir()
    (stray / runs.SUMMARY).write_text("{}")
    with pytest.raises(shipped.BadReference, match="a run directory not in manifest.json"):
        shipped.load()
    stray.joinpath(runs.SUMMARY).unlink()
    stray.rmdir()
    path = reference.root / shipped.MANIFEST
    manifest = json.loads(path.read_text())
    manifest["files"].pop(next(k for k in sorted(manifest["files"]) if k.endswith(runs.SUMMARY)))
    path.write_text(json.dumps(manifest))
    with pytest.raises(shipped.BadReference, match="summary.json not in manifest.json"):
        shipped.load()  # a run whose summary the manifest does not vouch for is never read
    (reference.root / shipped.MANIFEST).unlink()  # a refresh between its two renames: no reference, not half of one
    assert shipped.load() is None
    col = reference_runs.collect_reference(EXPERIMENT, "local")
    assert not col.runs and "no reference run of fcnn-table2" in reference_runs.notes(col)[0]


def test_the_shipped_reference_verifies_and_stays_small():
    """reference/ of this checkout (once `make reference` has run): it verifies, holds no checkpoint, a few MB."""
    ref = shipped.load(shipped.REFERENCE_DIR)
    if ref is None:
        pytest.skip("no reference shipped yet (make reference)")
    files = [p for p in shipped.REFERENCE_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 8 << 20 and not any(p.name == runs.CHECKPOINT for p in files)
    assert {r.config["profile"] for r in ref.runs} == {"local"}


def test_the_shipped_reference_is_of_every_experiments_current_local_setting():
    """A local setting changed without `make reference` leaves a stale reference: the tables would set the
    user's runs beside runs of another setting. Every experiment that trains must have all its (model, seed)
    runs of the current local setting in reference/."""
    ref = shipped.load(shipped.REFERENCE_DIR)
    if ref is None:
        pytest.skip("no reference shipped yet (make reference)")
    for name in experiments.names():
        exp = experiments.get(name)
        if exp.results_key != name:  # Figure 2 plots Table 7's runs
            continue
        identity, shipped_runs = runner.identity_for(exp, "local"), ref.of(name, "local")
        shipped_ids = {runs.identity_key(r.config) for r in shipped_runs}
        assert shipped_ids == {identity}, (f"{name}: reference/ holds runs of local setting(s) {sorted(shipped_ids)}, "
                                           f"the current one is {identity}: refresh it with `make reference`")
        done = {(r.config["model"], r.config["seed"]) for r in shipped_runs}
        assert done == {(m, s) for m in exp.models for s in exp.setting("local").seeds}, name


def test_every_local_table_renders_the_shipped_reference(tmp_path, monkeypatch):
    """A fresh clone (no runs of its own): each experiment's local table sets the shipped reference run's mean
    and n beside every model it trains, and names the reference's commit."""
    ref = shipped.load(shipped.REFERENCE_DIR)
    if ref is None:
        pytest.skip("no reference shipped yet (make reference)")
    monkeypatch.setenv(shipped.REFERENCE_ENV, str(shipped.REFERENCE_DIR))  # the tests' default: no reference
    for name in experiments.names():
        exp = experiments.get(name)
        if exp.results_key != name:  # Figure 2 plots Table 7's runs: its figure, not a table of its own
            continue
        out = tmp_path / name
        md = paper_tables.render(name, "local", tmp_path / "results", out)
        assert f"commit {ref.manifest['commit'][:12]}" in md, name
        tables = [p for p in out.glob("*_local.csv") if "claims" not in p.name and "vs_reference" not in p.name]
        rows = [r for p in tables for r in csv.DictReader(p.read_text(encoding="utf-8").splitlines())]
        seeds = len(exp.setting("local").seeds)
        with_ref = [r for r in rows if r.get("n (reference)") == str(seeds)]
        assert len(with_ref) >= len(exp.models), (name, [p.name for p in tables])
        assert all(any(v for k, v in r.items() if k.endswith("(reference run, mean)")) for r in with_ref), name
