"""Modules from outside the package: the user's own (``--import mypkg.models``, whose models register through the
same `suite.models.register_model` as the papers' models) and the entry-point group ``fcnn_suite.models``. Here,
not in `suite.models`, so that `suite.experiments` (a file's ``imports``) may import modules without importing the
models it describes.

A user module is imported by name (``importlib.import_module``), as timm and torchvision users import theirs:

    # mypkg/models.py
    from suite.models import register_model

    @register_model("my-net")
    def my_net(*, num_classes=None, width=1.0, in_channels=3, input_size=None):
        ...

A package may instead declare ``[project.entry-points."fcnn_suite.models"] my-net = "mypkg.models"``; the group is
loaded lazily, the first time a name is not found or every name is listed.

What was imported is recorded in every run's config.json (`imported`: module, file, sha256) and travels with each
task, so a pool worker or a SLURM job imports the same modules, from the same directory, before it builds a model
(`import_modules` with the ``origin`` of each).
"""
from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

ENTRY_POINT_GROUP = "fcnn_suite.models"
_IMPORTED: dict[str, dict] = {}   # module name -> {"module", "file", "sha256", "origin"[, "entry_point"]}
_ENTRY_POINTS_LOADED = False


def _record(name: str, module, **extra) -> None:
    file = getattr(module, "__file__", None)
    digest = hashlib.sha256(Path(file).read_bytes()).hexdigest() if file and Path(file).is_file() else None
    _IMPORTED[name] = {"module": name, "file": file, "sha256": digest, "origin": origin(name, file), **extra}


def origin(name: str, file: str | None) -> str | None:
    """The sys.path entry ``name`` was imported from (``/x`` for ``a.b`` in ``/x/a/b.py`` or ``/x/a/b/__init__.py``)."""
    if not file:
        return None
    path = Path(file).resolve()
    depth = name.count(".") + (2 if path.name == "__init__.py" else 1)
    return str(path.parents[depth - 1])


def import_modules(names, origins=()) -> list[str]:
    """Import each module of ``names`` (its ``@register_model`` calls register its models); ``origins``: directories to
    append to sys.path first (a worker's, see the module). A module that cannot be imported is a ValueError naming
    it and the error (one line)."""
    for directory in origins:
        if directory and directory not in sys.path:
            sys.path.append(directory)
    for name in names:
        if name in _IMPORTED:
            continue
        try:
            module = importlib.import_module(name)
        except Exception as e:  # ImportError, or any error raised while the module runs: one line naming it
            where = " (is its directory on sys.path / PYTHONPATH?)" if isinstance(e, ModuleNotFoundError) else ""
            first = str(e).splitlines()[0] if str(e) else ""
            raise ValueError(f"--import {name}: cannot import module {name!r}: {type(e).__name__}: {first}{where}") \
                from None
        _record(name, module)
    return list(names)


def load_entry_points() -> None:
    """Import every module of the ``fcnn_suite.models`` entry-point group, once (lazily: see the module)."""
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as e:
            raise ValueError(f"entry point {ep.name} = {ep.value} (group {ENTRY_POINT_GROUP}): cannot import it: "
                             f"{type(e).__name__}: {e}") from None
        module = ep.value.split(":")[0]
        _record(module, sys.modules[module], entry_point=ep.name)


def imported() -> list[dict]:
    """What was imported from outside the package, in import order (recorded in each run's config)."""
    return [dict(v) for v in _IMPORTED.values()]


def user_modules() -> tuple[tuple[str, str | None], ...]:
    """``((module, origin), ...)`` of the modules imported with `import_modules` (not entry points: a worker
    loads those itself): what a task carries to its worker."""
    return tuple((v["module"], v["origin"]) for v in _IMPORTED.values() if "entry_point" not in v)
