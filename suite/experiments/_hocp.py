"""What HO-CP's experiments share: the paper's recipes (Sec. 4.2 on Jester; the CIFAR-10 one is ours, the
paper states none) and the sentences their provenance quotes.

HO-CP: *Efficient N-Dimensional Convolutions via Higher-Order Factorization* (Kossaifi, Bulat, Panagakis, Pantic).
"""
from __future__ import annotations

from .provenance import Stated
from .recipe import Recipe

# HO-CP Sec. 4.2 (batch 32 on Jester, lr validated in [1e-5, 0.1], ×0.1 on plateau); the CIFAR-10 recipe is
# MobileNet-v2's common one (chosen, see hocp_table1.PROVENANCE).
HOCP_JESTER = Recipe(lr=0.01, momentum=0.9, weight_decay=1e-4, batch_size=32, epochs=60, schedule="plateau",
                     min_lr=1e-5)
HOCP_CIFAR = Recipe(lr=0.1, momentum=0.9, weight_decay=4e-5, batch_size=128, epochs=200, schedule="plateau",
                    min_lr=1e-5)

TORCHVISION_VIDEO = "torchvision's video classification reference recipe (references/video_classification)"
H_LR = "We validated the learning rate in the range 0.1, 0.00001 with decay on plateau by a factor of 10."


def stated(section: str, quote: str) -> Stated:
    return Stated("HO-CP", section, quote)


H_RUNS = stated("Sec. 4.2", "In all cases we report average performance on the over 3 runs.")
