"""``python -m jobs reference refresh`` (``make reference``): rebuild the reference results shipped in
``reference/`` (see :mod:`suite.runs.reference` and docs/reference.md).

Without ``--from``, every experiment's local profile is trained, one experiment after the other, into a fresh
work directory (``python -m jobs run EXPERIMENT --profile local``, the pool executor: one single-threaded run
per core), so that the reference is one run of this commit on this machine; with ``--from RESULTS``, the
finished runs of each local profile's own setting are taken from that results root instead. Of each run only
its summary, metrics, config and environment records are copied (never its checkpoint); the manifest (commit,
machine, load average before, date, this command, every file's SHA-256) is written last. Progress on stderr.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from suite import experiments, host, runs
from suite.runs import reference

from . import runner

PROFILE = "local"  # the reference is the profile every machine can run
TIMES = "reference-times.json"  # in a work directory: each trained experiment's wall time and load before


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def owners(names) -> list[str]:
    """The experiments that own runs among ``names`` (Figure 2 plots Table 7's runs: Table 7 is trained)."""
    return list(dict.fromkeys(experiments.get(n).results_key for n in names))


def train(experiment: str, work: Path) -> dict:
    """Train ``experiment``'s local profile into ``work`` (``python -m jobs run``); its wall time and load."""
    load = list(os.getloadavg())
    cmd = [sys.executable, "-m", "jobs", "run", experiment, "--profile", PROFILE, "--results", str(work),
           "--no-progress"]
    _log(f"reference: {experiment}: {shlex.join(cmd[1:])} (load average before {load[0]:.2f})")
    start = time.monotonic()
    rc = subprocess.run(cmd, check=False).returncode  # its progress lines go straight to stderr
    wall = round(time.monotonic() - start, 1)
    if rc != 0:
        raise RuntimeError(f"{experiment}: `python -m jobs run` exited {rc} after {wall} s; the reference is "
                           f"unchanged (resume with --from {work})")
    _log(f"reference: {experiment}: trained in {wall} s")
    info = {"wall_seconds": wall, "load_before": load}
    _record_time(work, experiment, info)
    return info


def _record_time(work: Path, experiment: str, info: dict) -> None:
    """Keep each experiment's wall time and load in ``work`` so that ``--from work`` (a resumed or piecewise
    refresh) still records them; written atomically, never half-written."""
    times = _read_times(work)
    times[experiment] = info
    host.atomic_write_json(Path(work) / TIMES, times)


def _read_times(work) -> dict:
    path = Path(work) / TIMES
    if not path.is_file():
        return {}
    try:
        times = runs.read_json(path)
    except ValueError as e:
        raise ValueError(f"{e}; delete {path} to refresh without the recorded wall times") from None
    if not isinstance(times, dict):
        raise ValueError(f"{path}: expected an object of experiment -> {{wall_seconds, load_before}}")
    return times


def chosen_runs(experiment: str, root) -> list[Path]:
    """The finished runs of ``experiment``'s local setting (no overrides) under ``root``; ValueError if none."""
    exp = experiments.get(experiment)
    identity = runner.identity_for(exp, PROFILE)
    groups, _ = runs.finished_groups(root, exp.results_key, PROFILE)
    chosen = groups.get(identity, [])
    if not chosen:
        raise ValueError(f"{experiment}: no finished run of the {PROFILE} profile's own setting under {root} "
                         f"(train it with `python -m jobs run {experiment}`, or leave out --from)")
    done = {(r.config["model"], r.config["seed"]) for r in chosen}
    wanted = {(m, s) for m in exp.models for s in exp.setting(PROFILE).seeds}
    if missing := sorted(wanted - done):
        shown = ", ".join(f"{m} seed {s}" for m, s in missing[:6]) + (", ..." if len(missing) > 6 else "")
        _log(f"reference: {experiment}: warning: {len(missing)} run(s) of the setting not finished, left out: {shown}")
    return [r.path for r in chosen]


def refresh(names=None, *, source=None, work=None, reference_dir=None, command: str = "") -> reference.Reference:
    """Rebuild the reference of ``names`` (default: every experiment) from ``source`` (a results root) or from
    fresh runs in ``work``; experiments not named keep no runs (a reference is one run of one commit)."""
    todo = owners(names or experiments.names())
    machine = reference.machine()
    info = {}
    if source is None:
        work = Path(work or tempfile.mkdtemp(prefix="reference-runs-"))
        _log(f"reference: training {', '.join(todo)} into {work} (load average before {machine['load_before']})")
        info = train_only(todo, work)
        source = work
    else:
        times = _read_times(source)
        info = {name: dict(times[name]) for name in todo if name in times}
    chosen = {name: chosen_runs(name, source) for name in todo}
    commits = sorted({runs.read_json(Path(d) / runs.SUMMARY)["git_commit"] for ds in chosen.values() for d in ds})
    head = runs.git_commit() or "unknown"
    if commits != [head]:
        _log(f"reference: warning: the runs were made at commit(s) {', '.join(c[:12] for c in commits)}, "
             f"HEAD is {head[:12]}; the manifest records both")
    for name in todo:
        info.setdefault(name, {})["run_commits"] = sorted(
            {runs.read_json(Path(d) / runs.SUMMARY)["git_commit"] for d in chosen[name]})
    return reference.write(reference.reference_root(reference_dir), chosen, commit=head, command=command,
                           machine_info=machine, experiments_info=info, log=_log)


def train_only(names, work) -> dict:
    """Train ``names`` (default: every experiment) into ``work`` without touching the reference: a piecewise
    refresh, one experiment at a time on an idle machine, finished by ``refresh --from work``."""
    return {name: train(name, Path(work)) for name in owners(names or experiments.names())}


def cmd_reference(args) -> int:
    names = None if not args.experiments else [n.strip() for n in args.experiments.split(",") if n.strip()]
    for n in names or ():
        experiments.get(n)  # one clear error for an unknown name
    if args.action == "train":
        if not args.work or args.source:
            print("error: reference train: needs --work DIR (the results root to train into) and no --from",
                  file=sys.stderr)
            return 2
        try:
            train_only(names, args.work)
        except RuntimeError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"trained into {args.work}; assemble with `python -m jobs reference refresh --from {args.work}`")
        return 0
    command = "python -m jobs reference refresh" + "".join(
        f" {opt} {shlex.quote(str(v))}" for opt, v in (("--experiments", args.experiments), ("--from", args.source))
        if v)
    try:
        ref = refresh(names, source=args.source, work=args.work, reference_dir=args.reference, command=command)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{ref.describe()}: {len(ref.runs)} runs in {ref.root}")
    return 0
