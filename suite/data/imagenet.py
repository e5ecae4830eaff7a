"""ImageNet (ILSVRC 2012) from an ImageFolder directory with FCNN's transforms (FCNN Sec. 3).

"The images are first resized to 256 × 256, then randomly cropped into 221 × 221 and flipped
horizontally while training"; validation uses the central crop. Section 3.2 (models A0, G, H, I) uses
the smaller variant 164 → 150.
"""
from __future__ import annotations

from pathlib import Path

from torchvision import datasets, transforms

from ._common import DatasetError, open_image, require_dir

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
SIZES = {"imagenet": (256, 221), "imagenet-150": (164, 150)}  # (resize, crop): FCNN Sec. 3 and 3.2
SOURCE = ("Get ILSVRC 2012 from https://image-net.org/download-images (train and validation tarballs) "
          "and sort the validation images into one folder per class (the same wnid folders as train/).")
EXPECTED = "<root>/train/<wnid>/*.JPEG and <root>/val/<wnid>/*.JPEG (torchvision ImageFolder layout)"


def fcnn_transform(*, train: bool, resize: int = 256, crop: int = 221):
    """FCNN Sec. 3: resize to resize×resize, random crop + horizontal flip (train) or center crop (val)."""
    if crop > resize:
        raise ValueError(f"crop: expected <= resize ({resize}), got {crop}")
    steps = [transforms.Resize((resize, resize))]
    steps += [transforms.RandomCrop(crop), transforms.RandomHorizontalFlip()] if train \
        else [transforms.CenterCrop(crop)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


class ImageNetFolder(datasets.ImageFolder):
    """``root/train`` or ``root/val`` as an ImageFolder with the FCNN transform of ``variant``."""

    def __init__(self, root, split: str, *, variant: str = "imagenet"):
        if split not in ("train", "val"):
            raise ValueError(f"split: expected 'train' or 'val', got {split!r}")
        if variant not in SIZES:
            raise ValueError(f"variant: expected one of {sorted(SIZES)}, got {variant!r}")
        root = require_dir(root, "ImageNet", EXPECTED, SOURCE)
        folder = require_dir(root / split, f"ImageNet {split}", EXPECTED, SOURCE)
        classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
        if not classes:
            raise DatasetError(f"ImageNet {split}: {folder} has no class folders; expected {EXPECTED}. {SOURCE}")
        other = root / ("val" if split == "train" else "train")
        if other.is_dir():
            other_classes = sorted(p.name for p in other.iterdir() if p.is_dir())
            if other_classes and other_classes != classes:
                raise DatasetError(f"ImageNet: train/ has {len(classes) if split == 'train' else len(other_classes)} "
                                   "class folders and val/ has "
                                   f"{len(other_classes) if split == 'train' else len(classes)}; "
                                   f"expected the same class folders in both. {SOURCE}")
        resize, crop = SIZES[variant]
        try:
            super().__init__(str(folder), transform=fcnn_transform(train=split == "train", resize=resize, crop=crop),
                             loader=open_image)
        except FileNotFoundError as e:
            raise DatasetError(f"ImageNet {split}: {e}; expected {EXPECTED}. {SOURCE}") from None
        self.num_classes = len(self.classes)
        self.sample_shape = (3, crop, crop)
        self.description = (f"ImageNet {split} ({Path(root)}), resize {resize} -> "
                            f"{'random' if split == 'train' else 'center'} crop {crop}")
