"""FCNN Table 5: single-basis layers combined with 2-D topology (Sec. 3.3).

Its paper values, its settings per profile, their provenance and its claims.
"""
from __future__ import annotations

from dataclasses import replace

from ._fcnn import FCNN_CAFFE_FIELDS, LOCAL_FCNN, PAPER_IMAGENET, ratio_claim, table_quote
from .claim import MARGIN, Claim, Compare, printed_tol
from .fcnn_table4 import LOCAL_STEP_RECIPE
from .paper import FcnnRow, rows
from .setting import experiment

NAME = "fcnn-table5"

# ------------------------------------------------------------------------------------------ paper values
FCNN_TABLE5 = rows(  # FCNN Table 5: single basis layers combined with topological connection
    FcnnRow("fcnn-a", "Baseline", 59.0, 1.0),
    FcnnRow("fcnn-j", "2D Topology", 58.9, 0.5),
    FcnnRow("fcnn-k", "Single Basis & 2D Topology", 60.1, 0.25),
)
PAPER_ACCURACY = {m: {"top1": r.top1} for m, r in FCNN_TABLE5.items()}

# ---------------------------------------------------------------------------------------------- settings
# FCNN Table 5 (A, J, K): lr 0.05 instead of the Caffe recipe's 0.1, for all three models: at 0.1 model K
# (24 residual single-basis layers with topological projections, no BatchNorm) diverged in its first epoch
# on every seed (training loss 6.8-8.8, validation loss up to 2545) and ended at 51-77 % (3-seed half-width
# 35.7). Even at 0.05 K's first epoch stays at chance (training loss ~5.8) and it recovers over the next ones,
# so the spread between seeds is how far K got: measured 2026-11-23, 3 epochs of the plateau schedule over 15
# seeds gave K 87.0-93.3 % (sd 1.91, half-width 1.06; A 1.33, J 1.49), and the Table 4 step schedule (2 epochs
# at 0.05, one at 0.005) cut A's and J's sds to 0.72 and 0.61 but left K at 87.4-92.3 (sd 1.89, 7 seeds): the lr
# fell before K had recovered. Hence 4 epochs, 3 at 0.05 and the last at 0.005 (one K seed: 94.3 %), and 11
# seeds, as many as fit in 10 minutes at ~42 s of wall time per seed of the three models (4/3 of the 3-epoch
# setting's measured 31 s). Measured idle: 8 min 20 s, half-widths 0.24 / 0.36 / 0.77.
# lr 0.03 and 5 epochs (4 at 0.03, the last at 0.003) since 2026-12-05: with K's topological projections run by
# Alg. 4's kernel (commit 925520b) the idle reference run at 2e4ce11 took 4 min 40 s, but K's first epoch still
# diverged (training loss 3.98-6.62, validation at chance) and its 11 seeds spread over 90.0-96.5 % (sd 2.15,
# half-width 1.44; the two seeds at 90 had the worst first epochs). At lr 0.03 the worst of them (seed 5) ended
# its first epoch at loss 2.59 and reached 91.6 % validation top-1 after 3 epochs (87.2 at lr 0.05); the extra
# epoch pays for the lower lr within the budget (~5/4 of 4 min 40 s). One lr for all three models, as the paper's
# one recipe: the comparison stays at equal recipes.
LOCAL_TABLE5 = replace(LOCAL_FCNN, recipe=replace(LOCAL_STEP_RECIPE, lr=0.03, epochs=5, step_epochs=4),
                       seeds=tuple(range(11)))

EXPERIMENT = experiment(NAME, "FCNN", "Table 5", ["fcnn-a", "fcnn-j", "fcnn-k"], PAPER_IMAGENET, LOCAL_TABLE5,
                        note="single-basis layers combined with 2-D topology")
PROVENANCE = FCNN_CAFFE_FIELDS

# ------------------------------------------------------------------------------------------------ claims
T5 = "FCNN Sec. 3.3, Table 5"
_HALF = printed_tol("1")  # "by 1%": half a unit of its last digit
CLAIMS = (
    Claim("fcnn-t5-j-vs-a", "FCNN", T5, "When using 2D topology only, we maintain the same accuracy while reducing "
          "the complexity by half.", Compare("equivalent", "fcnn-j", "fcnn-a", margin=MARGIN), NAME),
    Claim("fcnn-t5-k-vs-a", "FCNN", T5, "Model K achieves best accuracy / complexity ratio, improving the accuracy by "
          "1% while being 4 times more efficient than model A. [by 1 %: K − A = 1 ± 0.5 point, half a unit of the "
          "printed digit]", Compare("within", "fcnn-k", "fcnn-a", bounds=(1 - _HALF, 1 + _HALF)), NAME),
    Claim("fcnn-t5-k-best-ratio-vs-j", "FCNN", T5, "Model K achieves best accuracy / complexity ratio [vs J]",
          Compare("better", "fcnn-k", "fcnn-j", per_cost=True), NAME),
    Claim("fcnn-t5-k-best-ratio-vs-a", "FCNN", T5, "Model K achieves best accuracy / complexity ratio [vs A]",
          Compare("better", "fcnn-k", "fcnn-a", per_cost=True), NAME),
    Claim("fcnn-t5-k-vs-j", "FCNN", "FCNN Table 5", table_quote(
        "5", FCNN_TABLE5["fcnn-k"].method, f"{FCNN_TABLE5['fcnn-k'].top1:g}%", FCNN_TABLE5["fcnn-j"].method,
        f"{FCNN_TABLE5['fcnn-j'].top1:g}%"), Compare("better", "fcnn-k", "fcnn-j"), NAME),
    *(ratio_claim(FCNN_TABLE5, m, "fcnn-a", NAME) for m in ("fcnn-j", "fcnn-k")),
)
