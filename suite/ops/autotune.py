"""`backend="auto"` by measurement: time the candidates once per call signature, keep the fastest.

Like `torch.backends.cudnn.benchmark`: the first call of an op with a new key — op, every tensor's shape,
dtype and memory format (strides), device, torch's thread count, whether gradients are needed — runs
each candidate that fits (the torch reference in NCHW, the torch reference on channels-last input where
the op is a 4-D/5-D conv, every registered kernel) on detached copies of the arguments: one untimed
warm-up (compiles a Numba kernel), then timed forward (+ backward when gradients are needed) calls
within a bounded budget. The fastest wins; a log line ("suite.autotune" logger) says what was chosen.

Choices are cached in memory and on disk, one JSON file per machine fingerprint (CPU model and ISA
flags or GPU name, torch/numba/project versions) in a per-node directory: `$SUITE_AUTOTUNE_DIR`, else
`<user cache dir>/fcnn-hocp-suite/autotune/<hostname>`. Writers replace the file atomically and merge
what is already there, so concurrent processes (pool workers, SLURM jobs on one node) never corrupt
it; a file that cannot be read is ignored with a warning and rewritten.

Off switch (fixed, deterministic choices: the first registered kernel marked for `auto` that fits,
else torch): `SUITE_AUTOTUNE=0` or `suite.ops.autotune.set_enabled(False)`. Budget per candidate in
seconds: `SUITE_AUTOTUNE_BUDGET` (default 0.2). CLI: `python -m suite.autotune list|clear|path`.

First-call cost: a kernel that is not compiled yet for a call (no stamp of `python -m suite.kernels` or of an
earlier run in the Numba cache, see `suite.kernels`) is not a candidate — timing it would first cost a Numba
compilation (tens of seconds per kernel) — unless `SUITE_AUTOTUNE_COMPILE=1`. A choice made while such a
kernel was left out is kept in memory only, so the next process measures again once the kernel is warm
(`make` warms every kernel with `python -m suite.kernels`).
"""
from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

import torch

from .. import host

log = logging.getLogger("suite.autotune")

CHANNELS_LAST = "torch-channels-last"  # the torch reference on channels-last input (not a user backend)
_ENV_SWITCH, _ENV_DIR, _ENV_BUDGET = "SUITE_AUTOTUNE", "SUITE_AUTOTUNE_DIR", "SUITE_AUTOTUNE_BUDGET"
_ENV_COMPILE = "SUITE_AUTOTUNE_COMPILE"
_enabled: bool | None = None  # None: follow the environment
# call_key (str) -> the chosen candidate's name, and hit_key (tuple) -> its function (auto's per-call fast
# path); one dict, so that forgetting the choices (clear(), a fresh dict) forgets the fast path with them.
_memory: dict = {}
_lock = threading.Lock()
_dropped: set[tuple[str, str]] = set()  # (candidate, error type) already warned about


# ---------------------------------------------------------------- switches
def set_enabled(enabled: bool | None) -> None:
    """Turn measurement on or off for this process (None: follow $SUITE_AUTOTUNE, default on)."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    if _enabled is not None:
        return _enabled
    return os.environ.get(_ENV_SWITCH, "1").strip().lower() not in ("0", "false", "off", "no")


def compile_allowed() -> bool:
    """Whether a candidate kernel may be compiled only to be timed ($SUITE_AUTOTUNE_COMPILE=1; default no)."""
    return os.environ.get(_ENV_COMPILE, "0").strip().lower() in ("1", "true", "on", "yes")


def budget_seconds() -> float:
    """Timed seconds per candidate (after its warm-up call)."""
    raw = os.environ.get(_ENV_BUDGET, "0.2")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{_ENV_BUDGET}: expected seconds as a number, got {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{_ENV_BUDGET}: expected a positive number of seconds, got {raw!r}")
    return value


# ---------------------------------------------------------------- keys and the machine fingerprint
def _describe(a) -> object:
    if isinstance(a, torch.Tensor):
        fmt = ("channels_last" if a.ndim == 4 and a.is_contiguous(memory_format=torch.channels_last) else
               "channels_last_3d" if a.ndim == 5 and a.is_contiguous(memory_format=torch.channels_last_3d) else
               "contiguous" if a.is_contiguous() else f"strides{tuple(a.stride())}")
        return [list(a.shape), str(a.dtype), fmt, a.device.type]
    if isinstance(a, (list, tuple)):
        return [_describe(t) for t in a]
    return repr(a)


def needs_grad(args) -> bool:
    """Whether a call with these arguments records a graph (gradients are needed)."""
    if not torch.is_grad_enabled():
        return False
    return any(t.requires_grad for t in _tensors(args))


def _hit_part(a):
    if isinstance(a, torch.Tensor):
        return a.shape, a.stride(), a.dtype, a.device, a.requires_grad
    if isinstance(a, (list, tuple)):
        return tuple(_hit_part(t) for t in a)
    return a


def hit_key(op: str, args) -> tuple:
    """A cheap, hashable key with everything `call_key` and the candidate list depend on (shapes, strides,
    dtypes, devices, requires_grad, grad mode, autocast, threads): the in-process fast path of `auto`."""
    x = args[0]
    return (op, torch.is_grad_enabled(), torch.is_autocast_enabled(x.device.type), torch.get_num_threads(),
            *map(_hit_part, args))


def hit(key: tuple) -> Callable | None:
    """The implementation chosen earlier in this process for `hit_key` `key`, or None."""
    return _memory.get(key)


def remember(key: tuple, fn: Callable) -> None:
    _memory[key] = fn


def call_key(op: str, args) -> str:
    """The cache key of one call: op, each argument's shape/dtype/memory format/device, threads, grad."""
    key = {"op": op, "args": [_describe(a) for a in args], "threads": torch.get_num_threads(),
           "grad": needs_grad(args)}
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    return json.dumps(_machine(), sort_keys=True)


def fingerprint() -> dict:
    """What a measured choice depends on besides the call: the processors and the software."""
    return json.loads(_fingerprint())


def _machine() -> dict:
    from importlib import metadata

    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "none"

    gpus = ([torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            if torch.cuda.is_available() else [])
    return host.fingerprint(gpus=gpus, torch=torch.__version__, numba=version("numba"),
                            project=version("fcnn-hocp-suite"))


def cache_dir() -> Path:
    """The per-node cache directory ($SUITE_AUTOTUNE_DIR, else under the user's cache dir)."""
    if os.environ.get(_ENV_DIR):
        return Path(os.environ[_ENV_DIR]).expanduser()
    return host.node_cache_dir("autotune")


def cache_file() -> Path:
    return cache_dir() / f"choices-{host.fingerprint_digest(fingerprint())}.json"


# ---------------------------------------------------------------- the disk cache
def _read(path: Path) -> dict[str, str]:
    """The choices stored in `path`; {} (with a warning) when it is missing parts or not ours."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as err:
        warnings.warn(f"autotune cache {path} unreadable ({err}); measuring again", RuntimeWarning, stacklevel=3)
        return {}
    try:
        data = json.loads(text)
        choices = data["choices"]
        if not isinstance(choices, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in choices.items()):
            raise ValueError("'choices' is not a map of strings")
    except (ValueError, KeyError, TypeError) as err:
        warnings.warn(f"autotune cache {path} is corrupt ({err}); ignoring it, it will be rewritten",
                      RuntimeWarning, stacklevel=3)
        return {}
    return choices


def _write(path: Path, choices: dict[str, str]) -> None:
    """Merge `choices` into `path` under a lock, atomically (temp file in the same directory + os.replace)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with host.file_lock(path.with_suffix(".lock")):  # merge, never lose a concurrent writer's entry
            _replace(path, {**_read(path), **choices})
    except OSError as err:  # a read-only cache directory costs a re-measurement, never a failure
        log.warning("autotune: cannot write %s (%s); the choice is kept in memory only", path, err)


def _replace(path: Path, merged: dict[str, str]) -> None:
    """Write the cache file through the project's one atomic writer (a reader sees the old file or the
    new one, never a part)."""
    payload = json.dumps({"fingerprint": fingerprint(), "choices": merged}, indent=1, sort_keys=True)
    host.atomic_write_bytes(path, payload.encode())


def cached() -> dict[str, str]:
    """Every choice known to this process: the disk cache merged with this process's own."""
    with _lock:
        return {**_read(cache_file()), **{k: v for k, v in _memory.items() if isinstance(k, str)}}


def clear() -> Path:
    """Forget every choice (memory and this machine's cache file). Returns the file's path."""
    path = cache_file()
    with _lock:
        _memory.clear()
        path.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------- measuring
def _tensors(args):
    for a in args:
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _tensors(a)


def _detached(a):
    if isinstance(a, torch.Tensor):
        return a.detach().requires_grad_(a.requires_grad)
    if isinstance(a, list):
        return [_detached(t) for t in a]
    return a


def channels_last(fn: Callable) -> Callable:
    """`fn` (a torch reference) on x converted to channels-last (4-D) or channels-last-3d (5-D)."""

    def call(x, *rest):
        fmt = torch.channels_last if x.ndim == 4 else torch.channels_last_3d
        return fn(x.contiguous(memory_format=fmt), *rest)

    return call


def _synchronize(args) -> None:
    for t in _tensors(args):
        if t.device.type == "cuda":
            torch.cuda.synchronize(t.device)
        return


def _runner(fn: Callable, args, grad: bool) -> Callable[[], None]:
    """A zero-argument call of fn on detached copies of args: forward, plus backward when `grad`."""
    local = [_detached(a) for a in args]
    leaves = [t for t in _tensors(local) if t.requires_grad]

    def run():
        out = fn(*local)
        if grad and leaves:
            torch.autograd.grad(out, leaves, torch.ones_like(out))
        _synchronize(local)

    return run


def _drop(name: str, err: Exception) -> None:
    """Log once per (candidate, error type) that `auto` drops a candidate because it failed, with the reason;
    later drops of the same kind go to the debug log."""
    seen = (name, type(err).__name__)
    level = logging.DEBUG if seen in _dropped else logging.WARNING
    _dropped.add(seen)
    log.log(level, "autotune: dropping %s: it failed on this call (%s: %s)", name, type(err).__name__, err)


def measure(candidates: dict[str, Callable], args, grad: bool, budget: float) -> dict[str, float]:
    """Best seconds per call of each candidate: one warm-up call each, then round-robin calls (so a change
    of the machine's load hits every candidate alike) until each has spent `budget` seconds. A candidate
    that fails on these arguments is left out (with a log line); the torch reference never is."""
    runs = {}
    for name, fn in candidates.items():
        run = _runner(fn, args, grad)
        try:
            run()  # warm-up: compiles (or loads) kernels, fills allocator caches
        except Exception as err:  # noqa: BLE001 - a kernel that cannot take this call is not a choice
            if name == "torch":
                raise
            _drop(name, err)
            continue
        runs[name] = run
    best = dict.fromkeys(runs, float("inf"))
    spent = dict.fromkeys(runs, 0.0)
    while any(spent[name] < budget for name in runs):
        for name, run in runs.items():
            if spent[name] >= budget:
                continue
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            best[name], spent[name] = min(best[name], elapsed), spent[name] + max(elapsed, 1e-9)
    return best


def choose(op: str, args, candidates: dict[str, Callable], not_compiled: list[str] = ()) -> str:
    """The fastest of `candidates` for this call, measured once per key and cached (see module doc).
    `not_compiled`: kernels left out because they are not compiled yet; the choice is then kept in memory
    only (not on disk), so a later process measures them once they are warm."""
    key = call_key(op, args)
    with _lock:
        choice = _memory.get(key)
    if choice in candidates:
        return choice
    path = cache_file()
    with _lock:
        stored = _read(path).get(key)
    if stored in candidates:
        with _lock:
            _memory[key] = stored
        return stored
    if not_compiled:
        log.info("autotune: %s: %s not compiled yet, not timed (python -m suite.kernels compiles them; "
                 "%s=1 compiles to time them)", op, ", ".join(not_compiled), _ENV_COMPILE)
    if len(candidates) == 1:
        choice = next(iter(candidates))
    else:
        times = measure(candidates, args, needs_grad(args), budget_seconds())
        choice = min(times, key=times.get)
        log.info("autotune: %s %s -> %s (%s)", op, key, choice,
                 ", ".join(f"{name} {t * 1e3:.3g} ms" for name, t in sorted(times.items(), key=lambda kv: kv[1])))
    with _lock:
        _memory[key] = choice
        if not not_compiled and len(candidates) > 1:
            _write(path, {key: choice})
    return choice
