"""HO-CP Figure 5: the FLOPs of a 3×3×3 convolution, regular vs HO-CP, over channel pairs. A complexity figure
(`paper_tables.complexity`, no training): its paper values and its claim, shown with HO-CP Table 2's.
"""
from __future__ import annotations

from .claim import Claim, Count

# HO-CP Figure 5 (its caption): a 3×3×3 convolution on a 32×32×16 input, CP ranks 6 and 3 times the input
# channels. The figure prints no numbers and does not list the channel pairs of its x-axis.
HOCP_FIGURE5_INPUT = (32, 32, 16)
HOCP_FIGURE5_RANKS = (3, 6)
# The figure does not list the channel pairs of its x-axis: we sweep C×T over powers of two 16..512 (the
# complexity figure and the measured one, `python -m suite.bench models`, share it).
FIGURE5_PAIRS = [(16, 16), (16, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256),
                 (256, 512), (512, 512)]


def _max_ratio(cx) -> float:
    """The largest CP-HOConv / 3D-Conv GFLOPs ratio over Figure 5's sweep (`cx`: `paper_tables.complexity`)."""
    return max(row[f"CP-HOConv-{r}"] / row["3D-Conv"] for row in cx.figure5_data() for r in HOCP_FIGURE5_RANKS)


CLAIMS = (
    Claim("hocp-fig5-fewer-flops", "HO-CP", "HO-CP Figure 5", "Our proposed HO-CP convolution, here for a rank equal "
          "to 6 and 3 times the input channels (CP-HOConv-6 and CP-HOConv-3), has significantly less FLOP than the "
          "regular convolution (3D-Conv).", Count(_max_ratio, "<", 1.0,
                                                  what="largest CP-HOConv / 3D-Conv GFLOPs over Figure 5's sweep"),
          "hocp-table2"),
)
