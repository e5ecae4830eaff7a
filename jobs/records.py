"""The bookkeeping of submitted jobs: ``results/<experiment>/<profile>/jobs.jsonl`` (one line per
submitted run: model, seed, executor, job id, submitit folder, overrides) and the states of those
jobs (from their result files or the scheduler), for ``status`` and ``collect``."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from suite import runs

JOBS_LOG = "jobs.jsonl"


def jobs_log(results_root, exp, profile) -> Path:
    return Path(results_root) / exp.results_key / profile / JOBS_LOG


def record_jobs(results_root, exp, profile, executor: str, submitted, folder=None) -> None:
    """Append one line per submitted ``(task, job)`` to the experiment's jobs.jsonl; ``folder``: where
    submitit keeps the job's logs."""
    from .runner import run_dir
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    runs.append_json_lines(jobs_log(results_root, exp, profile), [
        {"model": task.model, "seed": task.seed, "executor": executor, "job_id": str(job.job_id), "submitted": now,
         "run": run_dir(task).name, **({"data_root": task.data_root} if task.data_root else {}),
         **({"folder": str(folder)} if folder is not None else {}),
         **({"overrides": [list(o) for o in task.overrides]} if task.overrides else {})}
        for task, job in submitted])


def read_jobs(results_root, exp, profile) -> dict:
    """The latest record of each run directory (or (model, seed), for older lines) in jobs.jsonl."""
    path = jobs_log(results_root, exp, profile)
    jobs = {}
    for j in _log_lines(path):
        try:
            run = j.get("run", "")
            if not (isinstance(run, str) and isinstance(j.get("folder", ""), str)) or "/" in run or \
                    run.startswith("."):
                continue
            j = {**j, "model": j["model"], "seed": j["seed"], "executor": j["executor"], "job_id": j["job_id"],
                 "run_dir": str(path.parent / run) if run else None}  # a log names runs beside it only
            jobs[j["run_dir"] or (j["model"], j["seed"])] = j
        except (KeyError, TypeError, AttributeError):
            continue  # a line of another shape (an older version's, or damaged): not a record
    return jobs


def _log_lines(path: Path):
    """The JSON objects of a log, read so that it cannot hang (a regular file only, capped; see
    suite.runs.read_regular); a line that is not UTF-8 JSON is skipped with a warning naming the file and line
    (a torn last line of a log is not worth failing status over)."""
    import sys
    try:
        data = runs.read_regular(path)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        print(f"warning: {path}: not read ({e})", file=sys.stderr)
        return
    for i, line in enumerate(data.splitlines(), 1):
        try:
            yield json.loads(line.decode())
        except (UnicodeDecodeError, ValueError) as e:
            print(f"warning: {path} line {i}: skipped, not a JSON line ({type(e).__name__}: {e})", file=sys.stderr)


def job_handle(record: dict):
    """The submitit job of a ``jobs.jsonl`` record (see record_jobs), or None (in-process)."""
    import submitit
    cls = {"slurm": submitit.SlurmJob, "local": submitit.LocalJob}.get(record.get("executor"))
    if cls is None or "folder" not in record:
        return None
    return cls(folder=record["folder"], job_id=str(record["job_id"]))


ENDED_WITHOUT_RESULT = ("FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
                        "DEADLINE", "STOPPED")


def ended_without_result(state: str) -> bool:
    """A final state of a job that wrote no result (SLURM's, e.g. "CANCELLED by 0", or a dead local one)."""
    return bool(state) and state.split()[0] in ENDED_WITHOUT_RESULT


_last_refresh = float("-inf")


def refresh_states(min_interval_s: float = 5.0) -> None:
    """One sacct call for every SLURM job asked about so far, at most every ``min_interval_s``:
    submitit alone spaces its calls out to up to 10 minutes, so a cancelled or killed job (which
    writes no result file) would look running that long."""
    global _last_refresh
    import submitit
    if time.monotonic() - _last_refresh >= min_interval_s:
        submitit.SlurmJob.watcher.update()
        _last_refresh = time.monotonic()


def refresh_jobs(recs) -> None:
    """Bring the scheduler states of these records up to date with one sacct call."""
    if any(rec.get("executor") == "slurm" for rec in recs):
        for rec in recs:
            job_handle(rec)  # registers the job with submitit's watcher
        refresh_states(min_interval_s=0)


def job_state(record: dict, *, tail: int = 15) -> tuple[str, str | None]:
    """(state, error) of a recorded job: the scheduler's state (sacct for SLURM; for a local job,
    whether its process lives and, once it ended, whether its run finished); for a job that ended
    without a finished run, the reason its run directory records or the last ``tail`` lines of its
    stderr log. Nothing of the job's folder is unpickled."""
    job = job_handle(record)
    if job is None:
        return "", None
    status = runs.classify(record["run_dir"]) if record.get("run_dir") else None
    finished = status is not None and status.state == runs.FINISHED
    if record["executor"] == "local" and not _alive(job) or job.paths.result_pickle.exists():
        state = "COMPLETED" if finished else "FAILED"  # the job ended (its result file is not read)
    else:
        state = "RUNNING" if record["executor"] == "local" else job.state  # sacct, which can lag
    if not ended_without_result(state):
        return state, None
    reason = status.reason if status is not None and status.state == runs.FAILED else None
    return state, log_tail(job.paths.stderr, tail) or reason


def _alive(job) -> bool:
    """A local job (submitit.LocalExecutor) is a process whose id is the job id."""
    try:
        os.kill(int(job.job_id), 0)
        return True
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True


def log_tail(path: Path, n: int = 15) -> str | None:
    """The last ``n`` lines of a text log, or None if there is none."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").rstrip().splitlines()[-n:]) or None
    except OSError:
        return None


def _trained_elsewhere(record: dict) -> bool:
    """A recorded job with no submitit handle (pool, inprocess) whose run a live process trains (holds its lock)."""
    return bool(record.get("run_dir")) and runs.lock_holder(Path(record["run_dir"]))[0]


def wait_for_jobs(exp, profile, results_root, timeout_s: float | None = None, poll_s: float = 5.0) -> list[str]:
    """Wait until every recorded submitit job of the experiment has ended (a requeued job is not
    ended), and every recorded run that another process (a pool) is training; meanwhile print to stderr,
    whenever it changes, each pending run's epochs and ETA (jobs.progress). Returns a line per job that
    ended without a result."""
    import sys

    from .progress import waiting_lines
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pending = {key: rec for key, rec in read_jobs(results_root, exp, profile).items()
               if job_handle(rec) is not None or _trained_elsewhere(rec)}
    bad, shown = [], None
    while pending:
        refresh_states()
        for key, rec in list(pending.items()):
            if job_handle(rec) is None:
                if not _trained_elsewhere(rec):
                    del pending[key]
                continue
            state, error = job_state(rec, tail=3)
            pending[key] = {**rec, "state": state}
            if state == "COMPLETED" or ended_without_result(state):
                del pending[key]
                if state != "COMPLETED":
                    bad.append(f"{rec['model']} seed {rec['seed']}: job {rec['job_id']} {state}"
                               + (f": {error}" if error else ""))
        if pending:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"collect: {len(pending)} job(s) still running after {timeout_s} s: "
                                   + ", ".join(str(r["job_id"]) for r in pending.values()))
            lines = [f"collect: waiting for {len(pending)} job(s) of {exp.name} [{profile}]:", *waiting_lines(pending)]
            if lines != shown:
                print("\n".join(lines), file=sys.stderr, flush=True)
                shown = lines
            time.sleep(poll_s)
    return bad
