"""FCNN Sec. 2.3, argued but never tested: Model E with and without the single-basis layers' residual ("the
residual learning is necessary"), on FCNN Table 2's setting (E is compared with its ablation on equal footing).
"""
from __future__ import annotations

from ._fcnn import PAPER_IMAGENET
from .claim import Claim, Compare
from .fcnn_table2 import LOCAL_TABLE2
from .fcnn_table2 import PAPER_ACCURACY as PAPER_ACCURACY  # the paper prints E's (Table 2), not the ablation's
from .fcnn_table2 import PROVENANCE as TABLE2_PROVENANCE
from .setting import experiment

NAME = "fcnn-residual"
EXPERIMENT = experiment(NAME, "FCNN", "Sec. 2.3", ["fcnn-e", "fcnn-e-no-residual"], PAPER_IMAGENET, LOCAL_TABLE2,
                        note="Model E with and without the single-basis layers' residual ('the residual learning is "
                             "necessary')")
PROVENANCE = TABLE2_PROVENANCE
CLAIMS = (
    Claim("fcnn-residual-necessary", "FCNN", "FCNN Sec. 2.3", "If each channel is only allowed to be convolved with "
          "one basis, then the output of the convolution may not be able to keep all the useful information from the "
          "input due to rank deficiency. Therefore, the residual learning is necessary here to address this "
          "problem. [tested: Model E beats E without the residual, same multiplications]",
          Compare("better", "fcnn-e", "fcnn-e-no-residual"), NAME),
    Claim("fcnn-residual-speeds-training", "FCNN", "FCNN Sec. 3", "According to both [5] and [13], the addition of "
          "residual learning with not affect the final accuracy for not extremely deep model like our baselines, but "
          "will speed up the training process. [tested on the residual the suite can remove, Model E's: E is ahead "
          "of E without the residual in validation top-1 after the first epoch, same recipe and seeds]",
          Compare("better", "fcnn-e", "fcnn-e-no-residual", metric="val_top1@1"), NAME),
)
