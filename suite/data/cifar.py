"""CIFAR-10 from the standard python-pickle batches (HO-CP Sec. 4.1), with the usual augmentation
(4-pixel zero padding + random 32×32 crop, horizontal flip) for training.

Splits: ``test`` is the test batch, the reported set ("1000 images per class for testing, on which we
report the results"); ``val`` is a fixed, stratified 10 % of the training batches (seed
``VAL_SEED``) that schedules and selection read; ``train`` is the other 90 %."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ._common import DatasetError, held_out, normalize_, require_dir

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_FILES = ["test_batch"]
VAL_FRACTION, VAL_SEED = 0.1, 1234  # held out of the training batches (500 per class of 50,000)
SOURCE = ("Get 'CIFAR-10 python version' (cifar-10-python.tar.gz) from "
          "https://www.cs.toronto.edu/~kriz/cifar.html and extract it.")
EXPECTED = "data_batch_1..5 and test_batch (python pickles) in <root> or <root>/cifar-10-batches-py"


def _batch_dir(root) -> Path:
    root = require_dir(root, "CIFAR-10", EXPECTED, SOURCE)
    for d in (root / "cifar-10-batches-py", root):
        if (d / "test_batch").is_file() or (d / "data_batch_1").is_file():
            return d
    raise DatasetError(f"CIFAR-10: no data_batch_*/test_batch files in {root}; expected {EXPECTED}. {SOURCE}")


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One pickle batch -> (uint8 images (N, 3, 32, 32), int64 labels (N,))."""
    if not path.is_file():
        raise DatasetError(f"CIFAR-10: missing batch file {path}; expected {EXPECTED}. {SOURCE}")
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        data, labels = d[b"data"], d.get(b"labels", d.get(b"fine_labels"))
        images = np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(labels, dtype=np.int64)
    except Exception as e:  # any unpickling / shape problem means the file is not a CIFAR batch
        raise DatasetError(f"CIFAR-10: {path} is not a CIFAR python batch (dict with b'data' of shape "
                           f"(N, 3072) uint8 and b'labels'): {type(e).__name__}: {e}. {SOURCE}") from None
    if len(images) != len(labels):
        raise DatasetError(f"CIFAR-10: {path} has {len(images)} images but {len(labels)} labels")
    return images, labels


SPLIT_NOTE = {"train": f", less the held-out {VAL_FRACTION:.0%}", "test": ", the reported split",
              "val": f", {VAL_FRACTION:.0%} of each class held out of training, seed {VAL_SEED}"}


class CIFAR10Batches(Dataset):
    """CIFAR-10 ``train`` (5 batches) or ``test`` split read from the pickles in a local directory."""

    num_classes = 10
    sample_shape = (3, 32, 32)

    def __init__(self, root, split: str):
        if split not in ("train", "val", "test"):
            raise ValueError(f"split: expected 'train', 'val' (held out of the training batches) or 'test', "
                             f"got {split!r}")
        d = _batch_dir(root)
        parts = [read_batch(d / f) for f in (TEST_FILES if split == "test" else TRAIN_FILES)]
        self.images = torch.from_numpy(np.concatenate([p[0] for p in parts]))
        self.labels = torch.from_numpy(np.concatenate([p[1] for p in parts]))
        if split != "test":
            keep = held_out(self.labels, split, fraction=VAL_FRACTION, seed=VAL_SEED)
            self.images, self.labels = self.images[keep], self.labels[keep]
        if self.labels.min() < 0 or self.labels.max() >= 10:
            raise DatasetError(f"CIFAR-10: labels must be in 0..9, got {self.labels.min()}..{self.labels.max()}")
        self.train = split == "train"
        self.description = f"CIFAR-10 {split} ({d}{SPLIT_NOTE[split]})"

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float().div_(255)
        if self.train:  # pad 4 + random 32x32 crop, random horizontal flip
            x = torch.nn.functional.pad(x, (4, 4, 4, 4))
            top, left = torch.randint(0, 9, (2,)).tolist()
            x = x[:, top:top + 32, left:left + 32]
            if torch.rand(()) < 0.5:
                x = x.flip(-1)
        return normalize_(x.contiguous(), MEAN, STD), int(self.labels[i])
