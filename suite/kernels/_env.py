"""Which numba-cuda / numpy combinations work: checked once, at the first numba-cuda use.

A known-bad combination makes every numba-cuda kernel fail at its first compilation with an error that
names neither package (numba-cuda 0.30.4 with numpy 2.5: `AttributeError: module 'numpy' has no attribute
'row_stack'`, because numba-cuda overloads a function numpy 2.5 removed). Here it is one ValueError naming
the installed versions and the fix instead; `backend="auto"` leaves numba-cuda out with one warning saying
why (`cuda_backend_usable`). pyproject.toml pins the ranges this table allows.
"""
from __future__ import annotations

import functools
import logging
import re

from suite import host

log = logging.getLogger("suite.autotune")

FIX = 'pip install "numpy>=2.0,<2.5" "numba>=0.68,<0.69" "numba-cuda>=0.30,<0.31" (the ranges pyproject.toml pins)'
# (package, first bad version, first good version after it, other package, its first bad version, why)
KNOWN_BAD = (
    ("numba-cuda", (0,), (0, 31), "numpy", (2, 5),
     "numba-cuda before 0.31 overloads numpy.row_stack, which numpy 2.5 removed: every kernel fails to compile"),
)


def _parse(version: str) -> tuple[int, ...]:
    """(2, 5, 0) of '2.5.0rc1' (the leading numeric components)."""
    parts = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


@functools.lru_cache(maxsize=8)
def versions(dists=("numpy", "numba", "numba-cuda", "llvmlite", "torch"), missing: str = "none") -> dict[str, str]:
    """Installed versions of `dists` (by default the packages the kernels depend on), `missing` where absent."""
    return host.package_versions(dists, missing)


def problem(installed: dict[str, str] | None = None) -> str | None:
    """Why numba-cuda cannot work with the installed packages (a full error message), or None."""
    installed = versions() if installed is None else installed
    for pkg, bad_from, good_from, other, other_bad, why in KNOWN_BAD:
        mine, theirs = installed.get(pkg, "none"), installed.get(other, "none")
        if "none" in (mine, theirs):
            continue
        if bad_from <= _parse(mine) < good_from and _parse(theirs) >= other_bad:
            return (f"numba-cuda cannot run with the installed {pkg} {mine} and {other} {theirs}: {why}. "
                    f"Fix: {FIX}")
    return None


@functools.lru_cache(maxsize=1)
def _problem_here() -> str | None:
    return problem()


def require_numba_cuda() -> None:
    """ValueError (versions and the fix) when the installed numba-cuda/numpy are a known-bad combination."""
    reason = _problem_here()
    if reason is not None:
        raise ValueError(reason)


@functools.lru_cache(maxsize=1)
def cuda_backend_usable() -> bool:
    """Whether numba-cuda kernels can run here (simulator, or a CUDA device Numba sees) with working
    packages; a known-bad combination is logged once (as `auto` drops the backend) and answers False."""
    from numba import cuda

    from ._shared import cudasim

    reason = _problem_here()
    if reason is not None:
        log.warning("autotune: numba-cuda is not a candidate: %s", reason)
        return False
    return cudasim() or cuda.is_available()
