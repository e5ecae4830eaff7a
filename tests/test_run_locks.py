"""[2/7] case 5: locks that hold across nodes. Two "nodes" (processes whose flock is node-local, simulated by
$SUITE_TEST_NODE, which makes flock a no-op and names the host) cannot both hold one run; a stale owner is
taken over after the timeout, a live one never; a mount without flock fails with one error naming it."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from suite import host, runs
from suite.runs import lock

REPO = Path(__file__).resolve().parents[1]
HOLD = """
import sys, time
from pathlib import Path
from suite import runs
run_dir, ready, release = map(Path, sys.argv[1:4])
with runs.lock_run(run_dir) as heartbeat:
    ready.write_text("held")
    while not release.exists():
        heartbeat()
        time.sleep(0.05)
"""


def test_two_nodes_with_node_local_flock_cannot_both_hold_a_run(tmp_path, monkeypatch):
    run_dir = tmp_path / "exp" / "local" / "m_s0_abc"
    ready, release = tmp_path / "ready", tmp_path / "release"
    env = {**os.environ, host.NODE_ENV: "node-a", "PYTHONPATH": str(REPO)}
    node_a = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir), str(ready), str(release)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert node_a.poll() is None and time.monotonic() < deadline, "node a never took the run"
            time.sleep(0.05)
        monkeypatch.setenv(host.NODE_ENV, "node-b")
        with pytest.raises(runs.RunLocked, match="node-a"):
            with runs.lock_run(run_dir):
                pass
        assert runs.lock_holder(run_dir)[:2] == (True, f"node-a:{node_a.pid}")
        assert runs.classify(run_dir).state in (runs.NOT_STARTED, runs.RUNNING)
    finally:
        release.write_text("")
        node_a.wait(60)
    assert node_a.returncode == 0 and not lock.owner_path(run_dir).exists()
    with runs.lock_run(run_dir) as heartbeat:  # released: node b takes it
        assert lock.read_owner(run_dir)["host"] == "node-b" and heartbeat.token


def _stale_owner(run_dir: Path, age: float, host_name: str = "node-c") -> None:
    path = lock.owner_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host_name, "pid": 1, "token": "theirs", "heartbeat": time.time() - age}))


def test_a_stale_owner_is_taken_over_after_the_timeout_a_live_one_never(tmp_path, monkeypatch):
    monkeypatch.setenv(host.NODE_ENV, "node-b")
    monkeypatch.setenv(lock.TIMEOUT_ENV, "30")
    run_dir = tmp_path / "m_s0_abc"
    _stale_owner(run_dir, age=5)
    with pytest.raises(runs.RunLocked, match="node-c:1 .owner file, heartbeat 5 s ago"):
        with runs.lock_run(run_dir):
            pass
    _stale_owner(run_dir, age=31)
    with runs.lock_run(run_dir) as heartbeat:
        assert lock.read_owner(run_dir)["token"] == heartbeat.token
        _stale_owner(run_dir, age=0)  # meanwhile another node took it over: this process lost the run
        with pytest.raises(runs.RunLocked, match="lost the run"):
            runs.finish_run(run_dir, {}, owner=heartbeat.token)
        heartbeat.last = float("-inf")
        with pytest.raises(runs.RunLocked, match="lost the run"):
            heartbeat()
    assert lock.read_owner(run_dir)["token"] == "theirs"  # the new owner's file is left alone


def test_a_dead_owner_on_this_node_is_taken_over_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv(host.NODE_ENV, "node-b")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run_dir = tmp_path / "m_s0_abc"
    _stale_owner(run_dir, age=0, host_name="node-b")
    info = json.loads(lock.owner_path(run_dir).read_text())
    lock.owner_path(run_dir).write_text(json.dumps({**info, "pid": int(dead.stdout)}))
    with runs.lock_run(run_dir):
        assert lock.read_owner(run_dir)["pid"] == os.getpid()


def test_a_mount_without_flock_fails_with_one_error_naming_it(tmp_path, monkeypatch, capsys):
    import fcntl

    def no_flock(fd, op):
        raise OSError(errno.ENOSYS, "Function not implemented")
    monkeypatch.setattr(fcntl, "flock", no_flock)
    with pytest.raises(host.LockUnsupported, match=f"on the mount {host.mount_of(tmp_path)}"):
        with runs.lock_run(tmp_path / "m_s0_abc"):
            pass
    from jobs import cli
    assert cli.main(["run", "fcnn-table2", "--results", str(tmp_path / "r"), "--models", "fcnn-a"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "does not support flock" in err and "Traceback" not in err
