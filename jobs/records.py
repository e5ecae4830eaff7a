"""The bookkeeping of submitted jobs: ``results/<experiment>/<profile>/jobs.jsonl`` (one line per
submitted run: model, seed, executor, job id, submitit folder, overrides) and the states of those
jobs (from their result files or the scheduler), for ``status`` and ``collect``."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from suite import results

JOBS_LOG = "jobs.jsonl"


def jobs_log(results_root, exp, profile) -> Path:
    return Path(results_root) / exp.results_key / profile / JOBS_LOG


def record_jobs(results_root, exp, profile, executor: str, submitted, folder=None) -> None:
    """Append one line per submitted ``(task, job)`` to the experiment's jobs.jsonl; ``folder``: where
    submitit keeps the job's logs and pickles."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results.append_json_lines(jobs_log(results_root, exp, profile), [
        {"model": task.model, "seed": task.seed, "executor": executor, "job_id": str(job.job_id), "submitted": now,
         **({"folder": str(folder)} if folder is not None else {}),
         **({"overrides": [list(o) for o in task.overrides]} if task.overrides else {})}
        for task, job in submitted])


def read_jobs(results_root, exp, profile) -> dict:
    """The latest record of each (model, seed) in the experiment's jobs.jsonl."""
    path = jobs_log(results_root, exp, profile)
    jobs = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                j = json.loads(line)
                jobs[(j["model"], j["seed"])] = j
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a torn last line of a log is not worth failing status over
    return jobs


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


def job_state(record: dict, *, tail: int = 15) -> tuple[str, str | None]:
    """(state, error) of a recorded job: COMPLETED / FAILED from its result file, else the scheduler's
    state (sacct for SLURM); for a failed job, the last ``tail`` lines of its traceback (or of its
    stderr if it died without writing one, e.g. killed or out of memory)."""
    from submitit.core.utils import pickle_load
    job = job_handle(record)
    if job is None:
        return "", None
    if job.paths.result_pickle.exists():
        try:
            outcome, value = pickle_load(job.paths.result_pickle)
        except Exception as e:  # a result file that cannot be read is itself worth showing
            outcome, value = "error", f"unreadable result file {job.paths.result_pickle}: {e}"
        return ("COMPLETED", None) if outcome == "success" else ("FAILED", _tail(value, tail))
    state = _local_state(job) if record["executor"] == "local" else job.state
    if ended_without_result(state):
        err = job.paths.stderr
        return state, (_tail(err.read_text(errors="replace"), tail) if err.is_file() else None)
    return state, None


def _local_state(job) -> str:
    """A local job (submitit.LocalExecutor) is a process whose id is the job id."""
    try:
        os.kill(int(job.job_id), 0)
        return "RUNNING"
    except (ProcessLookupError, ValueError):
        return "STOPPED (no result)"
    except PermissionError:
        return "RUNNING"


def _tail(text: str, n: int) -> str:
    return "\n".join(str(text).rstrip().splitlines()[-n:])


def wait_for_jobs(exp, profile, results_root, timeout_s: float | None = None, poll_s: float = 5.0) -> list[str]:
    """Wait until every recorded submitit job of the experiment has ended (a requeued job is not
    ended); returns a line per job that ended without a result."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pending = {key: rec for key, rec in read_jobs(results_root, exp, profile).items()
               if job_handle(rec) is not None}
    bad = []
    while pending:
        refresh_states()
        for key, rec in list(pending.items()):
            state, error = job_state(rec, tail=3)
            if state == "COMPLETED" or ended_without_result(state):
                del pending[key]
                if state != "COMPLETED":
                    bad.append(f"{key[0]} seed {key[1]}: job {rec['job_id']} {state}" + (f": {error}" if error else ""))
        if pending:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"collect: {len(pending)} job(s) still running after {timeout_s} s: "
                                   + ", ".join(str(r["job_id"]) for r in pending.values()))
            print(f"collect: waiting for {len(pending)} job(s) of {exp.name} [{profile}]...", flush=True)
            time.sleep(poll_s)
    return bad
