"""[4/6] SLURM integration tests, against real daemons (slurmctld, slurmd, slurmdbd) — no mocks.

Bring a single-node cluster up with ``scripts/slurm-cluster.sh up`` (root; installs the Debian
packages). Without a cluster these tests are skipped with the reason; with ``FCNN_REQUIRE_SLURM=1``
(set by ``.ci/run``) a missing cluster is an error instead, so CI cannot pass by skipping them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

USABLE_NODE_STATES = {"idle", "mix", "mixed", "alloc", "allocated", "comp", "completing"}


def cluster_problem() -> str | None:
    """Why no SLURM cluster can take jobs here, or None if one can."""
    if shutil.which("sinfo") is None or shutil.which("sacct") is None:
        return "no SLURM client (sinfo/sacct) on PATH; start a test cluster with: sudo scripts/slurm-cluster.sh up"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "sinfo timed out: slurmctld is not answering"
    if out.returncode != 0:
        return f"sinfo failed ({out.stderr.strip() or out.returncode}): slurmctld is not running"
    states = {s.rstrip("*~#!%$@^-") for s in out.stdout.split()}
    if not states & USABLE_NODE_STATES:
        return f"no SLURM node can take jobs (node states: {sorted(states) or 'none'})"
    return None


@pytest.fixture(scope="session")
def slurm_cluster():
    problem = cluster_problem()
    if problem is not None:
        if os.environ.get("FCNN_REQUIRE_SLURM") == "1":
            pytest.fail(f"FCNN_REQUIRE_SLURM=1 but {problem}", pytrace=False)
        pytest.skip(problem)


def final_states(jobs, timeout_s: float = 30.0) -> list[str]:
    """The jobs' states as sacct reports them, once none is still pending/running (or at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        jobs[0].watcher.update()
        states = [j.state for j in jobs]
        if not {"UNKNOWN", "PENDING", "RUNNING", "REQUEUED", "COMPLETING"} & set(states) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def test_submitit_job_array_runs_on_the_cluster(tmp_path):
    """submitit's AutoExecutor picks SLURM, map_array submits one array, each task sees its own index."""
    import submitit
    ex = submitit.AutoExecutor(folder=tmp_path / "%j")
    assert ex.cluster == "slurm"
    ex.update_parameters(timeout_min=5, cpus_per_task=1, mem_gb=1)
    jobs = ex.map_array(os.getenv, ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_JOB_ID"])
    array_id = jobs[0].job_id.split("_")[0]
    assert [j.job_id for j in jobs] == [f"{array_id}_0", f"{array_id}_1"]
    assert [j.result() for j in jobs] == ["0", array_id]
    # slurmctld reports to slurmdbd asynchronously; once it has, sacct gives submitit the final state
    assert final_states(jobs) == ["COMPLETED", "COMPLETED"]
