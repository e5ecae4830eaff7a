"""Every environment variable the project reads, in one table: its name, default, meaning and who reads it.

This table is the one home of their documentation: ``python -m jobs env`` prints it with the values set now,
docs/environment.md is generated from it (``make docs``; tests/test_docs.py fails when it is stale), and
tests/test_envvars.py fails when the source reads a ``SUITE_*``, ``FCNN_*``, ``NUMBA_*`` or ``WANDB_*`` variable
that is not listed here, or lists one nobody reads. The modules keep reading them where they always did (each
at call time unless said otherwise); this module only describes them.
"""
from __future__ import annotations

import os
from typing import NamedTuple


class EnvVar(NamedTuple):
    name: str
    default: str      # what applies when it is not set
    meaning: str
    read_by: str      # the module(s) that read it
    group: str


_RUNS, _SPEED, _BENCH, _TESTS, _OTHERS = ("runs and results", "kernels and autotuning", "benchmarks",
                                          "tests", "set by other tools")
VARIABLES: tuple[EnvVar, ...] = (
    EnvVar("SUITE_RESULTS", "results/ of the checkout", "results root (run directories) when --results is not "
           "given, e.g. a cluster's shared scratch; read when a command runs", "suite.runs.layout (jobs, "
           "paper_tables, make)", _RUNS),
    EnvVar("SUITE_REFERENCE", "reference/ of the checkout", "the reference results root that tables and `collect` "
           "compare with (docs/reference.md); the tests point it at an empty directory", "suite.runs.reference", _RUNS),
    EnvVar("SUITE_LOCK_TIMEOUT", "600", "seconds without a heartbeat after which another node may take a run's "
           "lock over (docs/locks.md)", "suite.runs.lock", _RUNS),
    EnvVar("WANDB_PROJECT", "fcnn-hocp-suite", "W&B project of `jobs run --log wandb` (W&B's other WANDB_* "
           "settings apply too)", "suite.livelog", _RUNS),
    EnvVar("SUITE_AUTOTUNE", "1", "0 turns the measuring of backend=\"auto\" off: fixed, deterministic choices "
           "(the tests set 0)", "suite.ops.autotune", _SPEED),
    EnvVar("SUITE_AUTOTUNE_DIR", "~/.cache/fcnn-hocp-suite/autotune/<host>", "where autotuning decisions are "
           "cached", "suite.ops.autotune", _SPEED),
    EnvVar("SUITE_AUTOTUNE_BUDGET", "0.2", "seconds of measuring per candidate backend", "suite.ops.autotune, "
           "suite.bench.fresh_cache", _SPEED),
    EnvVar("SUITE_AUTOTUNE_COMPILE", "0", "1 lets autotuning compile a cold Numba kernel to time it (else only "
           "warm kernels are timed)", "suite.ops.autotune, suite.bench.first_step", _SPEED),
    EnvVar("NUMBA_CACHE_DIR", "~/.cache/fcnn-hocp-suite/numba/<host>", "Numba's cache of compiled kernels; "
           "suite.kernels sets this per-node default when it is unset", "numba, suite.kernels", _SPEED),
    EnvVar("NUMBA_ENABLE_CUDASIM", "0", "1 runs the @cuda.jit kernels on Numba's CPU simulator (slow, tiny "
           "shapes only); set before numba is imported", "numba, suite.kernels._shared, benchmarks", _SPEED),
    EnvVar("XDG_CACHE_HOME", "~/.cache", "base of the per-node caches (autotune, numba)", "suite.host", _SPEED),
    EnvVar("SUITE_BENCH_QUICK", "0", "1: tiny shapes (`python -m suite.bench --quick` sets it)",
           "suite.bench.compare (at import)", _BENCH),
    EnvVar("SUITE_BENCH_ONLY", "(all)", "a word of the benchmark groups to keep: single, topological, ho-cp, "
           "model, training", "suite.bench.compare (at import)", _BENCH),
    EnvVar("SUITE_BENCH_PASSES", "1", "passes over the whole list (each form keeps its best)",
           "suite.bench.compare (at import)", _BENCH),
    EnvVar("SUITE_BENCH_COMPILE", "1 (0 with SUITE_BENCH_QUICK=1)", "0 skips the torch.compile forms",
           "suite.bench.compare (at import)", _BENCH),
    EnvVar("SUITE_BENCH_COMPILE_BUDGET", "240", "seconds of torch.compile before compiled forms are skipped",
           "suite.bench.compare (at import)", _BENCH),
    EnvVar("SUITE_BENCH_MEMORY", "1", "0: no peak-memory probe", "suite.bench.compare (at import)", _BENCH),
    EnvVar("SUITE_BENCH_TRAIN_ROUNDS", "7 (1 with SUITE_BENCH_QUICK=1)", "timed SGD steps per training form and "
           "pass", "suite.bench.compare (at import)", _BENCH),
    EnvVar("FCNN_BENCH_SRC", "(unset)", "the tree whose `suite` the asv benchmarks must import (set by "
           "scripts/asv_bench.sh)", "benchmarks/_common.py", _BENCH),
    EnvVar("SUITE_SEED", "(random, printed)", "the seed of every test; set it to replay a failure",
           "tests/conftest.py", _TESTS),
    EnvVar("SUITE_TEST_NODE", "(unset)", "act as the node named so, on a file system whose flock is node-local "
           "(tests of the run locks)", "suite.host", _TESTS),
    EnvVar("FCNN_REQUIRE_SLURM", "(unset)", "1: the SLURM tests fail instead of skipping without a cluster",
           "tests/test_slurm.py", _TESTS),
    EnvVar("FCNN_REQUIRE_BROWSER", "(unset)", "1: the dashboard test fails instead of skipping without chromium",
           "tests/test_dashboard.py", _TESTS),
    EnvVar("FCNN_REQUIRE_LATEX", "(unset)", "1: the LaTeX compile test fails instead of skipping without pdflatex",
           "tests/test_latex.py", _TESTS),
    EnvVar("SLURM_JOB_ID", "(set by SLURM)", "recorded in each run's env.json", "suite.runs.environment",
           _OTHERS),
)
NAMES = tuple(v.name for v in VARIABLES)


def get(name: str) -> EnvVar:
    for v in VARIABLES:
        if v.name == name:
            return v
    raise ValueError(f"unknown environment variable {name!r}; the project reads: {', '.join(NAMES)}")


def current(environ=None) -> dict[str, str | None]:
    """name -> the value set now (None: not set, the default applies)."""
    environ = os.environ if environ is None else environ
    return {v.name: environ.get(v.name) for v in VARIABLES}


def markdown() -> str:
    """docs/environment.md: one table per group (what `make docs` writes)."""
    lines = ["# Environment variables", "",
             "<!-- generated by `make docs` from suite/envvars.py; edit that file, not this one -->", "",
             "Every environment variable the project reads. `python -m jobs env` prints this table with the "
             "values set in your shell.", ""]
    for group in dict.fromkeys(v.group for v in VARIABLES):
        lines += [f"## {group[0].upper()}{group[1:]}", "", "| Variable | Default | Meaning | Read by |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| `{v.name}` | {v.default} | {v.meaning} | {v.read_by} |" for v in VARIABLES if v.group == group]
        lines.append("")
    return "\n".join(lines)


def table(environ=None) -> str:
    """The plain-text table of `python -m jobs env`: name, value now (or "-" and the default), meaning."""
    values = current(environ)
    width = max(map(len, NAMES))
    rows = []
    for v in VARIABLES:
        now = values[v.name]
        shown = f"= {now}" if now is not None else f"- (default: {v.default})"
        rows.append(f"{v.name:<{width}}  {shown}\n{'':<{width}}  {v.meaning} [{v.read_by}]")
    return "\n".join(rows)
