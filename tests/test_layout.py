"""The package layout, read from the source (parsed, never imported): no import cycle among the modules of
suite/, jobs/ and paper_tables/; data flows jobs -> suite -> results -> paper_tables, so suite imports neither
jobs nor paper_tables and paper_tables does not import jobs; the operators and their kernels depend on nothing
above them; no module grows past MAX_LINES.

Every import counts, also one inside a function (a cycle deferred to call time is still a cycle), except
those under ``if TYPE_CHECKING:``. Importing a submodule is not counted as importing its parent package's
``__init__`` (Python runs it, but a package's ``__init__`` that re-exports its submodules is no cycle).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("suite", "jobs", "paper_tables")
MAX_LINES = 450
# Modules allowed past MAX_LINES, each with the reason. Only Numba kernel files may be listed: a compiled
# kernel must be one function (Numba compiles a function, not a call graph of helpers, into one loop nest), so
# a file holding one paper's forward and backward kernels cannot always be cut into small functions. None
# needs it today (the longest kernel file has under 300 lines).
LONG_MODULES: dict[str, str] = {}
# What the operator layer and its kernels may not import (suite.ops -> suite.kernels -> nothing above ops).
ABOVE_OPS = ("suite.runs", "suite.bench", "suite.layers", "suite.models", "jobs", "paper_tables")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of PACKAGES: dotted name -> file."""
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers under ``if TYPE_CHECKING:`` (imports there never run)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _resolve(name: str, known: dict) -> str | None:
    """The longest prefix of dotted ``name`` that is one of our modules (None: not ours)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative imports resolved against ``module``)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = package[:len(package) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict) -> set[str]:
    """The modules of ours that ``module`` imports (anywhere in its body)."""
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_lines(tree)
    out = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(_resolve(a.name, known) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            for a in node.names:  # `from pkg import sub` imports the submodule pkg.sub when there is one
                out.add(_resolve(f"{base}.{a.name}", known) if f"{base}.{a.name}" in known else _resolve(base, known))
    out.discard(None)
    out.discard(module)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(root):
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return found


def _edges(graph, sources: str | tuple, targets: tuple) -> list[str]:
    """Every import ``a -> b`` with ``a`` under ``sources`` and ``b`` under ``targets``."""
    def under(name, prefixes):
        return any(name == p or name.startswith(p + ".") for p in ((prefixes,) if isinstance(prefixes, str)
                                                                    else prefixes))
    return sorted(f"{a} -> {b}" for a, bs in graph.items() if under(a, sources) for b in bs if under(b, targets))


def test_the_import_walker_sees_every_kind_of_import(tmp_path):
    """A planted cycle through a function-level relative import is found (the walker is not vacuous)."""
    known = {"suite": REPO / "suite/__init__.py", "suite.a": tmp_path / "a.py", "suite.b": tmp_path / "b.py",
             "suite.pkg": tmp_path / "pkg" / "__init__.py", "suite.pkg.c": tmp_path / "pkg" / "c.py"}
    known["suite.a"].write_text("from . import b\n")
    known["suite.b"].write_text("def f():\n    from .pkg.c import g\n")
    known["suite.pkg"].parent.mkdir()
    known["suite.pkg"].write_text("from .c import g\n")
    known["suite.pkg.c"].write_text("import suite.a as a\nfrom typing import TYPE_CHECKING\n"
                                    "if TYPE_CHECKING:\n    from suite import b\n")
    g = {m: imports_of(m, p, known) for m, p in known.items()}
    assert g["suite.a"] == {"suite.b"} and g["suite.b"] == {"suite.pkg.c"} and g["suite.pkg"] == {"suite.pkg.c"}
    assert g["suite.pkg.c"] == {"suite.a"}
    assert cycles(g) == [["suite.a", "suite.b", "suite.pkg.c"]]


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_suite_imports_neither_jobs_nor_paper_tables(graph):
    assert _edges(graph, "suite", ("jobs", "paper_tables")) == []


def test_paper_tables_does_not_import_jobs(graph):
    assert _edges(graph, "paper_tables", ("jobs",)) == []


def test_ops_and_kernels_import_nothing_above_them(graph):
    assert _edges(graph, ("suite.ops", "suite.kernels"), ABOVE_OPS) == []


def test_host_is_the_bottom_layer(graph):
    """suite.host (atomic writes, the lock, the fingerprint, the cache directory) imports nothing of ours."""
    assert graph["suite.host"] == set()


def test_no_module_is_too_long():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert {m: n for m, n in long.items() if m not in LONG_MODULES} == {}, f"modules over {MAX_LINES} lines"
    assert all(m.startswith("suite.kernels.") and m in long for m in LONG_MODULES), "allow only long kernel files"
