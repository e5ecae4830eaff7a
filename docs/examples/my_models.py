"""An example module of your own models (docs/user-experiments.md): a small CNN and the same network with every
3×3 convolution factorized into a depthwise 3×3 and a pointwise 1×1 convolution (MobileNet's separable form).

Registered through the suite's own registry, so ``suite.models.build("my-separable-cnn")`` and every ``jobs``
command find them once this module is imported: ``python -m jobs run --config my_experiment.toml --import
my_models`` with this file's directory on ``PYTHONPATH`` (or its name under ``imports`` in the TOML file).

A builder takes keyword arguments only: ``num_classes`` (None: your default) and the overrides the experiment
file's ``[model]`` table may set; ``in_channels`` is filled in from the dataset when the file does not set it.
"""
from torch import nn

from suite.models import register_model


def _conv(cin: int, cout: int, separable: bool) -> nn.Sequential:
    if separable:  # depthwise 3×3 (one filter per channel), then pointwise 1×1 across channels
        layers = [nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), nn.Conv2d(cin, cout, 1, bias=False)]
    else:
        layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False)]
    return nn.Sequential(*layers, nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _cnn(separable: bool, num_classes=None, in_channels: int = 1, width: int = 16) -> nn.Module:
    if not (isinstance(width, int) and width > 0):
        raise ValueError(f"width: expected a positive int (channels of the first stage), got {width!r}")
    net = nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
        _conv(width, width, separable), nn.MaxPool2d(2),
        _conv(width, 2 * width, separable), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, num_classes or 10))
    net.num_classes = num_classes or 10
    return net


@register_model("my-cnn")
def my_cnn(*, num_classes=None, in_channels: int = 1, width: int = 16) -> nn.Module:
    """Three 3×3 convolutions (the first kept dense in both models), two max-pools, global average pool."""
    return _cnn(False, num_classes, in_channels, width)


@register_model("my-separable-cnn")
def my_separable_cnn(*, num_classes=None, in_channels: int = 1, width: int = 16) -> nn.Module:
    """`my_cnn` with its second and third 3×3 convolutions depthwise-separable."""
    return _cnn(True, num_classes, in_channels, width)
