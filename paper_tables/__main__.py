"""`python -m paper_tables [EXPERIMENT] [--profile P] [--out DIR] [--only NAME ...]`: regenerate the papers'
tables and figures.

With EXPERIMENT: that table (or "complexity": every complexity table), printed as Markdown. Without:
every generator, each accuracy table for the local profile and every other profile that has runs.
`python -m paper_tables curves EXPERIMENT [--profile P]`: training curves of its runs (see
`paper_tables.curves`). An experiment of your own: ``--config my_experiment.toml`` (and ``--import`` the modules
of its models), as for ``python -m jobs`` (docs/user-experiments.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from suite import runs
from suite.runs.reference import BadReference

from . import GENERATORS, PROFILE_FREE, PROFILES, profiles_with_runs, render
from ._render import OUT_DIR, write_text

EXAMPLES = """examples:
  python -m paper_tables                              # every table and figure -> paper_tables/out/
  python -m paper_tables fcnn-table2 --profile local  # one table, printed as Markdown
  python -m paper_tables --only complexity --readme README.md
  python -m paper_tables curves fcnn-table2           # training curves (see `curves --help`)
  python -m paper_tables claims --bench cpu.json gpu.json  # every claim, efficiency ones also in seconds
  python -m paper_tables --config my_experiment.toml --import my_models  # your experiment's table
"""
GROUPS = {"accuracy": [n for n in GENERATORS if n not in PROFILE_FREE]}  # --only accuracy: every accuracy table
README_START, README_END = "<!-- complexity-tables:start -->", "<!-- complexity-tables:end -->"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["curves"]:
        from .curves import main as curves
        return curves(argv[1:])
    try:
        configs = _preload(argv)
    except ValueError as e:  # a module that cannot be imported, a bad experiment file: one line
        print(f"error: {e}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m paper_tables", description=__doc__.split("\n\n")[0],
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {runs.project_version()}")
    parser.add_argument("experiment", nargs="?", choices=sorted([*GENERATORS, *configs]),
                        default=configs[0] if len(configs) == 1 else None,
                        help="render only this one and print it" + (f" (default {configs[0]}, --config)"
                                                                    if len(configs) == 1 else ""))
    _user_options(parser)
    parser.add_argument("--profile", choices=PROFILES, help="profile of the runs to read (default: local with an "
                        "EXPERIMENT; without, local and every profile that has runs)")
    parser.add_argument("--results", type=Path, help=runs.RESULTS_HELP)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output directory (default {OUT_DIR})")
    parser.add_argument("--only", nargs="+", choices=sorted([*GENERATORS, *GROUPS]), help="run only these generators")
    parser.add_argument("--bench", nargs="+", metavar="FILE", help="model-timing JSONs (`python -m suite.bench "
                        "models --json FILE`, one per device): the claims page judges every efficiency claim in "
                        "seconds too, and writes claims_time.md and the figures in seconds")
    parser.add_argument("--readme", type=Path, help="also paste the complexity tables into this README, between "
                        f"{README_START!r} and {README_END!r}")
    args = parser.parse_args(argv)
    if args.readme is not None and not args.readme.is_file():  # before anything is rendered
        print(f"error: --readme {args.readme}: no such file; expected an existing README holding the markers "
              f"{README_START!r} and {README_END!r}", file=sys.stderr)
        return 2
    benches = _benches(args.bench)
    if isinstance(benches, str):
        print(f"error: {benches}", file=sys.stderr)
        return 2
    try:
        _render_all(args, benches)
    except BadReference as e:  # the shipped reference changed since its manifest: one line naming the file
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _render_all(args, benches) -> None:
    """Every generator asked for (one experiment printed, or all written), and the README's tables."""
    if args.experiment:
        print(_render_one(args.experiment, args.profile or "local", args.results, args.out, benches))
    else:
        names = [n for name in args.only or GENERATORS for n in GROUPS.get(name, [name])]
        for name in dict.fromkeys(names):
            profiles = [args.profile] if args.profile else profiles_with_runs(name, args.results)
            for profile in ["local"] if name in PROFILE_FREE else profiles:
                _render_one(name, profile, args.results, args.out, benches)
                print(f"{name}" + ("" if name in PROFILE_FREE else f" [{profile}]") + f": written under {args.out}")
    if args.readme:
        update_readme(args.readme, (args.out / "complexity.md").read_text())
        print(f"updated the complexity tables in {args.readme}")


def _user_options(parser) -> None:
    parser.add_argument("--config", action="append", metavar="FILE.toml",
                        help="an experiment of your own (docs/user-experiments.md); repeatable")
    parser.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                        help="import this module first (your models); repeatable")


def _preload(argv) -> list[str]:
    """Import the --import modules, register the --config experiments (before the parser: its choices name them)."""
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _user_options(pre)
    known, _ = pre.parse_known_args(argv)
    from suite import experiments
    return experiments.load_all(known.config or (), known.imports or ())


def _render_one(name: str, profile: str, results_root, out_dir, benches) -> str:
    """`render`, except that the claims page also gets the model-timing JSONs (only it reads them)."""
    if name == "claims":
        from .claims import render as claims_page
        return claims_page(name, profile, results_root, out_dir, benches=benches)
    return render(name, profile, results_root, out_dir)


def _benches(paths):
    """The loaded model-timing JSONs (none: []), or the one-line error of the first that cannot be read."""
    from .time_verdicts import BenchError, load_benches

    try:
        return load_benches(paths or [])
    except BenchError as err:
        return str(err)


def update_readme(readme: Path, tables_md: str) -> None:
    """Replace the block between the README markers with `tables_md` (headings demoted one level)."""
    text = readme.read_text()
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(f"readme: expected one {README_START!r} and one {README_END!r} marker in {readme}")
    head, rest = text.split(README_START)
    _, tail = rest.split(README_END)
    body = tables_md.split("\n", 2)[2].replace("### ", "#### ")  # drop the file's own title
    write_text(readme, f"{head}{README_START}\n{body.strip()}\n{README_END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
