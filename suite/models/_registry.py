"""Model registry in the style of torchvision's `register_model` / `get_model`."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

from torch import nn

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str) -> Callable:
    """Decorator: register `fn(*, num_classes=None, **overrides) -> nn.Module` under `name`."""

    def decorate(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _BUILDERS:
            raise ValueError(f"name: model {name!r} is already registered")
        _BUILDERS[name] = fn
        return fn

    return decorate


def variant(parent: Callable[..., nn.Module], doc: str, **fixed) -> Callable[..., nn.Module]:
    """``functools.partial(parent, **fixed)`` as a builder of its own (torchvision registers its variants so).

    Its docstring is `doc`; its signature is the parent's less the `fixed` keywords, so `build` rejects them
    as overrides: a variant *is* the setting it fixes.
    """
    builder = partial(parent, **fixed)
    sig = inspect.signature(parent)
    builder.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name not in fixed])
    builder.__doc__ = doc
    return builder


def names() -> list[str]:
    """Every registered model name, sorted (with the ``fcnn_suite.models`` entry points', see `suite.plugins`)."""
    from suite.plugins import load_entry_points
    load_entry_points()
    return sorted(_BUILDERS)


def get_model_builder(name: str) -> Callable[..., nn.Module]:
    if name not in _BUILDERS:
        from suite.suggest import did_you_mean
        valid = names()  # loads the entry points: the name may be one of theirs
        if name not in _BUILDERS:
            raise ValueError(f"name: unknown model {name!r}; expected one of {', '.join(valid)}"
                             f"{did_you_mean(name, valid)} (a model of your own: --import its module, see "
                             f"docs/user-experiments.md)")
    return _BUILDERS[name]


def overrides_of(name: str) -> list[str]:
    """The keyword overrides `build(name, ...)` accepts (besides num_classes)."""
    params = inspect.signature(get_model_builder(name)).parameters
    return [p for p in params if p != "num_classes"]


def build(name: str, num_classes: int | None = None, **overrides) -> nn.Module:
    """Build model `name` with the paper's class count (or `num_classes`) and optional overrides.

    Unknown names and unknown or invalid overrides raise ValueError naming what was expected.
    """
    builder = get_model_builder(name)
    if num_classes is not None and (not isinstance(num_classes, int) or isinstance(num_classes, bool)
                                    or num_classes < 1):
        raise ValueError(f"num_classes: expected a positive int or None (the paper's count), got {num_classes!r}")
    allowed = overrides_of(name)
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"overrides: model {name!r} accepts {', '.join(allowed)}; got unknown {', '.join(unknown)}")
    model = builder(num_classes=num_classes, **overrides)
    model.model_name = name
    return model
