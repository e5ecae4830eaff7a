"""FCNN Table 7's reference networks: torchvision's definitions, untrained (no weights are downloaded).

Table 7 compares Model L with AlexNet [1], GoogLeNet [2], ResNet-18 [5] and VGG-16 [15]; torchvision's
definitions differ in details from the originals (its AlexNet is the single-tower "one weird trick"
variant without the grouped convolutions; its GoogLeNet has batch norm), which paper_tables reports.
Input 3×224×224 (torchvision's ImageNet crop), 1000 classes.

``width`` (default 1.0: torchvision's network, unchanged) is a channel multiplier, like the FCNN and HO-CP models'
(its local settings train every net narrower): the same torchvision topology with every channel count multiplied
by it, i.e. every convolution's input and output channels, every batch norm's features and every fully connected
layer's input and output features, except the image's channels (the first convolution's input) and the classes
(the last layer's output). Concatenations (GoogLeNet's Inception branches), residual sums (ResNet-18) and the
flattened features before AlexNet's and VGG-16's classifiers scale with it, so the network stays consistent; a
width that does not turn every channel count into a whole number is an error. A narrower network costs about
width² of the multiplications and parameters.
"""
from __future__ import annotations

from torch import nn
from torchvision import models as tv

from . import _common as c
from ._registry import register_model

IMAGENET_INPUT, IMAGENET_CLASSES = (3, 224, 224), 1000


# Smallest input each definition accepts (torchvision's weights metadata, `meta["min_size"]`).
MIN_SIZE = {"alexnet": 63, "googlenet": 15, "resnet18": 1, "vgg16": 32}


def _arguments(num_classes, in_channels, width, backend) -> tuple[int, int, float]:
    """(classes, in_channels, width) checked; these torchvision networks run plain torch (see `c.torch_only`)."""
    c.torch_only(backend)
    return num_classes or IMAGENET_CLASSES, c.check_in_channels(in_channels), c.check_width(width)


# ------------------------------------------------------------------------------------------------ width
# torchvision's own initialisation of each definition (the loops in the constructors of torchvision/models/
# vgg.py, googlenet.py and resnet.py, 0.29), applied to the modules this file rebuilds, so that a narrower or
# 1-channel network starts the way torchvision starts its own. AlexNet has no loop: torch's default init, which
# building the module already does.
def _init_vgg(m: nn.Module) -> None:
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0, 0.01)
        nn.init.constant_(m.bias, 0)


def _init_googlenet(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)


def _init_resnet(m: nn.Module) -> None:
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


_INIT = {"alexnet": lambda m: None, "googlenet": _init_googlenet, "resnet18": _init_resnet, "vgg16": _init_vgg}


def _channels(n: int, width: float, name: str) -> int:
    """n·width, which must be a whole number: a rounded count would break the concatenations and sums."""
    scaled = c.scale(n, width)
    if abs(n * width - scaled) > 1e-6 * n:
        raise ValueError(f"width: {name} has a layer with {n} channels and {n} × {width:g} = {n * width:g} is not a "
                         f"whole number; expected a width that scales every channel count to an integer (e.g. "
                         f"0.25 or 0.5)")
    return scaled


def _rebuilt(m: nn.Module, width: float, name: str, first: bool, last: bool, in_channels: int) -> nn.Module:
    """A Conv2d, BatchNorm2d or Linear like ``m`` with its channels scaled (the image's and the classes kept)."""
    def ch(n: int) -> int:
        return _channels(n, width, name)
    if isinstance(m, nn.Conv2d):
        # groups are 1 in all four definitions; a grouped conv would need its groups scaled too
        return nn.Conv2d(in_channels if first else ch(m.in_channels), ch(m.out_channels), m.kernel_size,
                         stride=m.stride, padding=m.padding, dilation=m.dilation, groups=m.groups,
                         bias=m.bias is not None, padding_mode=m.padding_mode)
    if isinstance(m, nn.BatchNorm2d):
        return nn.BatchNorm2d(ch(m.num_features), eps=m.eps, momentum=m.momentum, affine=m.affine,
                              track_running_stats=m.track_running_stats)
    return nn.Linear(ch(m.in_features), m.out_features if last else ch(m.out_features), bias=m.bias is not None)


def _scaled(model: nn.Module, name: str, width: float, in_channels: int) -> nn.Module:
    """``model`` with every Conv2d, BatchNorm2d and Linear rebuilt at ``width`` (see the module docstring) and the
    first convolution taking ``in_channels``; at width 1 only that convolution, and only if the channels differ.

    The first Conv2d in module order reads the image and the last Linear gives the classes in all four
    definitions; the modules rebuilt get torchvision's initialisation of the definition (`_INIT`)."""
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear))]
    convs = [n for n, m in found if isinstance(m, nn.Conv2d)]
    fc = [n for n, m in found if isinstance(m, nn.Linear)]
    for path, m in found:
        first, last = path == convs[0], path == fc[-1]
        if width == 1.0 and not (first and in_channels != m.in_channels):
            continue
        new = _rebuilt(m, width, name, first, last, in_channels)
        new.apply(_INIT[name])
        parent, _, attr = path.rpartition(".")
        setattr(model.get_submodule(parent), attr, new)
    return model


def _finish(model: nn.Module, name: str, num_classes: int, in_channels: int, input_size) -> nn.Module:
    model.num_classes = num_classes
    model.input_size = c.input_size(input_size, in_channels, IMAGENET_INPUT[1:])
    if min(model.input_size[1:]) < MIN_SIZE[name]:
        raise ValueError(f"input_size: {name} needs H, W >= {MIN_SIZE[name]}, got {model.input_size}")
    return model


@register_model("alexnet")
def alexnet(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    """AlexNet (torchvision.models.alexnet, weights=None).

    Like every reference network it has no factorized layers: `backend` may only be 'auto' or 'torch'."""
    n, in_channels, width = _arguments(num_classes, in_channels, width, backend)
    model = tv.alexnet(weights=None, num_classes=n)
    return _finish(_scaled(model, "alexnet", width, in_channels), "alexnet", n, in_channels, input_size)


@register_model("googlenet")
def googlenet(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    """GoogLeNet (torchvision.models.googlenet, weights=None) without the auxiliary classifiers.

    aux_logits=False, init_weights=True, transform_input=False: the inference network."""
    n, in_channels, width = _arguments(num_classes, in_channels, width, backend)
    model = tv.googlenet(weights=None, num_classes=n, aux_logits=False, init_weights=True, transform_input=False)
    return _finish(_scaled(model, "googlenet", width, in_channels), "googlenet", n, in_channels, input_size)


@register_model("resnet18")
def resnet18(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    """ResNet-18 (torchvision.models.resnet18, weights=None)."""
    n, in_channels, width = _arguments(num_classes, in_channels, width, backend)
    model = tv.resnet18(weights=None, num_classes=n)
    return _finish(_scaled(model, "resnet18", width, in_channels), "resnet18", n, in_channels, input_size)


@register_model("vgg16")
def vgg16(*, num_classes=None, in_channels=3, width=1.0, input_size=None, backend="auto"):
    """VGG-16 (torchvision.models.vgg16, configuration D without batch norm, weights=None)."""
    n, in_channels, width = _arguments(num_classes, in_channels, width, backend)
    model = tv.vgg16(weights=None, num_classes=n)
    return _finish(_scaled(model, "vgg16", width, in_channels), "vgg16", n, in_channels, input_size)
