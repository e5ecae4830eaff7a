"""suite.data: the real loaders read tiny ImageFolder / CIFAR / Jester trees written from the shipped
MNIST digits; missing or malformed directories give errors that say what was expected."""
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from suite import data
from suite.data import DatasetError
from suite.data.digits import DIRECTIONS, mnist_digits, split_indices


def digit_rgb(i: int, size: int) -> tuple[np.ndarray, int]:
    """Digit number i of the shipped set as an RGB uint8 image of size×size, and its label."""
    x, y = mnist_digits()
    img = Image.fromarray((x[i].numpy() * 255).astype(np.uint8)).resize((size, size), Image.BILINEAR)
    a = np.asarray(img)
    return np.stack([a, 255 - a, a // 2], axis=-1), int(y[i])


# ------------------------------------------------------------------------------------------- digits
def test_digits_split_is_stratified_disjoint_and_fixed():
    tr, va, te = split_indices("train"), split_indices("val"), split_indices("test")
    assert len(tr) == 3500 and len(va) == 500 and len(te) == 1000
    assert not set(tr.tolist()) & set(va.tolist()) and not (set(tr.tolist()) | set(va.tolist())) & set(te.tolist())
    _, y = mnist_digits()
    assert torch.bincount(y[tr]).tolist() == [350] * 10
    assert torch.bincount(y[va]).tolist() == [50] * 10
    assert torch.bincount(y[te]).tolist() == [100] * 10
    # the reported test split is the former 400/100 split's held-out 100 per class, unchanged
    g = torch.Generator().manual_seed(1234)
    old = torch.cat([torch.nonzero(y == c).flatten()[torch.randperm(500, generator=g)][400:] for c in range(10)])
    assert torch.equal(te, old[torch.randperm(1000, generator=g)])
    assert data.splits("digits")["report"] == "test" and data.splits("imagenet")["report"] == "val"


def test_digit_images_crops():
    val = data.build("digits", "val", resize=36, crop=32)
    x0, y0 = val[5]
    assert x0.shape == (1, 32, 32) and val.sample_shape == (1, 32, 32) and val.num_classes == 10
    assert torch.equal(val[5][0], x0)  # center crop: deterministic
    train = data.build("digits", "train", resize=36, crop=32, limit=50)
    assert len(train) == 50
    crops = [train[0][0] for _ in range(10)]  # random crops, drawn from the test's SUITE_SEED
    assert crops[0].shape == (1, 32, 32) and not all(torch.equal(crops[0], c) for c in crops[1:])
    with pytest.raises(ValueError, match="crop"):
        data.build("digits", "val", resize=28, crop=30)


def test_cluttered_digits_are_fixed_harder_views_of_the_same_split():
    """The local Table 2 variant: each digit on a 40×40 canvas with random fragments of other digits of
    the same split, the same images in every run, `views` canvases per digit."""
    a = data.build("digits", "val", resize=40, clutter=4, views=2)
    b = data.build("digits", "val", resize=40, clutter=4, views=2)
    n = len(split_indices("val"))
    assert len(a) == 2 * n and torch.equal(a.images, b.images) and torch.equal(a.labels[:n], a.labels[n:])
    assert not torch.equal(a.images[:n], a.images[n:])  # two different canvases of each digit
    assert a.sample_shape == (1, 40, 40) and "cluttered (4 fragments" in a.description
    digits, _ = mnist_digits()
    canvas = data.digits.cluttered(digits[:50], 3, seed=0)
    ink, digit_ink = canvas.sum((1, 2)), digits[:50].sum((1, 2))
    assert canvas.shape == (50, 40, 40) and (ink >= digit_ink - 1e-3).all()  # the digit is never erased
    assert (ink > digit_ink + 1).float().mean() > 0.9  # fragments add strokes
    for bad in ({"clutter": -1}, {"clutter": 2.5}, {"views": 2}, {"clutter": 2, "views": 0},
                {"test_views": 2}, {"clutter": 2, "test_views": 0}, {"clutter": 2, "test_views": True}):
        with pytest.raises(ValueError, match="clutter|views"):
            data.build("digits", "val", **bad)


def test_test_views_grow_the_reported_split_only():
    """`test_views` makes more canvases of each test digit; train and val keep `views`."""
    opts = {"resize": 40, "clutter": 4, "views": 2, "test_views": 3}
    test, val = data.build("digits", "test", **opts), data.build("digits", "val", **opts)
    n = len(split_indices("test"))
    assert len(test) == 3 * n and len(val) == 2 * len(split_indices("val"))
    same = data.build("digits", "test", resize=40, clutter=4, views=3)
    assert torch.equal(test.images, same.images) and "3 view(s)" in test.description


def test_moving_digits_move_in_their_labelled_direction():
    ds = data.build("moving-digits", "val", frames=8, size=32, digit_size=12)
    assert ds.num_classes == 40 and ds.sample_shape == (1, 8, 32, 32)
    for i in range(12):
        clip, label = ds[i]
        digit, direction = divmod(label, len(DIRECTIONS))
        assert digit == int(ds.digit_labels[i])
        ink = clip[0] > 0  # background is negative after normalisation
        first, last = ink[0].nonzero().float().mean(0), ink[-1].nonzero().float().mean(0)
        d_row, d_col = (last - first).tolist()
        expected = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}[DIRECTIONS[direction]]
        moved = (d_row, d_col)
        axis = 0 if expected[0] else 1
        assert np.sign(moved[axis]) == expected[axis] and abs(moved[axis]) > 10
        assert abs(moved[1 - axis]) < 1e-6


def test_moving_digits_direction_speed_labels_are_the_motion_not_the_digit():
    """labels="direction-speed" (HO-CP Table 2's local stand-in): 8 classes, 2·direction + speed; a fast clip
    crosses the whole free span, a slow one half of it; the default labels and clips are unchanged."""
    from suite.data.digits import SPEEDS
    ds = data.build("moving-digits", "val", frames=16, size=16, digit_size=10, labels="direction-speed")
    default = data.build("moving-digits", "val", frames=16, size=16, digit_size=10)
    assert ds.num_classes == 8 and default.num_classes == 40
    assert torch.equal(ds.directions, default.directions) and torch.equal(ds.starts, default.starts)
    assert set(torch.bincount(ds.labels).nonzero().flatten().tolist()) == set(range(8))  # every class occurs
    again = data.build("moving-digits", "val", frames=16, size=16, digit_size=10)
    seen = set()
    for i in range(40):
        clip, label = ds[i]
        direction, speed = divmod(label, len(SPEEDS))
        ink = clip[0] > 0
        first, last = ink[0].nonzero().float().mean(0), ink[-1].nonzero().float().mean(0)
        axis = 0 if DIRECTIONS[direction] in ("up", "down") else 1
        sign = -1 if DIRECTIONS[direction] in ("left", "up") else 1
        moved = float(last[axis] - first[axis])
        assert sign * moved == pytest.approx({"fast": 6, "slow": 3}[SPEEDS[speed]], abs=0.01)
        assert abs(float(last[1 - axis] - first[1 - axis])) < 1e-6
        seen.add(SPEEDS[speed])
        if i < 5:
            assert torch.equal(default[i][0], again[i][0])
    assert seen == {"fast", "slow"}


@pytest.mark.parametrize("opts, message", [({"labels": "digit"}, "labels: expected one of"),
                                           ({"labels": "direction-speed", "size": 11}, "must be >= 2 pixels")])
def test_moving_digits_reject_bad_labels(opts, message):
    with pytest.raises(ValueError, match=message):
        data.build("moving-digits", "val", **{"frames": 16, "size": 16, "digit_size": 10, **opts})


# ------------------------------------------------------------------------------------------- imagenet
def write_imagefolder(root, classes=("n01", "n02"), per_class=3, size=40):
    i = 0
    for split in ("train", "val"):
        for c in classes:
            (root / split / c).mkdir(parents=True)
            for k in range(per_class):
                img, _ = digit_rgb(i, size)
                Image.fromarray(img).save(root / split / c / f"{c}_{k}.JPEG", format="JPEG")
                i += 1


@pytest.mark.parametrize("name, crop", [("imagenet", 221), ("imagenet-150", 150)])
def test_imagenet_folder_reads_fcnn_transforms(tmp_path, name, crop):
    write_imagefolder(tmp_path)
    train = data.build(name, "train", root=tmp_path)
    val = data.build(name, "val", root=tmp_path)
    assert train.num_classes == val.num_classes == 2 and len(train) == len(val) == 6
    x, y = val[4]
    assert x.shape == (3, crop, crop) and y == 1 and train.sample_shape == (3, crop, crop)
    assert torch.equal(val[4][0], x)  # center crop is deterministic
    a = train[0][0]
    assert not all(torch.equal(a, train[0][0]) for _ in range(10))  # random crop + flip (SUITE_SEED)


def test_imagenet_errors_say_what_is_expected(tmp_path):
    with pytest.raises(DatasetError, match=r"train/<wnid>.*image-net.org"):
        data.build("imagenet", "train", root=tmp_path / "nowhere")
    (tmp_path / "train" / "n01").mkdir(parents=True)
    with pytest.raises(DatasetError, match="val"):
        data.build("imagenet", "val", root=tmp_path)
    (tmp_path / "val").mkdir()
    with pytest.raises(DatasetError, match="no class folders"):
        data.build("imagenet", "val", root=tmp_path)
    (tmp_path / "val" / "n02").mkdir()
    with pytest.raises(DatasetError, match="same class folders"):
        data.build("imagenet", "val", root=tmp_path)
    with pytest.raises(DatasetError, match="needs a data directory"):
        data.build("imagenet", "train")


# ------------------------------------------------------------------------------------------- cifar
def write_cifar(root, per_batch=4):
    root.mkdir(parents=True, exist_ok=True)
    i, written = 0, {}
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        imgs, labels = [], []
        for _ in range(per_batch):
            img, label = digit_rgb(i, 32)
            imgs.append(img.transpose(2, 0, 1).reshape(-1))  # CIFAR rows: R plane, G plane, B plane
            labels.append(label)
            i += 1
        written[name] = (np.stack(imgs), labels)
        with open(root / name, "wb") as f:
            pickle.dump({b"data": np.stack(imgs), b"labels": labels, b"batch_label": name.encode()}, f)
    return written


def test_cifar_batches_round_trip(tmp_path):
    written = write_cifar(tmp_path / "cifar-10-batches-py")
    train = data.build("cifar10", "train", root=tmp_path)
    val = data.build("cifar10", "val", root=tmp_path)
    test = data.build("cifar10", "test", root=tmp_path)
    assert len(train) + len(val) == 20 and len(val) >= 1 and len(test) == 4 and train.num_classes == 10
    train_rows = {x.numpy().tobytes() for x in train.images}
    assert not any(x.numpy().tobytes() in train_rows for x in val.images)  # held out, not shared
    imgs, labels = written["test_batch"]
    for k in range(4):
        x, y = test[k]
        assert y == labels[k] and x.shape == (3, 32, 32)
        mean = torch.tensor(data.cifar.MEAN).view(3, 1, 1)
        std = torch.tensor(data.cifar.STD).view(3, 1, 1)
        pixels = torch.from_numpy(imgs[k].reshape(3, 32, 32)).float() / 255
        torch.testing.assert_close(x * std + mean, pixels)
    assert train[0][0].shape == (3, 32, 32)


def test_cifar_errors(tmp_path):
    with pytest.raises(DatasetError, match="cs.toronto.edu"):
        data.build("cifar10", "train", root=tmp_path)
    write_cifar(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(DatasetError, match="missing batch file"):
        data.build("cifar10", "train", root=tmp_path)
    (tmp_path / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="not a CIFAR python batch"):
        data.build("cifar10", "test", root=tmp_path)


# ------------------------------------------------------------------------------------------- jester
LABELS = ["Swiping Left", "Swiping Right", "Thumb Up"]


def write_jester(root, videos=4, n_frames=(20, 12, 37, 18)):
    frames_dir = root / "20bn-jester-v1"
    lines = {"train": [], "val": []}
    for v in range(videos):
        vid = str(1000 + v)
        (frames_dir / vid).mkdir(parents=True)
        for t in range(n_frames[v % len(n_frames)]):
            img, _ = digit_rgb(v * 40 + t, 50)
            Image.fromarray(img).resize((88, 50)).save(frames_dir / vid / f"{t + 1:05d}.jpg")
        lines["train" if v % 2 == 0 else "val"].append(f"{vid};{LABELS[v % 3]}")
    (root / "jester-v1-labels.csv").write_text("\n".join(LABELS) + "\n")
    (root / "jester-v1-train.csv").write_text("\n".join(lines["train"]) + "\n")
    (root / "jester-v1-validation.csv").write_text("\n".join(lines["val"]) + "\n")


def test_jester_clips(tmp_path):
    write_jester(tmp_path)
    train = data.build("jester", "train", root=tmp_path)
    val = data.build("jester", "val", root=tmp_path)
    assert train.num_classes == 3 and len(train) == 2 and len(val) == 2
    x, y = val[0]  # video 1001: 12 frames (shorter than 18: frames repeat)
    assert x.shape == (3, 18, 84, 84) and y == LABELS.index("Swiping Right")
    assert val.sample_shape == (3, 18, 84, 84)
    x, y = train[1]  # video 1002: 37 frames
    assert x.shape == (3, 18, 84, 84) and y == LABELS.index("Thumb Up")
    small = data.build("jester", "val", root=tmp_path, frames=4, size=16)
    assert small[1][0].shape == (3, 4, 16, 16)


def test_jester_errors(tmp_path):
    with pytest.raises(DatasetError, match="20bn-jester-v1"):
        data.build("jester", "train", root=tmp_path)
    write_jester(tmp_path)
    (tmp_path / "jester-v1-train.csv").write_text("1000;Waving Hands\n")
    with pytest.raises(DatasetError, match="not in jester-v1-labels.csv"):
        data.build("jester", "train", root=tmp_path)
    (tmp_path / "jester-v1-train.csv").write_text("1000,Thumb Up\n")
    with pytest.raises(DatasetError, match="expected '<video id>;<label>'"):
        data.build("jester", "train", root=tmp_path)
    (tmp_path / "jester-v1-train.csv").write_text("4242;Thumb Up\n")
    with pytest.raises(DatasetError, match="missing"):
        data.build("jester", "train", root=tmp_path)


def test_unknown_dataset_lists_names():
    with pytest.raises(ValueError, match="valid names: cifar10, digits, imagenet"):
        data.build("mnist", "train")


def test_truncated_images_are_errors_that_name_the_file(tmp_path):
    """A truncated or garbage image names its path and says what to do (ImageNet and Jester frames)."""
    write_imagefolder(tmp_path / "imagenet")
    val = data.build("imagenet", "val", root=tmp_path / "imagenet")
    path = Path(val.samples[0][0])
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(data.DatasetError, match=f"{path}: unreadable image .*replace it"):
        val[0]
    write_jester(tmp_path / "jester")
    clips = data.build("jester", "val", root=tmp_path / "jester")
    frame = sorted((clips.video_dir / clips.items[0][0]).iterdir())[0]
    frame.write_bytes(b"not a jpeg")
    with pytest.raises(data.DatasetError, match=f"{frame}: unreadable image"):
        clips[0]


def test_fingerprint_names_the_data(tmp_path):
    """The data's identity: package data by version and digest, a directory by path and layout."""
    assert data.fingerprint("digits") == data.fingerprint("moving-digits")
    write_imagefolder(tmp_path)
    fp = data.fingerprint("imagenet", tmp_path)
    assert fp["root"] == str(tmp_path.resolve()) and data.fingerprint("imagenet", tmp_path) == fp
    (tmp_path / "val" / "n03").mkdir()
    assert data.fingerprint("imagenet", tmp_path) != fp
    with pytest.raises(data.DatasetError, match="needs a data directory"):
        data.fingerprint("cifar10")
