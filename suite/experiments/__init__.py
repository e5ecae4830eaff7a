"""One home per experiment: each table or figure of the two papers is one module of this package, with its
paper values, its settings per profile (`Setting`), their provenance (`Stated` / `Chosen`) and its claims
(`Claim`). `jobs` trains and `paper_tables` evaluates and renders what these modules state.

A family module defines ``NAME``, ``EXPERIMENT`` (an `Experiment`), ``PROVENANCE`` (``{field: Stated | Chosen}``
of its ``paper`` setting), ``CLAIMS``, ``PAPER_ACCURACY`` (``{model: {metric: %}}``) where the paper prints
accuracies, ``SWEEPS`` where a paper profile has a default sweep, and the paper's printed values in upper case.
What several share is in `_fcnn` / `_hocp`; the types are in `setting`, `recipe`, `provenance`, `claim`, `paper`.
Experiments of your own come from a TOML file (`user`: ``--config my_experiment.toml``), read into the same types
and registered by name for the process (`load`, `register`).

Every local setting trains at least 3 seeds per model, so every local table has an interval. Budgets on an idle
2-core CPU with the ``pool`` executor (two single-threaded runs at a time): FCNN Table 7 / Figure 2 at most 15
minutes, every other local table (and the Ψ ablation) at most 10. Each setting's comment gives its measured reason;
the wall times and half-widths of the shipped reference run are in docs/training.md (one home for them).
"""
from __future__ import annotations

from types import ModuleType

from . import (
    _fcnn,
    fcnn_figure2,
    fcnn_residual,
    fcnn_table2,
    fcnn_table4,
    fcnn_table5,
    fcnn_table7,
    hocp_compress,
    hocp_figure5,
    hocp_psi_ablation,
    hocp_table1,
    hocp_table2,
)
from .claim import Claim
from .provenance import Chosen, Stated, Swept
from .recipe import Recipe
from .setting import Experiment, Setting
from .user import ConfigError, UserExperiment

__all__ = ["EXPERIMENTS", "Chosen", "Claim", "ConfigError", "Experiment", "Recipe", "Setting", "Stated", "Swept",
           "UserExperiment", "claims", "claims_of", "doc", "family", "get", "load", "load_all", "names",
           "paper_accuracy", "paper_values", "provenance", "register", "sweeps", "user"]

# in the papers' order: the claims ledger lists the claims in this order
FAMILIES: tuple[ModuleType, ...] = (fcnn_table2, fcnn_table4, fcnn_table5, fcnn_table7, fcnn_figure2, hocp_table1,
                                    hocp_table2, fcnn_residual, hocp_compress, hocp_psi_ablation,
                                    hocp_figure5)
_BY_NAME = {m.NAME: m for m in FAMILIES if hasattr(m, "EXPERIMENT")}
EXPERIMENTS = {name: m.EXPERIMENT for name, m in _BY_NAME.items()}
_USER: dict[str, UserExperiment] = {}  # the experiments registered from files in this process (`register`)


def names() -> list[str]:
    return sorted(EXPERIMENTS)


def get(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        from suite.suggest import did_you_mean
        raise ValueError(f"unknown experiment {name!r}; valid experiments: {', '.join(names())}"
                         f"{did_you_mean(name, names())} (an experiment of your own: --config FILE.toml, see "
                         f"docs/user-experiments.md)")
    return EXPERIMENTS[name]


def register(entry: UserExperiment) -> Experiment:
    """Make an experiment read from a file (`suite.experiments.user`) resolve by its name in this process, for
    every command as for the papers' experiments. The same file twice is one registration; another experiment
    under a name already taken (one of the papers', or another file's) is an error."""
    name = entry.experiment.name
    if name in _USER and _USER[name].sha256 == entry.sha256:
        return EXPERIMENTS[name]
    if name in EXPERIMENTS:
        taken = f"the experiment of {_USER[name].path}" if name in _USER else "one of the papers' experiments"
        raise ConfigError(f"{entry.path}: name {name!r} is taken by {taken}; choose another name")
    _USER[name], EXPERIMENTS[name] = entry, entry.experiment
    return entry.experiment


def load(path) -> Experiment:
    """Read the experiment file at ``path`` and `register` it; the modules it lists under ``imports`` are imported
    first (their models register)."""
    from .user import read
    entry = read(path)
    if entry.imports:
        from suite.plugins import import_modules
        import_modules(entry.imports)
    return register(entry)


def load_all(paths=(), imports=()) -> list[str]:
    """Import the modules ``imports`` (``--import``: their models register), then `load` each experiment file of
    ``paths`` (``--config``); returns the experiments' names. What ``python -m jobs`` and ``python -m paper_tables``
    do before they parse their command line."""
    if imports:
        from suite.plugins import import_modules
        import_modules(imports)
    return [load(path).name for path in paths]


def user(name: str) -> UserExperiment | None:
    """The file-defined experiment ``name`` (None for one of the papers')."""
    return _USER.get(name)


def family(name: str) -> ModuleType | None:
    """The module of experiment ``name`` (None for an experiment registered from elsewhere, e.g. by a test)."""
    get(name)
    return _BY_NAME.get(name)


def provenance(name: str) -> dict:
    """``{field: Stated | Chosen}`` of experiment ``name``'s paper setting."""
    table = getattr(family(name), "PROVENANCE", None)
    if table is None:
        raise ValueError(f"provenance: no entry for experiment {name!r}; give its module in suite.experiments a "
                         f"PROVENANCE")
    return table


def sweeps(name: str) -> dict:
    """``{key: Swept}`` for the keys of experiment ``name``'s default sweeps (empty: none)."""
    return getattr(family(name), "SWEEPS", {})


def claims() -> tuple[Claim, ...]:
    """Every claim of both papers, in the papers' order."""
    return tuple(c for m in FAMILIES for c in m.CLAIMS)


def claims_of(experiment: str) -> list[Claim]:
    """The claims shown with ``experiment``'s table (a file-defined experiment's: its ``[[claims]]``)."""
    if experiment in _USER:
        return list(_USER[experiment].claims)
    return [c for c in claims() if c.experiment == experiment]


def paper_accuracy(experiment: str, model: str, metric: str) -> float | None:
    """The paper's accuracy (%) of ``model`` in ``experiment``'s table (None: the paper prints none)."""
    return getattr(family(experiment), "PAPER_ACCURACY", {}).get(model, {}).get(metric)


def paper_values() -> dict:
    """Every printed value of both papers by its upper-case name (``FCNN_TABLE2``, ``HOCP_FIGURE5_RANKS``, ...)."""
    return {k: v for m in (_fcnn, *FAMILIES) for k, v in vars(m).items() if k.startswith(("FCNN_", "HOCP_"))}


def doc(fn):
    """Decorator: fill a docstring's ``{NAME[key].field}`` fields from the papers' values (`paper_values`), so that
    a model's description quotes the paper's numbers from their home (literal braces in the docstring doubled)."""
    fn.__doc__ = fn.__doc__.format_map(paper_values())
    return fn
