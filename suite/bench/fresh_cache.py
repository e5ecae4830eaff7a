"""A fresh `auto` cache for one benchmark run: `auto` measures its candidates on this machine during the run,
into an empty temporary directory (never the user's cache), with a short budget per candidate."""
from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def fresh_autotune_cache():
    """SUITE_AUTOTUNE_DIR = a new temporary directory and SUITE_AUTOTUNE_BUDGET = 0.05 s unless set, for the
    `with` block; yields those settings (the run's JSON records them) and restores the environment after."""
    env = {"SUITE_AUTOTUNE_DIR": tempfile.mkdtemp(prefix="suite-bench-autotune-"),
           "SUITE_AUTOTUNE_BUDGET": os.environ.get("SUITE_AUTOTUNE_BUDGET", "0.05")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
