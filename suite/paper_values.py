"""The papers' printed values that the models' descriptions quote, gathered from their experiments' modules
(`suite.experiments`, where each value lives with the table that prints it)."""
from __future__ import annotations

from suite.experiments import doc  # noqa: F401
from suite.experiments._fcnn import FCNN_TABLE1_OUTPUT, FCNN_TABLE3  # noqa: F401
from suite.experiments.fcnn_table2 import FCNN_MODEL_A_MULT, FCNN_TABLE2  # noqa: F401
from suite.experiments.fcnn_table4 import FCNN_H_REDUCTION, FCNN_TABLE4  # noqa: F401
from suite.experiments.fcnn_table5 import FCNN_TABLE5  # noqa: F401
from suite.experiments.fcnn_table7 import (  # noqa: F401
                                           FCNN_GOOGLENET_OVER_L,
                                           FCNN_L_SAME_COMPLEXITY,
                                           FCNN_TABLE7,
                                           FCNN_TABLE7_SOURCES,
)
from suite.experiments.hocp_figure5 import HOCP_FIGURE5_INPUT, HOCP_FIGURE5_RANKS  # noqa: F401
from suite.experiments.hocp_table1 import HOCP_TABLE1  # noqa: F401
from suite.experiments.hocp_table2 import HOCP_SAVED_PARAMS, HOCP_TABLE2  # noqa: F401
