""""Did you mean": the close matches of a misspelt name among the valid ones (difflib), for every error that
names an unknown experiment, model, profile key or configuration key."""
from __future__ import annotations

import difflib


def did_you_mean(name, valid) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for the valid names close to ``name``; ``""`` if none is."""
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def unknown(kind: str, name, valid, plural: str | None = None) -> str:
    """``unknown <kind> 'name'; valid <kinds>: a, b, c; did you mean 'a'?``: one line, the valid names first (as
    every error of the suite lists them), the suggestion last."""
    valid = sorted(valid)
    return f"unknown {kind} {name!r}; valid {plural or kind + 's'}: {', '.join(valid)}{did_you_mean(name, valid)}"
