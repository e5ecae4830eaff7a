"""Reference results shipped with the repository: one idle local-profile run of every experiment, so that a
fresh clone has something to compare a reproduction with (``make tables``' "reference run" column,
``jobs collect``'s user-vs-reference verdicts). See docs/reference.md.

Layout: ``reference/`` is a results root (``<experiment>/<profile>/<run>/``, :mod:`.layout`) holding of each
run only what the tables read (:data:`COPIED`: summary, metrics, config, environment, the test split's
metrics) and never its checkpoint, plus ``manifest.json``, written last: the commit, the machine (CPU model,
cores, load average before), the date, the command, and the SHA-256 of every file. Reading checks every
digest (a changed file is one :class:`BadReference` naming it) and then verifies each run as any run is
verified (:func:`.verify.verify`, its checkpoint allowed absent). Without ``manifest.json`` there is no
reference (a fresh tree, or one being refreshed): nothing half-written is ever read.

Writing (:func:`write`) builds the whole new tree beside the old one, manifest last, then swaps the two.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .. import host
from .identity import identity_key
from .layout import CHECKPOINT, CONFIG, ENV, METRICS, REPO, SUMMARY, TEST, run_dirs
from .read import read_json
from .verify import Run, file_digest, verify

REFERENCE_DIR = REPO / "reference"
REFERENCE_ENV = "SUITE_REFERENCE"  # another reference root (the tests' own)
MANIFEST = "manifest.json"
MANIFEST_SCHEMA = 1
COPIED = (SUMMARY, METRICS, CONFIG, ENV, TEST)  # what a reference keeps of a run (never checkpoint.pt)
REQUIRED = COPIED[:4]  # every run has these (test.json only a run that reports its test split)
MANIFEST_KEYS = ("schema", "commit", "created_at", "command", "machine", "experiments", "files")
REFRESH = "make reference"
README = "README.md"  # reference/'s own description, kept by a refresh (not a run's file: not in the manifest)


class BadReference(ValueError):
    """The shipped reference cannot be read as written: ``path`` names the file, the message says why."""

    def __init__(self, path, reason: str):
        super().__init__(f"reference {path}: {reason} (restore it with `git checkout -- reference/` or rebuild "
                         f"it with `{REFRESH}`)")
        self.path = Path(path)


def reference_root(root=None) -> Path:
    """``root`` if given, else ``$SUITE_REFERENCE`` if set, else ``reference/`` of this checkout."""
    if root is not None and str(root):
        return Path(root)
    env = os.environ.get(REFERENCE_ENV, "").strip()
    return Path(env).expanduser() if env else REFERENCE_DIR


@dataclass(frozen=True)
class Reference:
    """A verified reference: its root, manifest and runs."""
    root: Path
    manifest: dict
    runs: tuple[Run, ...]

    def of(self, experiment: str, profile: str) -> list[Run]:
        """The reference runs of ``experiment`` (its results key) under ``profile``."""
        return [r for r in self.runs if (r.config.get("experiment"), r.config.get("profile")) == (experiment, profile)]

    def describe(self) -> str:
        """One line: commit, machine and date of the reference run."""
        m, machine = self.manifest, self.manifest["machine"]
        load = machine.get("load_before")
        return (f"reference runs of commit {m['commit'][:12]} on {machine.get('cpu')} ({machine.get('cores')} "
                f"cores{f', load average {load[0]:.2f} before' if load else ''}), {m['created_at']}")


def _check_manifest(path: Path) -> dict:
    try:
        manifest = read_json(path)
    except (ValueError, OSError) as e:
        raise BadReference(path, str(e)) from None
    if not isinstance(manifest, dict) or any(k not in manifest for k in MANIFEST_KEYS):
        raise BadReference(path, f"expected a JSON object with the keys {', '.join(MANIFEST_KEYS)}")
    if manifest["schema"] != MANIFEST_SCHEMA:
        raise BadReference(path, f"schema {manifest['schema']!r}, expected {MANIFEST_SCHEMA}")
    if not isinstance(manifest["files"], dict) or not isinstance(manifest["machine"], dict):
        raise BadReference(path, "'files' and 'machine' must be JSON objects")
    if not all(isinstance(manifest[k], str) for k in ("commit", "created_at", "command")):
        raise BadReference(path, "'commit', 'created_at' and 'command' must be strings")
    return manifest


def _check_files(root: Path, files: dict) -> None:
    """Every file the manifest lists is there, a plain file, with its digest; no run directory besides."""
    for rel, digest in sorted(files.items()):
        path = root / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts or Path(rel).name not in COPIED:
            raise BadReference(root / MANIFEST, f"lists {rel!r}, not a reference run's file ({', '.join(COPIED)})")
        try:
            ok = file_digest(path) == digest
        except (OSError, ValueError) as e:
            raise BadReference(path, f"listed in {MANIFEST} but unreadable ({e})") from None
        if not ok:
            raise BadReference(path, f"its SHA-256 differs from {MANIFEST} (changed or corrupted)")
    listed = {str(Path(rel).parent) for rel in files}
    for rel in sorted(listed):  # a run's own records are all vouched for, not only some
        if missing := [n for n in REQUIRED if str(Path(rel) / n) not in files]:
            raise BadReference(root / rel, f"{', '.join(missing)} not in {MANIFEST}")
    for d in run_dirs(root):
        if str(d.relative_to(root)) not in listed:
            raise BadReference(d, f"a run directory not in {MANIFEST} (left by an interrupted refresh?)")


def _read_runs(root: Path, files: dict) -> list[Run]:
    out = []
    for rel in sorted({str(Path(rel).parent) for rel in files}):
        d = root / rel
        try:
            summary = read_json(d / SUMMARY)
            config, metrics = verify(d, summary, absent=(CHECKPOINT,))
        except (ValueError, OSError) as e:
            raise BadReference(d, f"does not verify as a finished run: {e}") from None
        out.append(Run(d, config, summary, metrics))
    return out


_CACHE: dict = {}


def load(root=None) -> Reference | None:
    """The verified reference under ``root`` (default :func:`reference_root`), or None when it has no
    manifest. :class:`BadReference` naming the file when anything differs from the manifest."""
    root = reference_root(root)
    path = root / MANIFEST
    if not path.is_file():
        return None
    manifest = _check_manifest(path)
    stamp = tuple(_mtime(root / rel) for rel in sorted(manifest["files"])) + (_mtime(path),)
    key = (str(root.resolve()), stamp, tuple(map(str, run_dirs(root))))
    if key not in _CACHE:  # the tables read the reference once per table and claim: verify it once
        _check_files(root, manifest["files"])
        _CACHE.clear()
        _CACHE[key] = Reference(root, manifest, tuple(_read_runs(root, manifest["files"])))
    return _CACHE[key]


def _mtime(path: Path):
    try:
        st = path.stat()
        return st.st_mtime_ns, st.st_size
    except OSError:
        return None


def machine(load_before=None) -> dict:
    """The machine a reference runs on: CPU model, cores, the load average before (idle: near 0)."""
    try:
        load = list(load_before or os.getloadavg())
    except OSError:
        load = None
    return {"cpu": host.cpu()[0], "cores": os.cpu_count(), "load_before": load}


def write(root, run_dirs_by_experiment: dict[str, list[Path]], *, commit: str, command: str, machine_info: dict,
          experiments_info: dict | None = None, log=print) -> Reference:
    """Replace the reference under ``root`` by copies of ``run_dirs_by_experiment``'s runs ({experiment:
    finished run directories}, each verified first), their :data:`COPIED` files only, and a manifest written
    last; built beside ``root`` and swapped in, so a reader sees the old reference, none, or the new one."""
    root = Path(root)
    staging = root.with_name(f".{root.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    files, info = {}, dict(experiments_info or {})
    for experiment, dirs in sorted(run_dirs_by_experiment.items()):
        identities = set()
        for d in dirs:
            summary = read_json(Path(d) / SUMMARY)
            config, _ = verify(Path(d), summary)
            identities.add(identity_key(config))
            rel = Path(config["experiment"]) / config["profile"] / Path(d).name
            for name in COPIED:
                if (Path(d) / name).is_file():
                    host.atomic_write_bytes(staging / rel / name, (Path(d) / name).read_bytes())
                    files[str(rel / name)] = file_digest(staging / rel / name)
        if len(identities) > 1:
            raise ValueError(f"{experiment}: runs of {len(identities)} configurations; a reference holds one")
        info.setdefault(experiment, {})["runs"] = len(dirs)
        log(f"reference: {experiment}: {len(dirs)} run(s) copied")
    if (root / README).is_file():  # the directory's own README stays
        shutil.copy2(root / README, staging / README)
    manifest = {"schema": MANIFEST_SCHEMA, "commit": commit, "command": command, "machine": machine_info,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "experiments": info, "files": files}
    host.atomic_write_json(staging / MANIFEST, manifest)  # last: the staged tree is complete
    old = root.with_name(f".{root.name}.old-{os.getpid()}")
    if root.exists():
        (root / MANIFEST).unlink(missing_ok=True)  # from here the old tree reads as no reference, never half
        root.rename(old)
    staging.rename(root)
    shutil.rmtree(old, ignore_errors=True)
    reference = load(root)
    log(f"reference: {len(files)} files of {len(reference.runs)} runs written to {root} (manifest last)")
    return reference
