"""suite.experiments is the one home of every experiment: each module states its settings, their provenance, its
claims and the paper values it quotes; `jobs` and `paper_tables` only read them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from suite import experiments
from suite.experiments import Claim, Experiment

ROOT = Path(__file__).resolve().parents[1]
FACTS = {"Setting", "Experiment", "Recipe", "Claim", "Compare", "Count", "Stated", "Swept", "FcnnRow", "Table7Row",
         "HocpTable1Row", "HocpTable2Row", "StatedNumber", "TopologyGrid"}


def _calls(path: Path) -> set[str]:
    """The names of the classes / functions a file calls (``Setting(...)``, ``x.Claim(...)``)."""
    tree = ast.parse(path.read_text())
    return {n.func.id if isinstance(n.func, ast.Name) else n.func.attr for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute))}


@pytest.mark.parametrize("package", ["jobs", "paper_tables"])
def test_jobs_and_paper_tables_state_no_experiment_facts(package):
    offenders = {str(p.relative_to(ROOT)): sorted(_calls(p) & FACTS) for p in (ROOT / package).rglob("*.py")}
    assert not {p: c for p, c in offenders.items() if c}, "experiment facts belong in suite/experiments/"


def test_every_family_module_is_complete():
    names = set(experiments.names())
    for module in experiments.FAMILIES:
        assert isinstance(module.CLAIMS, tuple) and all(isinstance(c, Claim) for c in module.CLAIMS), module
        assert {c.experiment for c in module.CLAIMS} <= names, module
        if hasattr(module, "EXPERIMENT"):
            assert isinstance(module.EXPERIMENT, Experiment) and module.EXPERIMENT.name == module.NAME
            assert experiments.get(module.NAME) is module.EXPERIMENT and experiments.family(module.NAME) is module
            assert isinstance(module.PROVENANCE, dict) and module.PROVENANCE
    assert len({c.key for c in experiments.claims()}) == len(experiments.claims())


def test_the_package_imports_nothing_above_it():
    """suite.experiments reads no model, training, job or table code: everything else builds on it."""
    for path in (ROOT / "suite" / "experiments").glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        above = {m for m in imported if m.split(".")[0] in ("jobs", "paper_tables", "torch")
                 or m.startswith(("suite.models", "suite.train", "suite.complexity", "suite.ops"))}
        assert not above, f"{path.name} imports {sorted(above)}"


def test_unknown_experiment_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid experiments: fcnn-figure2"):
        experiments.get("fcnn-table9")
    assert experiments.paper_accuracy("fcnn-table7", "fcnn-l", "top5") == pytest.approx(100 - 10.55)
    assert experiments.paper_accuracy("fcnn-residual", "fcnn-e-no-residual", "top1") is None
