"""recipe.memory_format: channels-last training is the same computation as NCHW (up to float rounding), part of a
run's identity only when set, refused for clips; the digits' canvases are built once per process and shared."""
import pytest
import torch
from torch import nn

from suite import data, models, train
from suite.data import digits


def _net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 6, 3, groups=2),
                         nn.MaxPool2d(4), nn.Flatten(), nn.Linear(6 * 6 * 6, 10))


def _run(tmp_path, layout: str, seed: int):
    tr = data.build("digits", "train", resize=32, crop=28, limit=96)
    va = data.build("digits", "val", resize=32, crop=28, limit=64)
    recipe = train.Recipe(lr=0.05, batch_size=32, epochs=2, schedule="step", step_epochs=1, eval_batch_size=32,
                          memory_format=layout)
    config = {"experiment": "layout-test", "profile": "local", "model": layout, "recipe": recipe.to_dict()}
    net = _net(seed)
    summary = train.train(net, tr, va, recipe=recipe, run_dir=tmp_path / layout, seed=seed, config=config,
                          progress=False, device="cpu")
    return net, summary


def test_channels_last_trains_the_same_network_as_nchw(tmp_path, fresh_seed):
    torch.set_num_threads(1)
    nchw, a = _run(tmp_path, "contiguous", fresh_seed)
    nhwc, b = _run(tmp_path, "channels_last", fresh_seed)
    assert nhwc[3].weight.is_contiguous(memory_format=torch.channels_last)
    assert not nhwc[3].weight.is_contiguous() and nchw[3].weight.is_contiguous()
    # 6 SGD steps: only the order of float additions differs, amplified a little by each step. Over 40 seeds the
    # largest relative difference of all weights together was 1.5e-3 (a wrong layout would differ by O(1)), of
    # the final training loss 5.6e-4; a single small tensor (a BN bias) can differ by a few %.
    with torch.no_grad():
        p, q = (torch.cat([w.reshape(-1) for w in net.parameters()]) for net in (nchw, nhwc))
        assert float((p - q).norm() / p.norm()) < 1e-2
    assert b["final_train_loss"] == pytest.approx(a["final_train_loss"], rel=5e-3)


def test_memory_format_is_checked_and_left_out_of_the_identity_by_default(tmp_path):
    assert "memory_format" not in train.Recipe().to_dict()  # every run without it keeps its identity
    assert train.Recipe(memory_format="channels_last").to_dict()["memory_format"] == "channels_last"
    with pytest.raises(ValueError, match=r"recipe.memory_format: expected one of \('contiguous', 'channels_last'\)"):
        train.Recipe(memory_format="nhwc")
    clips = data.build("moving-digits", "train", limit=8, frames=16, size=16, digit_size=8)
    recipe = train.Recipe(batch_size=4, epochs=1, memory_format="channels_last")
    net = models.build("convnet3d", num_classes=40, in_channels=1, width=0.125, input_size=(1, 16, 16, 16))
    with pytest.raises(ValueError, match=r"'channels_last' is for image samples \(C, H, W\), got samples of shape "
                                         r"\(1, 16, 16, 16\)"):
        train.train(net, clips, clips, recipe=recipe, run_dir=tmp_path, progress=False, device="cpu",
                    config={"experiment": "e", "model": "convnet3d", "profile": "local"})


def test_digit_canvases_are_built_once_per_options_and_shared():
    opts = {"resize": 44, "crop": 40, "clutter": 2, "views": 2}
    a, b = digits.DigitImages("val", **opts), digits.DigitImages("val", **opts)
    assert a.images is b.images and a.labels is b.labels  # the second build reads the cache
    digits._canvases.cache_clear()
    c = digits.DigitImages("val", **opts)
    assert c.images is not a.images and torch.equal(c.images, a.images) and torch.equal(c.labels, a.labels)
    assert digits.DigitImages("val", **{**opts, "clutter": 3}).images.shape == a.images.shape
    assert not torch.equal(digits.DigitImages("val", **{**opts, "clutter": 3}).images, a.images)
