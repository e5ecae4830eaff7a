"""Initialization helpers: factors scaled so the equivalent dense kernel has Kaiming variance 2 / fan_in."""
from __future__ import annotations

import math

import torch
from torch import nn


def normal_(p: torch.Tensor, variance: float) -> torch.Tensor:
    with torch.no_grad():
        return p.normal_(0.0, math.sqrt(variance))


def kaiming_variance(fan_in: int) -> float:
    return 2.0 / fan_in  # He et al. 2015, ReLU gain


def param(*shape: int) -> nn.Parameter:
    return nn.Parameter(torch.empty(*shape))
