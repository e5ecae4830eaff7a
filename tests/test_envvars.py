"""suite/envvars.py lists every environment variable the project reads, and nothing else; `python -m jobs env`
prints it with the values set now."""
import json
import re
from pathlib import Path

from jobs import cli
from suite import envvars

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("suite", "jobs", "paper_tables", "benchmarks", "scripts", "tests")
PREFIXES = ("SUITE_", "FCNN_", "NUMBA_", "WANDB_")
# a name in quotes (Python) or assigned in a shell script: what the code reads or sets for what it starts
QUOTED = re.compile(r"""["']((?:%s)[A-Z0-9_]+)["']""" % "|".join(PREFIXES))
SHELL = re.compile(r"\b((?:%s)[A-Z0-9_]+)=" % "|".join(PREFIXES))


def names_in_source() -> dict[str, set[str]]:
    """variable -> the files that name it (as a string literal, or a shell assignment)."""
    found: dict[str, set[str]] = {}
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in (".py", ".sh") or "__pycache__" in path.parts:
                continue
            text = path.read_text(errors="replace")
            for name in set(QUOTED.findall(text)) | (set(SHELL.findall(text)) if path.suffix == ".sh" else set()):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_variable_read_is_in_the_table_and_every_entry_is_read():
    found = names_in_source()
    missing = {n: sorted(f) for n, f in found.items() if n not in envvars.NAMES}
    assert not missing, f"read but not in suite/envvars.py (add them there, then `make docs`): {missing}"
    listed = [n for n in envvars.NAMES if n.startswith(PREFIXES)]
    stale = [n for n in listed if n not in found and n != "WANDB_PROJECT"]  # WANDB_PROJECT: read in livelog
    assert not stale, f"listed in suite/envvars.py but read nowhere: {stale}"
    assert "WANDB_PROJECT" in found and len(envvars.NAMES) == len(set(envvars.NAMES))
    assert all(v.default and v.meaning and v.read_by for v in envvars.VARIABLES)


def test_jobs_env_prints_each_variable_with_its_current_value(monkeypatch, capsys):
    monkeypatch.setenv("SUITE_LOCK_TIMEOUT", "1234")
    monkeypatch.delenv("SUITE_RESULTS", raising=False)
    assert cli.main(["env"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^SUITE_LOCK_TIMEOUT +=\s1234$", out, re.M)
    assert re.search(r"^SUITE_RESULTS +- \(default: results/ of the checkout\)$", out, re.M)
    assert all(re.search(rf"^{n} ", out, re.M) for n in envvars.NAMES)
    assert cli.main(["env", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows) == list(envvars.NAMES) and rows["SUITE_LOCK_TIMEOUT"]["value"] == "1234"
    assert rows["SUITE_RESULTS"]["value"] is None and rows["SUITE_RESULTS"]["read_by"].startswith("suite.runs")


def test_docs_link_the_table_instead_of_repeating_it():
    """The docs that mention a variable point at docs/environment.md (the one table)."""
    for doc in ("README.md", "docs/training.md", "docs/locks.md", "docs/development.md", "docs/api.md"):
        assert "environment.md" in (ROOT / doc).read_text(), f"{doc}: link docs/environment.md"
