"""Which finished runs a table reads: the verified runs of one configuration (identity), or of one
configuration per model (a sweep's selection); runs of other configurations are counted, never mixed in."""
from __future__ import annotations

import contextlib
import contextvars
import json
from dataclasses import dataclass, field

from .classify import BAD, FINISHED, NOT_STARTED, classify
from .errors import BadRun
from .identity import IDENTITY_EXCLUDED, describe_identity
from .layout import run_dirs
from .verify import Run


@dataclass(frozen=True)
class PerModel:
    """One configuration per model (a sweep's, selected on the validation split by ``jobs.sweeps``):
    ``identities`` model -> identity (a model without one has no runs in the table); ``considered``:
    every identity the selection chose among (their other runs are not "another configuration");
    ``notes``: how it was selected, for the tables."""
    identities: dict
    considered: frozenset = frozenset()
    notes: tuple = ()


# Which configuration the tables render when the caller does not say (``jobs collect`` says).
SELECTED_IDENTITY: contextvars.ContextVar[str | PerModel | None] = contextvars.ContextVar("selected_identity",
                                                                                         default=None)


@contextlib.contextmanager
def selecting(identity: str | PerModel | None):
    """Within the block, :func:`scan` selects the runs of ``identity`` (see ``jobs collect --set``), or of
    each model's identity (a :class:`PerModel`, see ``jobs collect --sweep``)."""
    token = SELECTED_IDENTITY.set(identity)
    try:
        yield
    finally:
        SELECTED_IDENTITY.reset(token)


@dataclass
class Selection:
    """Finished runs of one configuration, the bad ones, and the other configurations present."""
    runs: list[Run]
    bad: list[BadRun]
    identity: str | PerModel | None
    others: list[tuple[str, int]]   # (description, number of finished runs) of the configurations not used
    notes: list[str] = field(default_factory=list)  # how the configuration was selected (PerModel.notes)

    def keeps(self, model: str, identity: str) -> bool:
        """Whether a run of ``model`` with ``identity`` belongs to this selection."""
        if isinstance(self.identity, PerModel):
            return self.identity.identities.get(model) == identity
        return identity == self.identity


def select_runs(results_root, experiment: str | None = None, profile: str | None = None,
                identity: str | PerModel | None = None) -> Selection:
    """The verified finished runs of one identity under results/<experiment>/<profile>/.

    ``identity`` (default: the one selected with :func:`selecting`, else the configuration without
    overrides whose latest run finished last) picks the configuration, or a :class:`PerModel` one per
    model; runs of the others are never mixed in, only counted. A run whose config names another profile
    or experiment than the directory it sits in is bad. Unfinished and running runs are neither good nor bad.
    """
    groups, bad = finished_groups(results_root, experiment, profile)
    identity = identity or SELECTED_IDENTITY.get() or _default_identity(groups)
    if isinstance(identity, PerModel):
        chosen = [r for rs in groups.values() for r in rs
                  if identity.identities.get(r.config.get("model")) == r.identity]
        others = [(describe_identity(runs[0].config), len(runs)) for key, runs in sorted(groups.items())
                  if key not in identity.considered and key not in identity.identities.values()]
        return Selection(chosen, bad, identity, others, list(identity.notes))
    others = [(describe_identity(runs[0].config), len(runs)) for key, runs in sorted(groups.items()) if key != identity]
    return Selection(groups.get(identity, []), bad, identity, others)


def misplaced(config: dict, experiment: str | None, profile: str | None) -> str | None:
    """Why a run sits in the wrong directory (its config names another profile or experiment), or None."""
    for key, want in (("profile", profile), ("experiment", experiment)):
        if want and config.get(key) != want:
            return f"{key} {config.get(key)!r} in a {want!r} directory"
    return None


def finished_groups(results_root, experiment: str | None = None,
                    profile: str | None = None) -> tuple[dict[str, list[Run]], list[BadRun]]:
    """({identity: its verified finished runs}, the bad runs) under results/<experiment>/<profile>/."""
    good, bad = [], []
    for d in run_dirs(results_root, experiment, profile):
        st = classify(d)
        if st.state != FINISHED:  # named by the tables as skipped, with the reason
            if st.state != NOT_STARTED:
                bad.append(BadRun(d, st.describe() if st.state != BAD else st.reason))
        elif wrong := misplaced(st.run.config, experiment, profile):
            bad.append(BadRun(d, wrong))
        else:
            good.append(st.run)
    groups: dict[str, list[Run]] = {}
    for run in good:
        groups.setdefault(run.identity, []).append(run)
    return groups, bad


def _default_identity(groups: dict) -> str | None:
    plain = {k: rs for k, rs in groups.items() if not rs[0].config.get("overrides")}
    if not plain:
        return None
    return max(plain, key=lambda k: max(r.summary["finished_at"] for r in plain[k]))


def scan(results_root, experiment: str | None = None, profile: str | None = None):
    """(finished runs of one configuration, bad runs): :func:`select_runs` without the rest."""
    sel = select_runs(results_root, experiment, profile)
    return sel.runs, sel.bad


def identity_on_any_data(groups: dict[str, list[Run]], setting: dict) -> tuple[str, list[str]]:
    """Among ``groups`` (see :func:`finished_groups`), the identity of the runs of ``setting`` (a run's config
    without model, seed and data) when the data directory is not known: the data most of its finished runs
    used (the first such on a tie); notes name the runs of that setting on other data."""
    expected = json.loads(json.dumps(setting))
    drop = (*IDENTITY_EXCLUDED, "data")
    matching = {k: rs for k, rs in groups.items()
                if {key: v for key, v in rs[0].config.items() if key not in drop} == expected}
    if not matching:
        return "", []
    key = max(matching, key=lambda k: len(matching[k]))
    return key, [f"{len(rs)} run(s) of this setting on other data ({rs[0].config.get('data')}) not used; choose the "
                 f"data with --data" for k, rs in matching.items() if k != key]
