"""Run a test file's `cudasim` tests in a fresh interpreter under Numba's CUDA simulator.

NUMBA_ENABLE_CUDASIM=1 must be set before numba is first imported, so the simulator tests of a file cannot
run in the pytest process that imported the real numba-cuda; each such file has one test that calls
`run_cudasim_tests(__file__)`, and the simulated tests themselves are skipped outside that subprocess.

The subprocess is pinned to one CPU: the simulator runs every CUDA thread as a Python thread, and those threads
hand the GIL back and forth; spread over two cores they ran the same test 4× slower (50 s against 13 s for one
CP case on this project's 2-core machine, idle).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from suite.kernels import cudasim


def run_cudasim_tests(test_file: str, timeout: int = 900) -> None:
    """Run `pytest -m cudasim test_file` with NUMBA_ENABLE_CUDASIM=1; fail with its output's tail."""
    if cudasim():
        pytest.skip("already inside the simulator run")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-m", "cudasim", "-p", "no:cacheprovider", test_file]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=_one_cpu)
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, f"CUDA-simulator tests of {os.path.basename(test_file)} failed:\n{tail}"
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert " passed" in last and "skipped" not in last, f"the simulator run passed nothing or skipped some:\n{tail}"


def _one_cpu() -> None:
    """In the child before exec: run on the first CPU this process may use (no-op where affinity is unsupported)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
