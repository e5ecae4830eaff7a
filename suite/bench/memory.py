"""Peak extra memory of a benchmark form: the RSS high-water mark of one call minus the RSS before it, measured
in a child process (`python -m suite.bench --memory-child KEY`) whose glibc returns every block >= 128 KiB to
the OS (MMAP_ENV), so that freed blocks do not hide the peak."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Callable

import torch

MMAP_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "0"}


# ---------------------------------------------------------------- memory (child process)
def _rss_kib(field_: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_):
                return int(line.split()[1])
    raise RuntimeError(f"{field_} not in /proc/self/status")


def peak_extra_bytes(fn: Callable) -> int:
    """RSS high-water mark during fn() minus RSS before it (Linux; needs MMAP_ENV for honesty)."""
    with torch.no_grad():
        fn()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        before = _rss_kib("VmRSS")
        out = fn()
        peak = _rss_kib("VmHWM")
    del out
    return max(0, (peak - before) * 1024)


def memory_child(key: str, quick: bool) -> None:
    from suite.bench.catalog import case_by_key

    made = case_by_key(key, quick).make()
    # eager forms only (compiled graphs are measured by time)
    eager = {member: fn for member, fn in made.items() if not isinstance(fn, tuple)}
    print(json.dumps({member: peak_extra_bytes(fn) for member, fn in eager.items()}))


def measure_memory(key: str, quick: bool) -> dict | str:
    """{member: peak extra bytes} of every eager form of case `key`, measured in a child process."""
    env = dict(os.environ, **MMAP_ENV)
    cmd = [sys.executable, "-m", "suite.bench", "--memory-child", key] + (["--quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except Exception as err:
        return f"memory probe failed: {type(err).__name__}: {err}"

