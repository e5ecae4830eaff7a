"""FCNN Table 2 (models A–F): ``python -m paper_tables.fcnn_table2 [--profile local|paper]``."""
import sys

from .fcnn_accuracy import main

if __name__ == "__main__":
    sys.exit(main(experiment="fcnn-table2"))
