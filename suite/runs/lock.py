"""The run's lock: held while a process trains a run, so no run is trained twice at once."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

from ..host import flock
from .errors import RunLocked
from .layout import lock_path

HEARTBEAT_S = 15.0  # a training process touches its lock file at most this often


@contextlib.contextmanager
def lock_run(run_dir: Path):
    """Hold the run's lock (an flock'd file beside the run directory naming host and PID) for the
    block; yields a ``heartbeat()`` to call while training. :class:`RunLocked` if another process
    holds it. The lock dies with its process: a killed run never stays locked."""
    path = lock_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        for attempt in range(3):  # a reader's probe (lock_holder) holds it for microseconds
            if flock(fd, blocking=False, path=path):
                break
            if attempt == 2:
                raise RunLocked(run_dir, lock_holder(run_dir)[1] or "another process")
            time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode())
        last = [0.0]

        def heartbeat() -> None:
            if time.monotonic() - last[0] >= HEARTBEAT_S:
                os.utime(fd)
                last[0] = time.monotonic()
        heartbeat()
        yield heartbeat
    finally:
        os.close(fd)  # releases the flock


def lock_holder(run_dir: Path) -> tuple[bool, str, float | None]:
    """(held, "host:pid", seconds since the holder's last heartbeat) of the run's lock."""
    path = lock_path(run_dir)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False, "", None
    try:
        if flock(fd, exclusive=False, blocking=False, path=path):
            return False, "", None
        age = max(0.0, time.time() - os.fstat(fd).st_mtime)
        try:
            info = json.loads(os.read(fd, 4096) or b"{}")
            holder = f"{info['host']}:{info['pid']}"
        except (ValueError, KeyError, TypeError):
            holder = "a process (unreadable lock file)"
        return True, holder, age
    finally:
        os.close(fd)
