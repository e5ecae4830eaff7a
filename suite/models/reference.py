"""FCNN Table 7's reference networks: torchvision's definitions, untrained (no weights are downloaded).

Table 7 compares Model L with AlexNet [1], GoogLeNet [2], ResNet-18 [5] and VGG-16 [15]; torchvision's
definitions differ in details from the originals (its AlexNet is the single-tower "one weird trick"
variant without the grouped convolutions; its GoogLeNet has batch norm), which paper_tables reports.
Input 3×224×224 (torchvision's ImageNet crop), 1000 classes.
"""
from __future__ import annotations

from torch import nn
from torchvision import models as tv

from . import _common as c
from ._registry import register_model

IMAGENET_INPUT, IMAGENET_CLASSES = (3, 224, 224), 1000


def _replace_first_conv(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    if in_channels == conv.in_channels:
        return conv
    return nn.Conv2d(in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding,
                     bias=conv.bias is not None)


# Smallest input each definition accepts (torchvision's weights metadata, `meta["min_size"]`).
MIN_SIZE = {"alexnet": 63, "googlenet": 15, "resnet18": 1, "vgg16": 32}


def _arguments(num_classes, in_channels, backend) -> tuple[int, int]:
    """(classes, in_channels) checked; these torchvision networks run plain torch (see `c.torch_only`)."""
    c.torch_only(backend)
    return num_classes or IMAGENET_CLASSES, c.check_in_channels(in_channels)


def _finish(model: nn.Module, name: str, num_classes: int, in_channels: int, input_size) -> nn.Module:
    model.num_classes = num_classes
    model.input_size = c.input_size(input_size, in_channels, IMAGENET_INPUT[1:])
    if min(model.input_size[1:]) < MIN_SIZE[name]:
        raise ValueError(f"input_size: {name} needs H, W >= {MIN_SIZE[name]}, got {model.input_size}")
    return model


@register_model("alexnet")
def alexnet(*, num_classes=None, in_channels=3, input_size=None, backend="auto"):
    """AlexNet (torchvision.models.alexnet, weights=None).

    Like every reference network it has no factorized layers: `backend` may only be 'auto' or 'torch'."""
    n, in_channels = _arguments(num_classes, in_channels, backend)
    model = tv.alexnet(weights=None, num_classes=n)
    model.features[0] = _replace_first_conv(model.features[0], in_channels)
    return _finish(model, "alexnet", n, in_channels, input_size)


@register_model("googlenet")
def googlenet(*, num_classes=None, in_channels=3, input_size=None, backend="auto"):
    """GoogLeNet (torchvision.models.googlenet, weights=None) without the auxiliary classifiers.

    aux_logits=False, init_weights=True, transform_input=False: the inference network."""
    n, in_channels = _arguments(num_classes, in_channels, backend)
    model = tv.googlenet(weights=None, num_classes=n, aux_logits=False, init_weights=True, transform_input=False)
    model.conv1.conv = _replace_first_conv(model.conv1.conv, in_channels)
    return _finish(model, "googlenet", n, in_channels, input_size)


@register_model("resnet18")
def resnet18(*, num_classes=None, in_channels=3, input_size=None, backend="auto"):
    """ResNet-18 (torchvision.models.resnet18, weights=None)."""
    n, in_channels = _arguments(num_classes, in_channels, backend)
    model = tv.resnet18(weights=None, num_classes=n)
    model.conv1 = _replace_first_conv(model.conv1, in_channels)
    return _finish(model, "resnet18", n, in_channels, input_size)


@register_model("vgg16")
def vgg16(*, num_classes=None, in_channels=3, input_size=None, backend="auto"):
    """VGG-16 (torchvision.models.vgg16, configuration D without batch norm, weights=None)."""
    n, in_channels = _arguments(num_classes, in_channels, backend)
    model = tv.vgg16(weights=None, num_classes=n)
    model.features[0] = _replace_first_conv(model.features[0], in_channels)
    return _finish(model, "vgg16", n, in_channels, input_size)
