"""Malformed inputs to the suite's small tools end in one line naming the file and the bad-input exit code (2),
never a traceback and never the code a tool reserves for a finding (asv_gate's 1: "a benchmark got slower")."""
from __future__ import annotations

import json

import pytest

from tests.test_asv import BASE_HASH, HEAD_HASH, _run, _save


def _one_line_error(err: str, *names: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(n in lines[0] for n in names), err


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"benchmarks": 3}', '{"benchmarks": [{"x": 1}]}'])
def test_bench_markdown_from_a_bad_file(tmp_path, capsys, content):
    from suite.bench import cli as bench
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert bench.main(["--markdown-from", str(bad)]) == 2
    _one_line_error(capsys.readouterr().err, str(bad), "--markdown-from")
    assert bench.main(["--markdown-from", str(tmp_path / "missing.json")]) == 2
    _one_line_error(capsys.readouterr().err, "missing.json")


def test_autotune_list_with_a_key_that_is_not_json(tmp_path, monkeypatch, capsys):
    from suite import autotune as cli
    from suite.ops import autotune
    monkeypatch.setenv("SUITE_AUTOTUNE_DIR", str(tmp_path))
    monkeypatch.setattr(autotune, "_memory", {})
    path = autotune.cache_file()
    path.write_text(json.dumps({"fingerprint": autotune.fingerprint(), "choices": {"{broken": "torch"}}))
    assert cli.main(["list"]) == 2
    _one_line_error(capsys.readouterr().err, str(path), "{broken", "suite.autotune clear")
    path.write_text(json.dumps({"fingerprint": {}, "choices": {json.dumps({"op": "x"}): "torch"}}))  # no "args"
    assert cli.main(["list"]) == 2


def test_asv_gate_on_a_malformed_result_file(tmp_path, capsys):
    _save(tmp_path, BASE_HASH, [0.001, 0.0005, 0.020, 0.010])
    _save(tmp_path, HEAD_HASH, [0.001, 0.0005, 0.020, 0.031])
    head, = (tmp_path / "box").glob(f"{HEAD_HASH[:8]}-*.json")
    head.write_text(head.read_text()[:40])  # truncated: asv raises its UserError
    assert _run(tmp_path) == 2
    _one_line_error(capsys.readouterr().err, "cannot read the saved results", str(tmp_path / "box"))
