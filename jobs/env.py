"""``python -m jobs env``: every environment variable the project reads (suite.envvars), with the value set now."""
from __future__ import annotations

import argparse
from pathlib import Path

from suite import envvars
from suite.host import atomic_write_bytes

EXAMPLES = """examples:
  python -m jobs env                                   # each variable: its value now, or its default
  python -m jobs env --json
  python -m jobs env --write-doc docs/environment.md   # what `make docs` does
"""


def add_parser(sub) -> None:
    e = sub.add_parser("env", help="the environment variables the project reads, with their values now",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("--json", action="store_true", help="print a JSON list: name, value (null: not set), default, "
                                                      "meaning, read_by, group")
    e.add_argument("--write-doc", type=Path, metavar="FILE", help="write the Markdown table (docs/environment.md)")
    e.set_defaults(fn=cmd_env)


def cmd_env(args) -> int:
    if args.write_doc:
        atomic_write_bytes(args.write_doc, envvars.markdown().encode())
        print(f"written {args.write_doc}")
    elif args.json:
        import json
        now = envvars.current()
        print(json.dumps([{"name": v.name, "value": now[v.name], **v._asdict()} for v in envvars.VARIABLES], indent=1))
    else:
        print(envvars.table())
    return 0
