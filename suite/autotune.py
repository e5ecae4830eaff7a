"""`python -m suite.autotune list|clear|path`: the measured choices of `backend="auto"` on this machine.

See `suite.ops.autotune` (what is measured, the cache key, the per-node cache directory, the off switch
SUITE_AUTOTUNE=0).
"""
from __future__ import annotations

import argparse
import json
import sys

from suite.ops import autotune


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.autotune", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print every cached choice (op, call key, chosen implementation)")
    sub.add_parser("clear", help="delete this machine's cache file")
    sub.add_parser("path", help="print the cache file of this machine (fingerprint included)")
    args = ap.parse_args(argv)
    if args.command == "path":
        print(autotune.cache_file())
        print(json.dumps(autotune.fingerprint(), indent=1))
    elif args.command == "clear":
        print(f"removed {autotune.clear()}")
    else:
        choices = autotune.cached()
        measuring = "on" if autotune.enabled() else "off"
        print(f"{len(choices)} choice(s) in {autotune.cache_file()} (measuring {measuring})")
        for key, choice in sorted(choices.items()):
            try:
                k = json.loads(key)
                shapes = " ".join(str(a[0]) if isinstance(a, list) and a and isinstance(a[0], list) else str(a)
                                  for a in k["args"])
                line = f"{k['op']:<20} {choice:<20} threads={k['threads']} grad={k['grad']} {shapes}"
            except (ValueError, LookupError, TypeError) as err:  # bad input: one line, exit 2, no traceback
                print(f"error: {autotune.cache_file()}: key {key[:60]!r} is not a call key written by suite.autotune "
                      f"({type(err).__name__}: {err}); remove the file with `python -m suite.autotune clear`",
                      file=sys.stderr)
                return 2
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
