"""`python -m paper_tables [--out DIR] [--only NAME ...]`: regenerate the papers' tables and figures.

Generators read `suite.complexity` (no training) and, for accuracy tables, finished runs under results/.
`make tables` runs every generator.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import accuracy, complexity

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
# name -> generate(out_dir) -> list of written paths. Other generators (accuracy tables) register here.
GENERATORS = {"complexity": complexity.generate, "accuracy": accuracy.generate}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper_tables", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--only", nargs="+", choices=sorted(GENERATORS), help="run only these generators")
    args = parser.parse_args(argv)
    for name in args.only or sorted(GENERATORS):
        paths = GENERATORS[name](args.out)
        print(f"{name}: wrote {len(paths)} files under {args.out}")
        for p in paths:
            print(f"  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
