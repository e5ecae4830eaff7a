"""[2/7] case 6: SIGINT or SIGTERM to `jobs run` prints one line, cancels pending runs, stops the pool's workers
(their runs resume later from their last checkpoint), releases the run locks and exits 130 / 143, no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from suite import runs
from suite.runs import lock

REPO = Path(__file__).resolve().parents[1]
LONG = ["--set", "train_limit=3000", "--set", "val_limit=32", "--set", "recipe.epochs=30", "--set", "model.width=0.125"]


@pytest.mark.parametrize("executor, sig", [("pool", signal.SIGINT), ("inprocess", signal.SIGTERM)])
def test_a_signal_stops_jobs_run_cleanly(tmp_path, executor, sig):
    root = tmp_path / "results"
    cmd = [sys.executable, "-m", "jobs", "run", "fcnn-table2", "--models", "fcnn-a,fcnn-b", "--seeds", "0",
           "--executor", executor, "--workers", "1", "--no-progress", "--results", str(root), *LONG]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 300
    held = []
    while not held:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        held = [d for d in runs.run_dirs(root, "fcnn-table2", "local") if runs.lock_holder(d)[0]] \
            if root.exists() else []
        time.sleep(0.2)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, (proc.returncode, out, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    lines = [line for line in err.splitlines() if "interrupted" in line]
    assert lines == [f"interrupted by {sig.name}: pending runs cancelled, running ones stopped (they resume "
                     f"from their last checkpoint)"], err
    for d in runs.run_dirs(root, "fcnn-table2", "local"):  # the lock released, the run not finished
        assert not runs.lock_holder(d)[0] and not lock.owner_path(d).exists()
        assert runs.classify(d).state in (runs.UNFINISHED, runs.NOT_STARTED, runs.FAILED)
    assert not any(d.name.startswith("fcnn-b") for d in runs.run_dirs(root, "fcnn-table2", "local")), \
        "the pending run was cancelled"
