"""Run storage: the run directories under ``results/``, how training writes them and how tables read them back.

One directory per run, ``<results root>/<experiment>/<profile>/<model>_s<seed>_<config hash>/`` (see
:mod:`.layout`). A run is *finished* only when it verifies (:mod:`.verify`); :func:`classify` is the one
reading of a run directory that ``jobs run``, ``jobs status`` and the tables share (:mod:`.classify`);
:func:`select_runs` picks the runs of one configuration (:mod:`.select`); :func:`runs_frame` and
:func:`metrics_frame` give them as pandas DataFrames (:mod:`.frames`, imported on first use).

Modules, bottom up: ``layout`` (paths, file names, the config hash), ``errors``, ``identity``, ``read``,
``environment`` (env.json), ``verify``, ``write``, ``lock``, ``classify``, ``select``, ``frames``,
``trainlog`` (the live epoch log), ``reference`` (the reference results shipped in reference/, verified by the
digests of their manifest; imported as ``suite.runs.reference``). Atomic writes, the file lock and the machine
fingerprint are :mod:`suite.host`'s. Nothing here ever unpickles: JSON is parsed, checkpoints are only hashed.
"""
from __future__ import annotations

from ..host import append_json_lines, atomic_write_bytes, atomic_write_json
from .classify import BAD, FAILED, FINISHED, NOT_STARTED, RUNNING, UNFINISHED, RunStatus, classify, set_aside
from .environment import PACKAGES, environment, git_commit, project_version
from .errors import BadRun, Diverged, RunLocked, UnfinishedRun
from .identity import (
    IDENTITY_EXCLUDED,
    describe_identity,
    find_run_dir,
    format_overrides,
    identity_key,
    legacy_hash,
    name_matches,
    run_dir_for,
    run_name,
    same_run,
)
from .layout import (
    CHECKPOINT,
    CONFIG,
    DEFAULT_RESULTS,
    DIGESTED,
    ENV,
    FAILURE,
    METRIC_KEYS,
    METRICS,
    RESULTS_ENV,
    RESULTS_HELP,
    SCHEMA,
    SUMMARY,
    SUMMARY_KEYS,
    TEST,
    config_hash,
    lock_path,
    results_root,
    run_dirs,
    run_id,
)
from .lock import HEARTBEAT_S, lock_holder, lock_run
from .read import MAX_FILE_BYTES, check_schema, metrics_so_far, read_json, read_metrics, read_regular
from .select import (
    SELECTED_IDENTITY,
    PerModel,
    Selection,
    finished_groups,
    identity_on_any_data,
    scan,
    select_runs,
    selecting,
)
from .verify import Run, file_digest, is_finished, read_run, verify
from .write import check_config, finish_run, make_summary, record_failure, start_run, write_metrics


def runs_frame(results_root, experiment: str | None = None, profile: str | None = None):
    """One row per run (identity, status, summary, flattened config and env): see :mod:`suite.runs.frames`."""
    from .frames import runs_frame as frame  # pandas, only for those who ask
    return frame(results_root, experiment, profile)


def metrics_frame(results_root, experiment: str | None = None, profile: str | None = None):
    """One row per logged epoch per run (identity, status, metrics.jsonl keys): see :mod:`suite.runs.frames`."""
    from .frames import metrics_frame as frame
    return frame(results_root, experiment, profile)


__all__ = [
    "BAD", "CHECKPOINT", "CONFIG", "DEFAULT_RESULTS", "DIGESTED", "ENV", "FAILED", "FAILURE", "FINISHED",
    "HEARTBEAT_S", "IDENTITY_EXCLUDED", "METRICS", "METRIC_KEYS", "NOT_STARTED", "PACKAGES", "RESULTS_ENV",
    "RESULTS_HELP", "RUNNING", "SCHEMA", "SELECTED_IDENTITY", "SUMMARY", "SUMMARY_KEYS", "TEST", "UNFINISHED",
    "BadRun", "Diverged", "PerModel", "Run", "RunLocked", "RunStatus", "Selection", "UnfinishedRun",
    "append_json_lines", "atomic_write_bytes", "atomic_write_json", "check_config", "check_schema", "classify",
    "config_hash", "describe_identity", "environment", "file_digest", "finish_run", "finished_groups",
    "format_overrides", "git_commit", "identity_key", "identity_on_any_data", "is_finished", "lock_holder",
    "lock_path", "lock_run", "make_summary", "metrics_frame", "metrics_so_far", "project_version", "read_json",
    "read_metrics", "read_run", "record_failure", "results_root", "run_dir_for", "run_dirs", "run_id",
    "find_run_dir", "legacy_hash", "name_matches", "run_name", "same_run", "read_regular", "MAX_FILE_BYTES",
    "runs_frame", "scan", "select_runs", "selecting", "set_aside", "start_run", "verify", "write_metrics",
]
