"""A training recipe: optimizer, schedule and batch of one setting (`suite.train` trains with it).

The papers' recipes (FCNN Sec. 3 and 3.4, HO-CP Sec. 4.2) are in `_fcnn` and `_hocp`; each experiment's
module derives its profiles' recipes from them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

SCHEDULES = ("plateau", "step")
MEMORY_FORMATS = ("contiguous", "channels_last")
OMITTED_AT_DEFAULT = ("decompose_after", "memory_format")  # fields added later: at their default, not in to_dict


@dataclass(frozen=True)
class Recipe:
    """One training recipe. ``schedule="plateau"``: lr ×``gamma`` when validation top-1 has not improved
    for ``patience`` epochs, stop once lr would fall below ``min_lr`` or after ``epochs``;
    ``schedule="step"``: lr ×``gamma`` every ``step_epochs`` epochs, ``epochs`` in all.

    ``decompose_after`` > 0: train the model as built for that many epochs, then decompose it (its
    ``decompose()`` method, e.g. CP of every dense 3-D kernel) and fine-tune it for the remaining
    ``epochs - decompose_after`` (see `_decompose`); 0 (default): no decomposition. Left out of
    `to_dict` when 0, so that the identity of every run without it is unchanged.

    ``memory_format="channels_last"``: the network's 4-D weights and every image batch in NHWC order, the
    layout oneDNN (CPU) and cuDNN convolve without reordering; only for image (C, H, W) samples. It changes
    the order of float additions, so it is part of the identity: left out of `to_dict` when "contiguous"
    (default, NCHW), as ``decompose_after`` when 0."""

    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 96
    epochs: int = 100
    schedule: str = "plateau"
    gamma: float = 0.1
    patience: int = 2
    min_lr: float = 1e-6
    step_epochs: int = 30
    eval_batch_size: int = 256
    num_workers: int = 0
    decompose_after: int = 0
    memory_format: str = "contiguous"

    def __post_init__(self):
        for f in fields(self):  # types first: a typo on the command line is an error, not a traceback
            value, typ = getattr(self, f.name), {"float": float, "int": int, "str": str}[f.type]
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if typ is float and not (number and math.isfinite(value)):
                raise ValueError(f"recipe.{f.name}: expected a finite number, got {value!r}")
            if typ is not float and not (isinstance(value, typ) and not isinstance(value, bool)):
                expected = "an integer" if typ is int else "a string"
                raise ValueError(f"recipe.{f.name}: expected {expected}, got {value!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"recipe.schedule: expected one of {SCHEDULES}, got {self.schedule!r}")
        if self.memory_format not in MEMORY_FORMATS:
            raise ValueError(f"recipe.memory_format: expected one of {MEMORY_FORMATS}, got {self.memory_format!r}")
        for name in ("batch_size", "epochs", "eval_batch_size", "step_epochs"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise ValueError(f"recipe.{name}: expected a positive int, got {getattr(self, name)!r}")
        if not 0 <= self.decompose_after < self.epochs:
            raise ValueError(f"recipe.decompose_after: expected 0 (no decomposition) or fewer epochs than "
                             f"epochs={self.epochs} "
                             f"(training must go on after the decomposition), got {self.decompose_after!r}")
        for name, ok, expected in (("lr", self.lr > 0, "> 0"), ("gamma", 0 < self.gamma < 1, "in (0, 1)"),
                                   ("min_lr", self.min_lr >= 0, ">= 0")):
            if not ok:  # one line naming the field and its valid range
                raise ValueError(f"recipe.{name}: expected a number {expected}, got {getattr(self, name)!r}")

    @classmethod
    def from_dict(cls, d: dict) -> "Recipe":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"recipe: unknown keys {sorted(unknown)}; valid keys: {sorted(known)}")
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        for name in OMITTED_AT_DEFAULT:
            if d[name] == getattr(Recipe, name):
                del d[name]
        return d
