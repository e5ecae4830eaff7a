"""`python -m suite.bench`: see the package docstring (`suite/bench/__init__.py`)."""
import sys

from suite.bench.cli import main

sys.exit(main())
