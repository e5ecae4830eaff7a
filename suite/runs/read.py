"""Reading a run's JSON files back: strict for tables (every line checked), lenient for progress displays.
Nothing here ever unpickles."""
from __future__ import annotations

import json
import math
from pathlib import Path

from .layout import METRIC_KEYS, METRICS


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


def read_json(path: Path):
    """Parse a JSON file; ValueError naming the file if it is not valid JSON or holds NaN/Infinity."""
    path = Path(path)
    try:
        return json.loads(path.read_bytes(), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path.name}: not valid JSON ({e})") from None


def read_metrics(path: Path) -> list[dict]:
    """Every line of a metrics.jsonl, checked (keys, types, finite numbers, epochs 1, 2, ...)."""
    rows = []
    try:
        lines = Path(path).read_bytes().decode().splitlines()
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
        for line in (Path(run_dir) / METRICS).read_bytes().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                break
            if isinstance(row, dict):
                rows.append(row)
    except OSError:
        pass
    return rows
