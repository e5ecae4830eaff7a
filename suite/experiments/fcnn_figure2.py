"""FCNN Figure 2: accuracy vs multiplications of model L and the reference networks; it plots the runs of
FCNN Table 7 (`fcnn_table7`: its settings, provenance and paper values)."""
from __future__ import annotations

from .fcnn_table7 import LOCAL_REFERENCE, PAPER_TORCH
from .fcnn_table7 import PROVENANCE as PROVENANCE
from .setting import experiment

NAME = "fcnn-figure2"
EXPERIMENT = experiment(NAME, "FCNN", "Figure 2", ["fcnn-l", "alexnet", "googlenet", "resnet18"], PAPER_TORCH,
                        LOCAL_REFERENCE, runs_of="fcnn-table7",
                        note="accuracy vs multiplications; plots Table 7's runs")
CLAIMS = ()
