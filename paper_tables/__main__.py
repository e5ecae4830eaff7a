"""`python -m paper_tables [--out DIR] [--only NAME ...]`: regenerate the papers' tables and figures.

Generators read `suite.complexity` (no training) and, for accuracy tables, finished runs under results/.
`make tables` runs every generator.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import accuracy, complexity
from ._render import atomic_write

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
# name -> generate(out_dir) -> list of written paths. Other generators (accuracy tables) register here.
GENERATORS = {"complexity": complexity.generate, "accuracy": accuracy.generate}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper_tables", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--only", nargs="+", choices=sorted(GENERATORS), help="run only these generators")
    parser.add_argument("--readme", type=Path, help="also paste the complexity tables into this README, between "
                        f"{README_START!r} and {README_END!r}")
    args = parser.parse_args(argv)
    for name in args.only or sorted(GENERATORS):
        paths = GENERATORS[name](args.out)
        print(f"{name}: wrote {len(paths)} files under {args.out}")
        for p in paths:
            print(f"  {p}")
    if args.readme:
        update_readme(args.readme, (args.out / "complexity.md").read_text())
        print(f"updated the complexity tables in {args.readme}")
    return 0


README_START, README_END = "<!-- complexity-tables:start -->", "<!-- complexity-tables:end -->"


def update_readme(readme: Path, tables_md: str) -> None:
    """Replace the block between the README markers with `tables_md` (headings demoted one level)."""
    text = readme.read_text()
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(f"readme: expected one {README_START!r} and one {README_END!r} marker in {readme}")
    head, rest = text.split(README_START)
    _, tail = rest.split(README_END)
    body = tables_md.split("\n", 2)[2].replace("### ", "#### ")  # drop the file's own title
    atomic_write(readme, f"{head}{README_START}\n{body.strip()}\n{README_END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
