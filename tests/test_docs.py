"""The generated docs are current: docs/complexity.md is what `make docs` writes from the models today, and
docs/environment.md what it writes from suite/envvars.py."""
from __future__ import annotations

import shutil
from pathlib import Path

from paper_tables import complexity
from paper_tables.__main__ import update_readme

ROOT = Path(__file__).resolve().parents[1]


def test_complexity_doc_is_current(tmp_path):
    """Regenerate the complexity tables into a copy of docs/complexity.md: it must not change (else `make docs`)."""
    committed = ROOT / "docs" / "complexity.md"
    fresh = tmp_path / "complexity.md"
    shutil.copy(committed, fresh)
    complexity.render("complexity", "local", None, tmp_path / "out")
    update_readme(fresh, (tmp_path / "out" / "complexity.md").read_text())
    assert fresh.read_text() == committed.read_text(), "docs/complexity.md is stale: run `make docs` and commit it"


def test_environment_doc_is_current(tmp_path):
    """docs/environment.md is `python -m jobs env --write-doc` of today's suite/envvars.py (else `make docs`)."""
    from jobs import cli
    fresh = tmp_path / "environment.md"
    assert cli.main(["env", "--write-doc", str(fresh)]) == 0
    committed = ROOT / "docs" / "environment.md"
    assert fresh.read_text() == committed.read_text(), "docs/environment.md is stale: run `make docs` and commit it"
