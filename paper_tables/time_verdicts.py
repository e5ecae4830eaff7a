"""Time verdicts: an efficiency claim judged in seconds on a device, from the model timings of
`python -m suite.bench models` (a JSON per device).

An efficiency claim (`Efficiency`) says that the cost of model ``num`` over that of ``den`` (times ``scale``)
is ``≈ paper ± tol``, or ``< paper`` / ``> paper``; the counts test it in multiplications, this module in
seconds. Per bench JSON (one device, one run), per part (the whole model; FCNN's substituted stage layers
where the claim counts those), task (inference, training step) and batch:

- each model's time is that of its fastest form on the device (the lowest geometric mean of the form's
  samples; the forms: layouts, precisions, backends, torch.compile, see `suite.bench.model_forms`);
- the time ratio is the ratio of the two geometric means; its 95 % interval is Welch's t-interval of the
  difference of the mean log times (`stats.welch` on the log samples), exponentiated: a log-t interval. It
  says how precisely the run measured the ratio on that device, not how the ratio varies between runs,
  machines or software versions; the choice of the fastest form is not part of it;
- the verdict uses the counts' tolerance rule on the interval: "≈": holds if the whole interval lies within
  paper ± tol, contradicted if none of it does, else inconclusive; "<" / ">": holds if the whole interval is
  beyond the bound, contradicted if none of it is, else inconclusive.

The headline of a claim on a device is inference at the largest batch both models ran (throughput, the
papers' "per image" count); `verdicts` lists every part, task and batch. A model missing from a JSON (or with
no successful form) gives "not measured"; a malformed JSON raises `BenchError` with one line naming the file.
"""
from __future__ import annotations

import json
import math
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import stats

FORMAT = "suite.bench.models/1"  # = suite.bench.model_timing.FORMAT (not imported: no torch here)
NOT_MEASURED = "not measured"
PARTS = {"model": "whole model", "stages": "stage layers"}


class BenchError(ValueError):
    """A bench JSON that cannot be read: one line naming the file and what was expected."""


@dataclass(frozen=True)
class Efficiency:
    """cost(``num``) / cost(``den``) × ``scale`` ``relation`` ``paper`` (± ``tol`` for "≈"); ``stages``: the
    claim counts FCNN's substituted stage layers, so they are timed as well as the whole model."""

    num: str
    den: str
    relation: str
    paper: float
    tol: float = 0.0
    scale: float = 1.0
    stages: bool = False
    what: str = ""

    def describe(self) -> str:
        scale = "" if self.scale == 1 else f"{self.scale:g} × "
        ratio = f"{scale}time({self.num}) / time({self.den})"
        return f"{ratio} ≈ {self.paper:g} ± {self.tol:g}" if self.relation == "≈" else \
            f"{ratio} {self.relation} {self.paper:g}"


@dataclass(frozen=True)
class Bench:
    path: str
    device: dict
    commit: dict
    host: str
    records: list
    layers: list

    @property
    def kind(self) -> str:
        return self.device.get("kind", "?")

    @property
    def name(self) -> str:
        d = self.device
        return str(d.get("gpu") or d.get("cpu") or "?")

    def label(self, head: str | None = None) -> str:
        """Device, host and commit; "another commit" when it is not `head` (the checkout's), "another machine"
        when the host is not this one."""
        sha = str(self.commit.get("sha", "?"))
        others = [what for what, differs in (("another machine", self.host != platform.node()),
                                             ("another commit", head is not None and sha != head)) if differs]
        cores = f", {self.device['cores']} cores" if self.kind == "cpu" and "cores" in self.device else ""
        dirty = " + local changes" if self.commit.get("dirty") else ""
        return (f"{self.kind}: {self.name}{cores} on {self.host}, commit {sha[:10]}{dirty}"
                + (f" ({', '.join(others)})" if others else ""))


@dataclass(frozen=True)
class TimeVerdict:
    device: str
    part: str
    task: str
    batch: int | None
    verdict: str
    ratio: float | None = None
    lo: float | None = None
    hi: float | None = None
    forms: dict = field(default_factory=dict)  # model -> the form that won
    detail: str = ""

    def cell(self) -> str:
        """One line: where, the ratio with its interval, the verdict, the winning forms."""
        where = f"{self.device} — {self.task}, N={self.batch}" if self.batch else self.device
        if self.ratio is None:
            return f"{where}: {self.verdict} ({self.detail})" if self.detail else f"{where}: {self.verdict}"
        forms = "; ".join(f"{m}: {f}" for m, f in self.forms.items())
        interval = "no interval" if self.lo is None else f"[{self.lo:.3g}, {self.hi:.3g}]"
        detail = f"; {self.detail}" if self.detail else ""
        return (f"{where}: {self.ratio:.3g}× {interval} → {self.verdict} "
                f"({PARTS.get(self.part, self.part)}; fastest forms {forms}{detail})")


# ------------------------------------------------------------------------------------------- reading
def head_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def load_bench(path) -> Bench:
    """A model-timings JSON, checked; `BenchError` (one line naming the file) when it is not one."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BenchError(f"{path}: not a readable JSON file ({type(err).__name__}: "
                         f"{(str(err).splitlines() or [''])[0]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise BenchError(f"{path}: expected a model-timings JSON (format {FORMAT!r}, written by "
                         f"`python -m suite.bench models --json`), got format {got!r}")
    for key, kind in (("device", dict), ("commit", dict), ("records", list)):
        if not isinstance(data.get(key), kind):
            raise BenchError(f"{path}: expected {key!r} to be a {kind.__name__} in a {FORMAT} JSON")
    need = ("model", "part", "task", "batch", "form")
    for i, r in enumerate(data["records"]):
        if not isinstance(r, dict) or any(k not in r for k in need):
            raise BenchError(f"{path}: record {i} lacks one of {', '.join(need)}")
        if "samples_ms" in r and (not isinstance(r["samples_ms"], list) or not r["samples_ms"]
                                  or not all(isinstance(v, (int, float)) and v > 0 for v in r["samples_ms"])):
            raise BenchError(f"{path}: record {i} ({r['model']}): samples_ms must be a non-empty list of positive "
                             "milliseconds")
    return Bench(str(path), data["device"], data["commit"], str(data.get("host", "unknown host")),
                 data["records"], data.get("layers") or [])


def load_benches(paths) -> list[Bench]:
    return [load_bench(p) for p in paths]


# ------------------------------------------------------------------------------------------ judging
def fastest(bench: Bench, model: str, part: str, task: str, batch: int) -> dict | None:
    """The record of `model`'s fastest form (lowest geometric mean) there, or None."""
    rows = [r for r in bench.records if (r["model"], r["part"], r["task"], r["batch"]) == (model, part, task, batch)
            and r.get("samples_ms")]
    return min(rows, key=lambda r: _geomean(r["samples_ms"]), default=None)


def _geomean(samples) -> float:
    return math.exp(sum(math.log(s) for s in samples) / len(samples))


def ratio_interval(num: list[float], den: list[float], scale: float = 1.0) -> tuple[float, float | None, float | None]:
    """scale × geomean(num) / geomean(den) and its 95 % log-t (Welch) interval (None below 2 samples each)."""
    d = stats.welch([math.log(v) for v in num], [math.log(v) for v in den])
    ratio = scale * math.exp(d.effect)
    if d.lo is None:
        return ratio, None, None
    return ratio, scale * math.exp(d.lo), scale * math.exp(d.hi)


def decide(relation: str, paper: float, tol: float, lo: float | None, hi: float | None) -> str:
    """The counts' tolerance rule applied to an interval (see the module docstring)."""
    if lo is None:
        return stats.INCONCLUSIVE
    if relation == "≈":
        inside, outside = paper - tol <= lo and hi <= paper + tol, hi < paper - tol or lo > paper + tol
    elif relation == "<":
        inside, outside = hi < paper, lo >= paper
    elif relation == ">":
        inside, outside = lo > paper, hi <= paper
    else:
        raise ValueError(f"relation: expected '≈', '<' or '>', got {relation!r}")
    return stats.HOLDS if inside else stats.CONTRADICTED if outside else stats.INCONCLUSIVE


def settings(bench: Bench, eff: Efficiency) -> list[tuple[str, str, int]]:
    """(part, task, batch) that both models of `eff` ran in `bench`, inference first, larger batches first."""
    parts = ("model", "stages") if eff.stages else ("model",)
    have = {m: {(r["part"], r["task"], r["batch"]) for r in bench.records if r["model"] == m and r.get("samples_ms")}
            for m in (eff.num, eff.den)}
    both = {s for s in have[eff.num] & have[eff.den] if s[0] in parts}
    return sorted(both, key=lambda s: (parts.index(s[0]), s[1] != "inference", -s[2]))


def verdicts(eff: Efficiency, bench: Bench, head: str | None = None) -> list[TimeVerdict]:
    """Every part, task and batch of `eff` measured in `bench`; one "not measured" verdict if none."""
    label = bench.label(head)
    found = settings(bench, eff)
    if not found:
        missing = [m for m in (eff.num, eff.den) if not any(r["model"] == m and r.get("samples_ms")
                                                            for r in bench.records)]
        why = f"{' and '.join(missing)} not in {Path(bench.path).name}" if missing else \
            f"no part, task and batch that both {eff.num} and {eff.den} ran"
        return [TimeVerdict(label, "model", "", None, NOT_MEASURED, detail=why)]
    out = []
    for part, task, batch in found:
        a, b = fastest(bench, eff.num, part, task, batch), fastest(bench, eff.den, part, task, batch)
        ratio, lo, hi = ratio_interval(a["samples_ms"], b["samples_ms"], eff.scale)
        verdict = decide(eff.relation, eff.paper, eff.tol, lo, hi)
        out.append(TimeVerdict(label, part, task, batch, verdict, ratio, lo, hi,
                               {eff.num: a["form"], eff.den: b["form"]}))
    return out


def headline(found: list[TimeVerdict]) -> list[TimeVerdict]:
    """Per part: inference at the largest batch (else the first setting), the ledger's cell."""
    out, seen = [], set()
    for v in found:
        if v.part not in seen:
            seen.add(v.part)
            out.append(v)
    return out


def figure5_verdicts(bench: Bench, head: str | None = None) -> list[TimeVerdict]:
    """HO-CP Figure 5 in seconds: CP-HOConv-r / 3D-Conv < 1 at every measured channel pair; per rank, the
    pair with the largest ratio decides (holds if every pair holds, contradicted if any pair is)."""
    label = bench.label(head)
    rows = [r for r in bench.layers if r.get("samples_ms")]
    best: dict[tuple, dict] = {}
    for r in rows:
        key = (r["layer"], r["in_channels"], r["out_channels"])
        if key not in best or _geomean(r["samples_ms"]) < _geomean(best[key]["samples_ms"]):
            best[key] = r
    ranks = sorted({k[0] for k in best if k[0] != "3D-Conv"})
    out = []
    for layer in ranks:
        pairs = [(k[1], k[2]) for k in best if k[0] == layer and ("3D-Conv", k[1], k[2]) in best]
        judged = []
        for cin, cout in pairs:
            a, b = best[layer, cin, cout], best["3D-Conv", cin, cout]
            ratio, lo, hi = ratio_interval(a["samples_ms"], b["samples_ms"])
            judged.append((decide("<", 1.0, 0.0, lo, hi), ratio, lo, hi, cin, cout, a["form"], b["form"]))
        if not judged:
            continue
        verdicts_ = [j[0] for j in judged]
        verdict = stats.CONTRADICTED if stats.CONTRADICTED in verdicts_ else \
            stats.HOLDS if all(v == stats.HOLDS for v in verdicts_) else stats.INCONCLUSIVE
        worst = max(judged, key=lambda j: j[1])
        out.append(TimeVerdict(label, "layer", "inference", 1, verdict, worst[1], worst[2], worst[3],
                               {layer: worst[6], "3D-Conv": worst[7]},
                               f"{layer} over {len(judged)} channel pairs; largest ratio at {worst[4]}×{worst[5]}"))
    if not out:
        return [TimeVerdict(label, "layer", "", None, NOT_MEASURED,
                            detail=f"no Figure 5 layers in {Path(bench.path).name}")]
    return out
