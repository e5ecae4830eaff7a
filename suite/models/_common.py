"""Argument checks shared by the model builders."""
from __future__ import annotations

import math


def check_width(width) -> float:
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not math.isfinite(width) or width <= 0:
        raise ValueError(f"width: expected a positive float channel multiplier, got {width!r}")
    return float(width)


def scale(channels: int, width: float, *, divisor: int = 1) -> int:
    """channels·width rounded to a multiple of `divisor` (at least `divisor`)."""
    return max(divisor, int(round(channels * width / divisor)) * divisor)


def check_in_channels(in_channels) -> int:
    if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
        raise ValueError(f"in_channels: expected a positive int, got {in_channels!r}")
    return in_channels


def input_size(value, in_channels: int, default_spatial: tuple[int, ...]) -> tuple[int, ...]:
    """Normalise an `input_size` override to (C, *spatial): accepts an int (every spatial dim),
    the spatial dims alone, or (C, *spatial) with C == in_channels."""
    n = len(default_spatial)
    if value is None:
        return (in_channels, *default_spatial)
    if isinstance(value, int) and not isinstance(value, bool):
        dims = (value,) * n
    else:
        try:
            dims = tuple(value)
        except TypeError:
            raise ValueError(f"input_size: expected an int or {n} or {n + 1} ints, got {value!r}") from None
        if len(dims) == n + 1:
            if dims[0] != in_channels:
                raise ValueError(f"input_size: expected {in_channels} channels (in_channels) first, got {value!r}")
            dims = dims[1:]
        if len(dims) != n:
            raise ValueError(f"input_size: expected an int or {n} or {n + 1} ints, got {value!r}")
    if any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
        raise ValueError(f"input_size: expected positive ints, got {value!r}")
    return (in_channels, *dims)


def check_flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    return value


def check_dropout(p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: expected a probability in [0, 1), got {p!r}")
    return float(p)


def torch_only(backend) -> None:
    """A model without kernel-backed layers always runs plain torch: it honours 'auto' and 'torch' only,
    and rejects a kernel backend it would silently ignore."""
    if backend not in ("auto", "torch"):
        raise ValueError(f"backend: this model has no layers with kernels (it always runs torch); expected 'auto' "
                         f"or 'torch', got {backend!r}")
