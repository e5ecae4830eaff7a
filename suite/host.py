"""This machine and its file system: atomic writes, the one file-lock helper, the machine fingerprint and
the per-node cache directory.

The lowest layer of the suite besides the standard library: run storage (``suite.runs``), the operator
autotuner (``suite.ops.autotune``), the benchmark and the kernels' compiled-code cache all build on it, so
it imports nothing from ``suite`` (nor torch: the kernels package imports it before Numba starts).
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
import socket
import tempfile
from importlib import metadata
from pathlib import Path

APP = "fcnn-hocp-suite"  # the directory under the user's cache directory


# ----------------------------------------------------------------------------------------------- writing
def umask() -> int:
    """The process umask, read without changing it where possible (os.umask changes it for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``: readers see
    the old file or the new one, never half of one. The file gets the user's umask (mkstemp's 0600
    would hide shared results from colleagues)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path, obj) -> None:
    """``obj`` as indented, key-sorted JSON (NaN/Infinity refused), written atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode())


def append_json_lines(path, rows) -> None:
    """Append one JSON object per line to a log (jobs.jsonl) in one write: a reader sees whole
    lines, except at worst a torn last one, which readers of such logs skip."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))


# ----------------------------------------------------------------------------------------------- locking
class LockUnsupported(OSError):
    """The file system refuses ``flock`` (e.g. a Lustre or NFS mount without lock support)."""


def mount_of(path) -> str:
    """The mount point holding ``path`` (for error messages)."""
    path = Path(path).resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return str(path)


def flock(fd: int, *, exclusive: bool = True, blocking: bool = True, path=None) -> bool:
    """The one ``flock`` of the suite: take the lock on ``fd``; False (non-blocking only) when another
    open file holds it. :class:`LockUnsupported`, naming the mount, where the file system has no flock."""
    import fcntl
    op = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if blocking else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, op)
        return True
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
            where = f" {path} on the mount {mount_of(path)}" if path is not None else ""
            raise LockUnsupported(e.errno, f"the file system of{where} does not support flock ({e.strerror}); "
                                           f"mount it with flock support or use a results root on a "
                                           f"file system that has it") from None
        raise


@contextlib.contextmanager
def file_lock(path):
    """Hold an exclusive lock on the file ``path`` (created if missing) for the block, waiting for it.
    Where ``fcntl`` does not exist (not POSIX) no lock is taken: callers use it only where a lost update
    costs a repeated measurement, never data."""
    try:
        import fcntl  # noqa: F401
    except ImportError:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        flock(fd, path=path)
        yield
    finally:
        os.close(fd)  # releases the lock


# ------------------------------------------------------------------------------------- machine and caches
def hostname() -> str:
    return socket.gethostname()


def cpu() -> tuple[str, list[str]]:
    """(CPU model name, its feature flags) from /proc/cpuinfo, else what ``platform`` knows."""
    model, flags = platform.processor() or platform.machine(), []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif name.strip() in ("flags", "Features") and not flags:
                    flags = value.split()
    except OSError:
        pass
    return model, flags


def package_versions(dists, missing=None) -> dict:
    """{distribution: installed version} for each of `dists`, `missing` where one is not installed."""
    out = {}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = missing
    return out


def fingerprint(**software) -> dict:
    """What a measurement on this machine depends on: the CPU (model and flags), ``gpus`` and the
    ``software`` versions given (torch, numba, ...) and Python's."""
    model, flags = cpu()
    return {"cpu": f"{model} | {' '.join(flags)}", "python": platform.python_version(), **software}


def fingerprint_digest(fp: dict) -> str:
    """A short stable name for a fingerprint (cache file names)."""
    return hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:16]


def node_cache_dir(kind: str) -> Path:
    """``<user cache dir>/fcnn-hocp-suite/<kind>/<hostname>``: per user and per node, so a shared home on a
    cluster never mixes what was compiled or measured on different machines."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / APP / kind / hostname()
