"""20BN-Jester v1 from its frame folders and CSV label files (HO-CP Sec. 4.1-4.2).

"The dataset was processed by batches of 32 sequences of RGB images, with a temporal resolution of
18 frames and a size of 84×84." A clip is 18 frames sampled evenly over the video (with a random
offset when training), each resized to 84×84, as a (3, 18, 84, 84) tensor. No horizontal flip: it
would turn "swiping left" into "swiping right".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ._common import DatasetError, normalize_, open_image, require_dir

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
FRAME_EXT = (".jpg", ".jpeg", ".png")
SOURCE = ("Get 20BN-Jester v1 (the 20bn-jester-v1 frame folders and the jester-v1-*.csv files) from "
          "https://developer.qualcomm.com/software/ai-datasets/jester (formerly twentybn.com/datasets/jester).")
EXPECTED = ("<root>/20bn-jester-v1/<video id>/00001.jpg ..., <root>/jester-v1-labels.csv (one label a line) "
            "and <root>/jester-v1-train.csv, jester-v1-validation.csv ('<video id>;<label>' lines)")
SPLIT_FILES = {"train": "jester-v1-train.csv", "val": "jester-v1-validation.csv"}


def read_labels(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"20BN-Jester: missing {path}; expected {EXPECTED}. {SOURCE}")
    labels = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not labels:
        raise DatasetError(f"20BN-Jester: {path} holds no labels; expected one label a line")
    return labels


def read_split(path: Path, classes: dict[str, int]) -> list[tuple[str, int]]:
    if not path.is_file():
        raise DatasetError(f"20BN-Jester: missing {path}; expected {EXPECTED}. {SOURCE}")
    items = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(";")
        if len(parts) != 2:
            raise DatasetError(f"20BN-Jester: {path.name} line {n}: expected '<video id>;<label>', got {line!r}")
        vid, label = parts
        if label not in classes:
            raise DatasetError(f"20BN-Jester: {path.name} line {n}: label {label!r} is not in jester-v1-labels.csv")
        items.append((vid, classes[label]))
    return items


def sample_indices(n_frames: int, frames: int, offset: float) -> np.ndarray:
    """``frames`` indices spread evenly over ``n_frames`` (repeating frames of short videos); ``offset``
    in [0, 1) shifts them within one step."""
    step = n_frames / frames
    return np.minimum((np.arange(frames) * step + offset * step).astype(np.int64), n_frames - 1)


class JesterClips(Dataset):
    """20BN-Jester ``train`` or ``val`` clips of ``frames`` frames at ``size``×``size``."""

    def __init__(self, root, split: str, *, frames: int = 18, size: int = 84):
        if split not in SPLIT_FILES:
            raise ValueError(f"split: expected one of {sorted(SPLIT_FILES)}, got {split!r}")
        root = require_dir(root, "20BN-Jester", EXPECTED, SOURCE)
        self.video_dir = require_dir(root / "20bn-jester-v1", "20BN-Jester frames", EXPECTED, SOURCE)
        self.classes = read_labels(root / "jester-v1-labels.csv")
        self.items = read_split(root / SPLIT_FILES[split], {c: i for i, c in enumerate(self.classes)})
        if not self.items:
            raise DatasetError(f"20BN-Jester: {SPLIT_FILES[split]} lists no videos")
        missing = [v for v, _ in self.items[:50] if not (self.video_dir / v).is_dir()]
        if missing:
            raise DatasetError(f"20BN-Jester: video folders {missing[:3]} listed in {SPLIT_FILES[split]} are "
                               f"missing from {self.video_dir}; expected {EXPECTED}. {SOURCE}")
        self.frames, self.size, self.train = frames, size, split == "train"
        self.num_classes = len(self.classes)
        self.sample_shape = (3, frames, size, size)
        self.description = f"20BN-Jester {split} ({root}), {frames} frames at {size}x{size}"

    def __len__(self):
        return len(self.items)

    def _frame(self, path: Path) -> torch.Tensor:
        im = open_image(path).resize((self.size, self.size), Image.BILINEAR)
        return torch.from_numpy(np.asarray(im, dtype=np.uint8).copy()).permute(2, 0, 1)

    def __getitem__(self, i):
        vid, label = self.items[i]
        files = sorted(p for p in (self.video_dir / vid).iterdir() if p.suffix.lower() in FRAME_EXT)
        if not files:
            raise DatasetError(f"20BN-Jester: {self.video_dir / vid} holds no frames ({', '.join(FRAME_EXT)})")
        offset = float(torch.rand(())) if self.train else 0.5
        idx = sample_indices(len(files), self.frames, offset)
        clip = torch.stack([self._frame(files[j]) for j in idx], dim=1).float().div_(255)  # (3, T, H, W)
        return normalize_(clip, MEAN, STD), label
