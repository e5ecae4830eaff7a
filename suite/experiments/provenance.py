"""Where a field of a ``paper`` setting comes from: `Stated` (the paper, its section and the sentence) or
`Chosen` (why we chose it and the reference recipe it follows).

Every field of a setting (``recipe.<field>`` of `Recipe`, ``dataset``, ``data.<option>``, ``model.<override>``,
``seeds``, the limits, the decision/report splits) and the few settings that live in code rather than in the
setting (``data.normalisation``, ``model.init``, ...) has one: each experiment's module holds its ``PROVENANCE``
(``{field: Stated | Chosen}``), ``config.json`` records it (`jobs.provenance`), ``python -m jobs show
EXPERIMENT --profile paper`` prints it, and a test checks that no ``paper`` field lacks it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


class _Source:
    """What `Stated` and `Chosen` share: their record in ``config.json`` names their kind."""
    kind = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Stated(_Source):
    paper: str      # "FCNN" or "HO-CP"
    section: str
    quote: str      # verbatim from the paper ("..." marks an elision); tests check it against the text
    note: str = ""  # how the quote applies, where that needs saying

    kind = "stated"


@dataclass(frozen=True)
class Chosen(_Source):
    reason: str
    follows: str = ""  # the reference recipe this choice follows, if any

    kind = "chosen"


@dataclass(frozen=True)
class Swept:
    """A default sweep's key (``Experiment.sweeps``): the range the paper states, the grid we chose in it."""
    range: Stated
    grid: Chosen

    def to_dict(self) -> dict:
        return {"range": self.range.to_dict(), "grid": self.grid.to_dict()}


NO_EFFECT = Chosen("does not change the result (evaluation batching / data-loader processes)")
