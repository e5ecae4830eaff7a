"""Helpers shared by the dataset loaders: clear errors for missing data, deterministic subsets."""
from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset


class DatasetError(ValueError):
    """A dataset directory is missing or malformed. The message says what was expected and where the
    data can be obtained: nothing is ever downloaded at run time."""


def require_dir(path, what: str, expected: str, source: str) -> Path:
    path = Path(path) if path is not None else None
    if path is None or not path.is_dir():
        raise DatasetError(f"{what}: directory {str(path)!r} not found; expected {expected}. {source}")
    return path


def open_image(path, convert: str = "RGB"):
    """A PIL image, decoded now; a truncated or corrupt file raises DatasetError naming it."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            return im.convert(convert)
    except (OSError, ValueError, SyntaxError) as e:  # PIL's errors for truncated / non-image files
        raise DatasetError(f"{path}: unreadable image ({e}); replace it from the original archive or "
                           f"remove it from the dataset") from None


class Limited(Dataset):
    """The first ``limit`` items of a fixed random permutation (seed 0) of ``base``: a subset that is
    the same on every run and every machine. Keeps ``num_classes`` and ``sample_shape``."""

    def __init__(self, base, limit: int):
        if not (isinstance(limit, int) and limit > 0):
            raise ValueError(f"limit: expected a positive int, got {limit!r}")
        self.base = base
        g = torch.Generator().manual_seed(0)
        self.indices = torch.randperm(len(base), generator=g)[:limit].tolist()
        self.num_classes = base.num_classes
        self.sample_shape = base.sample_shape
        self.description = (f"{getattr(base, 'description', type(base).__name__)}, "
                            f"first {len(self.indices)} of a fixed shuffle")

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self.base[self.indices[i]]


def normalize_(x: torch.Tensor, mean, std) -> torch.Tensor:
    """In place per-channel (dim 0) normalization of one sample."""
    m = torch.as_tensor(mean, dtype=x.dtype).view(-1, *([1] * (x.ndim - 1)))
    s = torch.as_tensor(std, dtype=x.dtype).view(-1, *([1] * (x.ndim - 1)))
    return x.sub_(m).div_(s)


def held_out(labels: torch.Tensor, split: str, *, fraction: float, seed: int) -> torch.Tensor:
    """Indices of a fixed, stratified split of a training set: ``val`` holds ``fraction`` of each class
    (at least one image of every class with two or more), ``train`` the rest. Schedules, early stopping and
    selection read ``val``, so that the dataset's reported test split is never used for a decision."""
    if split not in ("train", "val"):
        raise ValueError(f"split: expected 'train' or 'val', got {split!r}")
    g = torch.Generator().manual_seed(seed)
    parts = []
    for c in torch.unique(labels).tolist():
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_val = max(1, round(fraction * len(idx))) if len(idx) > 1 else 0
        parts.append(idx[:n_val] if split == "val" else idx[n_val:])
    return torch.sort(torch.cat(parts)).values
