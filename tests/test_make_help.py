"""`make help` lists every target of the Makefile with a one-line description, and needs no venv."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _declared_targets(makefile: str) -> set[str]:
    """Names of the explicit rules (`name ...: ...`), not variable assignments, files or pattern rules."""
    names = set()
    for line in makefile.splitlines():
        m = re.match(r"^([A-Za-z0-9][\w .%-]*?)\s*:(?!=)", line)
        if m:
            names |= {n for n in m.group(1).split() if "%" not in n and "$" not in n}
    return names


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on PATH")
def test_make_help_lists_every_target_with_a_description(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")  # alone: help must not need the venv or the tree
    done = subprocess.run(["make", "-s", "help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = {}
    for line in done.stdout.splitlines():
        m = re.match(r"^  (\S+)\s{2,}(\S.*)$", line)
        if m:
            listed[m.group(1)] = m.group(2)
    declared = _declared_targets((ROOT / "Makefile").read_text())
    assert {"help", "test", "bench-html", "reproduce-table2"} <= declared
    assert set(listed) == declared, (f"without a '## description': {declared - set(listed)}; "
                                     f"unknown: {set(listed) - declared}")
    assert all(len(d) > 10 for d in listed.values()), listed
    assert not (tmp_path / ".venv").exists()
