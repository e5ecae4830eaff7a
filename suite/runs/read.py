"""Reading a run's JSON files back: strict for tables (every line checked), lenient for progress displays.
Nothing here ever unpickles."""
from __future__ import annotations

import errno
import json
import math
from pathlib import Path

from ..host import read_regular as _read_regular
from .layout import METRIC_KEYS, METRICS

MAX_FILE_BYTES = 64 << 20  # no JSON file or log of a run is near this; a bigger one is not ours


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_schema(obj, keys: dict, what: str) -> None:
    """ValueError naming ``what`` unless ``obj`` is a dict holding every key of ``keys`` with its type
    (floats finite)."""
    if not isinstance(obj, dict):
        raise ValueError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    for key, typ in keys.items():
        if key not in obj:
            raise ValueError(f"{what}: missing key {key!r}")
        value = obj[key]
        ok = (_is_number(value) if typ is float else
              isinstance(value, typ) and not (typ is int and isinstance(value, bool)))
        if not ok:
            raise ValueError(f"{what}: key {key!r} expected {typ.__name__}, got {value!r}")
        if typ is float and not math.isfinite(value):
            raise ValueError(f"{what}: key {key!r} is {value!r}, expected a finite number")


def _reject_constant(name: str):
    raise ValueError(f"non-finite number {name}")


def read_regular(path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A run's file, read so that it cannot hang: a regular file only, no link followed, capped in size
    (see :func:`suite.host.read_regular`); errors name the file."""
    try:
        return _read_regular(path, max_bytes)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ValueError(f"{path}: a symbolic link (a run's files are never links)") from None
        raise


def read_json(path: Path):
    """Parse a JSON file; ValueError naming the file if it is not valid JSON or holds NaN/Infinity."""
    path = Path(path)
    data = read_regular(path)
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path.name}: not valid JSON ({e})") from None


def read_metrics(path: Path) -> list[dict]:
    """Every line of a metrics.jsonl, checked (keys, types, finite numbers, epochs 1, 2, ...)."""
    rows = []
    try:
        lines = read_regular(path).decode().splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{METRICS}: not text (garbage?)") from None
    for i, line in enumerate(lines, 1):
        try:
            row = json.loads(line, parse_constant=_reject_constant)
        except ValueError as e:
            raise ValueError(f"{METRICS}: line {i} is not valid JSON (truncated?): {line[:60]!r} ({e})") from None
        check_schema(row, METRIC_KEYS, f"{METRICS} line {i}")
        if row["epoch"] != i:
            raise ValueError(f"{METRICS} line {i}: epoch {row['epoch']}, expected {i}")
        rows.append(row)
    return rows


def metrics_so_far(run_dir: Path) -> list[dict]:
    """The epochs logged so far, unverified (a run being written may have a torn last line): for progress
    displays, never for tables."""
    rows = []
    try:
        for line in read_regular(Path(run_dir) / METRICS).splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                break
            if isinstance(row, dict):
                rows.append(row)
    except (OSError, ValueError):
        pass
    return rows
