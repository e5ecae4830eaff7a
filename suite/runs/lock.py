"""The run's lock: held while a process trains a run, so no run is trained twice at once, also across nodes.

Two layers. ``flock`` on ``.<run>.lock`` beside the run directory excludes processes of one node at once and
dies with its process. On a cluster file system ``flock`` may be node-local (Lustre ``localflock``, NFS
``local_lock=flock``), so the run also has an owner file ``.<run>.owner``, created with ``O_EXCL`` (atomic on
NFSv3+, Lustre and GPFS), naming host, PID, a token and a heartbeat time that training refreshes every
HEARTBEAT_S. Another node takes a run over only when the heartbeat is older than :func:`owner_timeout`
(``$SUITE_LOCK_TIMEOUT`` seconds, default 600; node clocks must agree to well within it); the same node takes
it over at once when the owner's process is gone. The owner checks its token at every heartbeat and before
the summary is written (``finish_run(owner=...)``): a process that lost its run stops without marking it
finished. A mount without flock support fails with one error naming the mount (:class:`suite.host.LockUnsupported`).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from pathlib import Path

from ..host import atomic_write_bytes, flock, hostname
from .errors import RunLocked
from .layout import lock_path

HEARTBEAT_S = 15.0  # a training process refreshes its heartbeat at most this often
TIMEOUT_ENV, DEFAULT_TIMEOUT_S = "SUITE_LOCK_TIMEOUT", 600.0


def owner_timeout() -> float:
    """Seconds without a heartbeat after which another node may take a run over."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        return float(raw) if raw.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ValueError(f"${TIMEOUT_ENV}: expected seconds as a number, got {raw!r}") from None


def owner_path(run_dir) -> Path:
    run_dir = Path(run_dir)
    return run_dir.parent / f".{run_dir.name}.owner"


def read_owner(run_dir) -> dict | None:
    """The owner record of a run (host, pid, token, heartbeat), or None (no owner, or unreadable)."""
    from .read import read_json
    try:
        info = read_json(owner_path(run_dir))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _age(info: dict, path: Path | None = None) -> float:
    """Seconds since the owner's heartbeat; for a record not readable yet (being created), since the file's
    modification (so a file caught between its O_EXCL creation and its first write is never stale)."""
    try:
        return max(0.0, time.time() - float(info["heartbeat"]))
    except (KeyError, TypeError, ValueError):
        try:
            return max(0.0, time.time() - os.lstat(path).st_mtime) if path is not None else float("inf")
        except OSError:
            return float("inf")


def _gone(info: dict) -> bool:
    """The owner ran on this node and its process no longer exists."""
    if info.get("host") != hostname():
        return False
    try:
        os.kill(int(info["pid"]), 0)
        return False
    except ProcessLookupError:
        return True
    except (PermissionError, KeyError, TypeError, ValueError):
        return False


def _create_owner(path: Path, record: dict) -> None:
    """Create the owner file, failing (FileExistsError) if it exists: O_EXCL is atomic across nodes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        os.write(fd, json.dumps(record).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _claim(run_dir: Path) -> str:
    """Create the owner file (O_EXCL), taking a stale one over; the token. RunLocked if another owns the run."""
    path, token = owner_path(run_dir), secrets.token_hex(8)
    record = {"host": hostname(), "pid": os.getpid(), "token": token, "heartbeat": time.time()}
    for _ in range(3):
        try:
            _create_owner(path, record)
            return token
        except FileExistsError:
            info = read_owner(run_dir) or {}
            age = _age(info, path)
            if not (_gone(info) or age > owner_timeout()):
                raise RunLocked(run_dir, f"{info.get('host', '?')}:{info.get('pid', '?')} (owner file, heartbeat "
                                         f"{age:.0f} s ago)") from None
            stale = path.with_name(f"{path.name}.stale-{hostname()}-{os.getpid()}")
            try:  # only one taker's rename succeeds; a fresh owner renamed by mistake is put back
                os.rename(path, stale)
                if _read_path(stale).get("token") != info.get("token"):
                    with contextlib.suppress(OSError):
                        os.link(stale, path)
                os.unlink(stale)
            except FileNotFoundError:
                pass
    raise RunLocked(run_dir, "another process (the owner file changed while it was taken over)")


def _read_path(path: Path) -> dict:
    try:
        info = json.loads(path.read_bytes())
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


def check_owner(run_dir, token: str) -> None:
    """RunLocked unless ``token`` still owns the run (another node may have taken it over after a timeout)."""
    info = read_owner(run_dir) or {}
    if info.get("token") != token:
        raise RunLocked(run_dir, f"{info.get('host', 'nobody')}:{info.get('pid', '-')} (this process lost the run: "
                                 f"its heartbeat was older than {owner_timeout():.0f} s)")


class Heartbeat:
    """Call while training: refreshes the owner file's heartbeat at most every HEARTBEAT_S (and the lock
    file's time, for status); RunLocked once another node has taken the run over."""

    def __init__(self, run_dir: Path, fd: int, token: str):
        self.run_dir, self.fd, self.token, self.last = run_dir, fd, token, float("-inf")

    def __call__(self) -> None:
        if time.monotonic() - self.last < HEARTBEAT_S:
            return
        check_owner(self.run_dir, self.token)
        atomic_write_bytes(owner_path(self.run_dir), json.dumps(  # readers see the old record or the new one
            {"host": hostname(), "pid": os.getpid(), "token": self.token, "heartbeat": time.time()}).encode())
        os.utime(self.fd)
        self.last = time.monotonic()


@contextlib.contextmanager
def lock_run(run_dir: Path):
    """Hold the run's lock (flock and owner file, see the module) for the block; yields a :class:`Heartbeat`
    to call while training (its ``token`` goes to ``finish_run``). :class:`RunLocked` if another process
    holds it. A killed run's flock dies with it; its owner file is taken over as the module says."""
    path = lock_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    token = None
    try:
        for attempt in range(3):  # a reader's probe (lock_holder) holds it for microseconds
            if flock(fd, blocking=False, path=path):
                break
            if attempt == 2:
                raise RunLocked(run_dir, lock_holder(run_dir)[1] or "another process")
            time.sleep(0.05)
        token = _claim(Path(run_dir))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"host": hostname(), "pid": os.getpid(),
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode())
        heartbeat = Heartbeat(Path(run_dir), fd, token)
        heartbeat()
        yield heartbeat
    finally:
        if token is not None and (read_owner(run_dir) or {}).get("token") == token:
            with contextlib.suppress(FileNotFoundError):
                owner_path(run_dir).unlink()
        os.close(fd)  # releases the flock


def lock_holder(run_dir: Path) -> tuple[bool, str, float | None]:
    """(held, "host:pid", seconds since the holder's last heartbeat) of the run's lock: its flock (this node)
    or a live owner file (any node)."""
    path = lock_path(run_dir)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        fd = None
    try:
        if fd is not None and not flock(fd, exclusive=False, blocking=False, path=path):
            age = max(0.0, time.time() - os.fstat(fd).st_mtime)
            try:
                info = json.loads(os.read(fd, 4096) or b"{}")
                holder = f"{info['host']}:{info['pid']}"
            except (ValueError, KeyError, TypeError):
                holder = "a process (unreadable lock file)"
            return True, holder, age
    finally:
        if fd is not None:
            os.close(fd)
    if not owner_path(run_dir).exists():
        return False, "", None
    info = read_owner(run_dir) or {}
    age = _age(info, owner_path(run_dir))
    if not _gone(info) and age <= owner_timeout():
        return True, f"{info.get('host', '?')}:{info.get('pid', '?')}", age
    return False, "", None
