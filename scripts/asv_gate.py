#!/usr/bin/env python3
"""Regression gate on saved asv results: HEAD vs BASE (`make bench-check`).

Exit status: 0 when no time_* benchmark got slower by more than FACTOR, 1 when one did (or a benchmark
that ran in BASE fails in HEAD), 2 when the results to compare are missing or malformed (never 1).
`asv compare` is not used as the gate: in asv 0.6 it returns a (worsened, improved) tuple that sys.exit turns
into status 1 whether or not anything got worse.

Rule (asv's own, as scikit-image's CI uses it): a regression is head / base > FACTOR on a time_*
benchmark, unless both results carry 99% confidence intervals that overlap (then the difference is not
significant and is reported as noise); an interval reaching down to 0 or below (too few samples on a
loaded machine) counts as no interval. track_* (GFLOP/s, speedup; derived from the same timings) and
peakmem_* are not gated.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

GATED_PREFIXES = ("time_",)


@dataclass(frozen=True)
class Sample:
    """One benchmark result: value None = failed, NaN = skipped; ci = 99% interval (lo, hi) or None."""

    value: float | None
    ci: tuple[float, float] | None = None

    @property
    def ran(self) -> bool:
        return self.value is not None and not math.isnan(self.value)


@dataclass(frozen=True)
class Change:
    benchmark: str
    base: Sample
    head: Sample
    status: str  # "slower" | "broken" | "noise" | "faster" | "same"

    @property
    def ratio(self) -> float:
        return self.head.value / self.base.value if self.head.ran and self.base.ran and self.base.value else math.nan


def _gated(benchmark: str) -> bool:
    name = benchmark.split("(", 1)[0].rsplit(".", 1)[-1]
    return name.startswith(GATED_PREFIXES)


def classify(base: Sample, head: Sample, factor: float) -> str:
    """How head compares with base for a lower-is-better benchmark."""
    if not base.ran:
        return "same"  # nothing to compare with (skipped or failed in BASE)
    if head.value is None:
        return "broken"  # ran in BASE, fails in HEAD
    if not head.ran:
        return "same"  # skipped in HEAD (e.g. no GPU here)
    overlap = base.ci is not None and head.ci is not None and head.ci[0] <= base.ci[1] and base.ci[0] <= head.ci[1]
    if head.value > factor * base.value:
        return "noise" if overlap else "slower"
    if base.value > factor * head.value:
        return "noise" if overlap else "faster"
    return "same"


def compare(base: dict[str, Sample], head: dict[str, Sample], factor: float) -> list[Change]:
    """Changes of every gated benchmark present in both BASE and HEAD, worst ratio first."""
    if not factor > 1.0:
        raise ValueError(f"factor: expected a number > 1 (e.g. 1.5), got {factor!r}")
    changes = [Change(b, base[b], head[b], classify(base[b], head[b], factor))
               for b in sorted(base.keys() & head.keys()) if _gated(b)]
    return sorted(changes, key=lambda c: (c.status not in ("slower", "broken"), -c.ratio if c.ratio == c.ratio else 0))


def failures(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.status in ("slower", "broken")]


# ----------------------------------------------------------------------------- asv results on disk
def _ci(stats) -> tuple[float, float] | None:
    if not isinstance(stats, dict):
        return None
    lo, hi = stats.get("ci_99_a"), stats.get("ci_99_b")
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    if lo <= 0:  # few samples on a loaded machine: asv's interval reaches below zero and says nothing
        return None
    return (float(lo), float(hi))


def _value(v) -> float | None:
    return None if v is None else float(v)


def load(results_dir: Path, machine: str, commit: str) -> dict[str, Sample]:
    """{benchmark(params): Sample} of one commit's saved results (all environments; later files win)."""
    from asv.results import Results

    prefix = commit[:8]
    files = sorted((results_dir / machine).glob(f"{prefix}-*.json"), key=lambda p: p.stat().st_mtime)
    out: dict[str, Sample] = {}
    for path in files:
        r = Results.load(str(path))
        if not r.commit_hash.startswith(commit) and not commit.startswith(r.commit_hash):
            continue
        for key in r.get_all_result_keys():
            params = r.get_result_params(key)
            values, stats = r.get_result_value(key, params), r.get_result_stats(key, params)
            if not params:
                out[key] = Sample(_value(values[0] if isinstance(values, list) else values),
                                  _ci(stats[0] if isinstance(stats, list) else stats))
                continue
            stats = stats if isinstance(stats, list) else [None] * len(values)
            for combo, v, s in zip(itertools.product(*params), values, stats):
                out[f"{key}({', '.join(combo)})"] = Sample(_value(v), _ci(s))
    return out


def machines_with(results_dir: Path, *commits: str) -> list[str]:
    return sorted(d.name for d in results_dir.iterdir() if d.is_dir()
                  and all(any(d.glob(f"{c[:8]}-*.json")) for c in commits)) if results_dir.is_dir() else []


def _fmt(s: Sample) -> str:
    if s.value is None:
        return "failed"
    if math.isnan(s.value):
        return "n/a"
    return f"{s.value * 1e3:.3f} ms"


def report(changes: list[Change], factor: float, base: str, head: str) -> str:
    bad = failures(changes)
    lines = [f"asv gate: {len(changes)} time_* results compared, BASE {base[:12]} -> HEAD {head[:12]}, factor {factor}"]
    shown = [c for c in changes if c.status != "same"]
    if shown:
        lines.append(f"{'status':8} {'BASE':>14} {'HEAD':>14} {'ratio':>7}  benchmark")
        for c in shown:
            lines.append(f"{c.status:8} {_fmt(c.base):>14} {_fmt(c.head):>14} {c.ratio:7.2f}  {c.benchmark}")
    if bad:
        lines.append(f"FAILED: {len(bad)} benchmark(s) slower than {factor}x BASE or broken in HEAD")
    else:
        lines.append(f"OK: no time_* benchmark slower than {factor}x BASE")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="BASE commit hash (full or >= 8 chars)")
    p.add_argument("--head", required=True, help="HEAD commit hash")
    p.add_argument("--factor", type=float, default=1.5, help="slower by more than this fails (default 1.5)")
    p.add_argument("--results-dir", type=Path, default=None, help="default: results_dir of asv.conf.json")
    p.add_argument("--machine", default=None, help="default: the one machine with results for both commits")
    p.add_argument("--bench", default=None, help="only benchmarks matching this regex")
    args = p.parse_args(argv)
    if not args.factor > 1.0:
        p.error(f"--factor: expected a number > 1 (e.g. 1.5), got {args.factor}")
    results_dir = args.results_dir or _conf_results_dir()
    machines = [args.machine] if args.machine else machines_with(results_dir, args.base, args.head)
    if len(machines) != 1:
        print(f"asv gate: need results of both {args.base[:12]} and {args.head[:12]} on one machine under "
              f"{results_dir}; found {machines or 'none'} (run make bench-check without BENCH_REUSE, or pass "
              "--machine)", file=sys.stderr)
        return 2
    try:
        base, head = (load(results_dir, machines[0], c) for c in (args.base, args.head))
    except Exception as err:  # asv's UserError, bad JSON, missing keys: bad input, not a regression
        print(f"asv gate: cannot read the saved results under {results_dir / machines[0]}: {err}", file=sys.stderr)
        return 2
    if args.bench:
        base, head = ({k: v for k, v in d.items() if re.search(args.bench, k)} for d in (base, head))
    changes = compare(base, head, args.factor)
    if not changes:
        print(f"asv gate: no time_* benchmark has results for both commits on {machines[0]}", file=sys.stderr)
        return 2
    print(report(changes, args.factor, args.base, args.head))
    return 1 if failures(changes) else 0


def _conf_results_dir() -> Path:
    """results_dir from asv.conf.json next to this script's repository root (asv allows // comments)."""
    conf = Path(__file__).resolve().parents[1] / "asv.conf.json"
    text = re.sub(r"^\s*//.*$", "", conf.read_text(), flags=re.M)
    return conf.parent / json.loads(text).get("results_dir", "results")


if __name__ == "__main__":
    sys.exit(main())
