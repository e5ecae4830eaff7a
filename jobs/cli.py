"""``python -m jobs run|status|collect|list|show|env``: run an experiment, see its runs, gather its table, show
where its setting comes from. The results root is --results, else $SUITE_RESULTS, else results/ of this
checkout. Experiments and models of your own: ``--config my_experiment.toml`` and ``--import mypkg.models`` on
every subcommand (docs/user-experiments.md).

This module parses the command line and dispatches; each subcommand's logic is in its own module
(:mod:`jobs.launch`, :mod:`jobs.status`, :mod:`jobs.collect`, :mod:`jobs.show`)."""
from __future__ import annotations

import argparse
import signal
import sys

from suite import experiments, host, profiles, runs

from . import env, executors
from .collect import add_options as collect_options
from .collect import cmd_collect
from .launch import add_log_option, cmd_run, parse_seeds
from .reference import cmd_reference
from .show import LIST_KEYS, cmd_list, cmd_show
from .status import EXIT_CODES as STATUS_EXIT_CODES
from .status import JSON_ROW_KEYS, cmd_status
from .status import add_options as status_options


def validated(check, prefix: str = ""):
    """An argparse ``type=`` that checks a value with ``check`` (which raises ValueError naming what is
    valid) and keeps the text: argparse then names the option in its error and exits 2."""
    def convert(text: str) -> str:
        try:
            check(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(prefix)) from None
        return text
    convert.__name__ = getattr(check, "__name__", "value")
    return convert


def positive_int(text: str) -> int:
    """argparse ``type=``: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative(kind):
    """argparse ``type=``: a number of ``kind`` (int, float) >= 0."""
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = -1
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"expected a non-negative {kind.__name__}, got {text!r}")
        return value
    convert.__name__ = f"non-negative {kind.__name__}"
    return convert

EXAMPLES = {
    "run": """examples:
  python -m jobs run fcnn-table2                                   # local profile, pool executor
  python -m jobs run fcnn-table2 --models fcnn-a,fcnn-e --seeds 0,1 --set recipe.epochs=2 --log tensorboard
  python -m jobs run fcnn-table7 --profile paper --data /data/imagenet --executor slurm --dry-run
  python -m jobs run hocp-table1 --profile paper --data /data/cifar10 --executor slurm --partition gpu --no-wait

your own experiment and models: --config my_experiment.toml --import my_models (docs/user-experiments.md)
--log tensorboard: live curves, each epoch as it ends, in <run dir>/tb/ (`tensorboard --logdir results/`).
""",
    "status": """examples:
  python -m jobs status                                # every experiment with runs
  python -m jobs status fcnn-table2 --profile local
  python -m jobs status fcnn-table2 --state unfinished,failed --set recipe.epochs=1
  python -m jobs status fcnn-table2 --json | jq '.runs[] | select(.state != "finished")'

The last line is the summary: how many runs are finished, running, unfinished, failed, bad, not started.
Without EXPERIMENT only the started runs of each experiment are listed and counted.
--json prints one object: "summary" (those counts and "runs", their total), "exit_status", and "runs", a
list of rows, one per run, each with the keys: """ + ", ".join(JSON_ROW_KEYS) + """
(state: not started, running, unfinished, failed, finished or bad; description: the text line's state;
job_state: the scheduler's, for submitit jobs; error: why a job ended without a finished run).

""" + STATUS_EXIT_CODES + "\n",
    "collect": """examples:
  python -m jobs collect fcnn-table2                   # waits for submitted jobs, then the table and curves
  python -m jobs collect fcnn-table7 --profile paper --data /data/imagenet --timeout 600
  python -m jobs collect fcnn-table2 --set recipe.epochs=1 --out /tmp/tables   # fcnn_table2_local_<identity>.md
  python -m jobs collect fcnn-table2 --strict         # exit 1 if a model has no finished run

Output files are named after the experiment and profile (fcnn_table2_local.md, .csv, .tex, ...); a configuration
other than the profile's own (--set, --sweep) adds its short identity (fcnn_table2_local_<identity>.md), so it
never overwrites the profile's. With no finished run the table is still written and stderr says so.
exit status: 0 (the table was written), 1 with --strict when a model has no finished run, 2 for a usage error
(an unknown experiment, profile or --set key, an --out that cannot be written, --timeout reached).
""",
    "list": """examples:
  python -m jobs list
  python -m jobs list --json

--json prints a list of experiments, each with the keys: """ + ", ".join(LIST_KEYS) + """
(runs_of: the experiment whose runs it reads, e.g. FCNN Figure 2 reads FCNN Table 7's).
""",
    "show": """examples:
  python -m jobs show fcnn-table2                      # the local profile, as run and collect
  python -m jobs show fcnn-table2 --profile paper      # the paper's setting: every field stated or chosen
  python -m jobs show hocp-table1 --set recipe.epochs=10
""",
    "reference": """examples:
  python -m jobs reference refresh                     # train every local profile, then rebuild reference/
  python -m jobs reference refresh --from results      # take the finished local runs of a results root
  python -m jobs reference refresh --experiments fcnn-table2,hocp-table1 --from results
""",
}


def sweep_options(sp) -> None:
    """--sweep / --no-sweep of ``run`` and ``collect`` (see jobs.sweeps)."""
    sp.add_argument("--sweep", action="append", metavar="KEY=V1,V2,...",
                    help="train (run) or select from (collect) a grid: every value of KEY (keys as for --set; "
                         "repeatable, several keys give their product); each model's point is selected by its mean "
                         "final validation top-1 over seeds (default: the experiment's own grid for the profile, "
                         "if any)")
    sp.add_argument("--no-sweep", action="store_true", help="ignore the experiment's default grid: one configuration")


USER_HELP = {
    "config": "an experiment of your own, from a TOML file (docs/user-experiments.md); repeatable; with one, "
              "EXPERIMENT defaults to its name",
    "import": "import this module first (your models: its @register_model); repeatable",
}


def user_options(sp) -> None:
    """--config and --import, on every subcommand (read before the parser is built: see `preload`)."""
    sp.add_argument("--config", action="append", metavar="FILE.toml", help=USER_HELP["config"])
    sp.add_argument("--import", dest="imports", action="append", metavar="MODULE", help=USER_HELP["import"])


def preload(argv) -> list[str]:
    """Import the ``--import`` modules and register the ``--config`` experiments, before the parser is built (its
    choices, defaults and "did you mean" include them); returns the names of the experiments registered. A module
    that cannot be imported or a bad file is a ValueError naming it."""
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    user_options(pre)
    known, _ = pre.parse_known_args(argv)
    return list(dict.fromkeys(experiments.load_all(known.config or (), known.imports or ())))  # a file given twice


def parser(configs=()) -> argparse.ArgumentParser:
    """The command line; ``configs``: the names of the experiments registered from --config files (`preload`)."""
    p = argparse.ArgumentParser(prog="python -m jobs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {runs.project_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    experiment_type = validated(experiments.get)
    profile_type, executor_type = validated(profiles.check_profile), validated(executors.check_name)

    def add(name, **kw):
        sp = sub.add_parser(name, epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter, **kw)
        user_options(sp)
        return sp

    def experiment(sp, **kw):
        sp.add_argument("experiment", type=experiment_type, choices=experiments.names(), metavar="EXPERIMENT",
                        **{"help": f"one of: {', '.join(experiments.names())}", **kw})

    # one --config file: its experiment is the default EXPERIMENT
    only = {"nargs": "?", "default": configs[0], "help": f"default: {configs[0]} (--config)"} if len(configs) == 1 \
        else {}

    def common(sp, experiment_required=True):
        if experiment_required:
            experiment(sp, **only)
        else:
            experiment(sp, **{"nargs": "?", "help": f"default: every experiment (one of: "
                                                    f"{', '.join(experiments.names())})", **only})
        sp.add_argument("--results", default=None, help=runs.RESULTS_HELP)

    def profile(sp, default, what=""):
        sp.add_argument("--profile", default=default, type=profile_type, choices=profiles.PROFILES,
                        help=f"one of {', '.join(profiles.PROFILES)} ({what or f'default {default}'})")

    def configuration(sp, what):
        sp.add_argument("--data", default=None, help="dataset directory (paper profile): part of a run's identity")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help=f"override the profile's setting, e.g. recipe.epochs=1, train_limit=500, "
                             f"model.width=0.5, seeds=[0,1] (repeatable; {what})")

    r = add("run", help="train an experiment's models")
    common(r)
    profile(r, "local")
    r.add_argument("--executor", default=executors.DEFAULT, type=executor_type, choices=executors.names(),
                   help=f"one of {', '.join(executors.names())} (default %(default)s, as `make`)")
    configuration(r, "the run's config records it")
    sweep_options(r)
    r.add_argument("--models", default=None, help="comma-separated subset of the experiment's models")
    r.add_argument("--seeds", default=None, type=validated(parse_seeds, "--seeds: "),
                   help="comma-separated seeds (default: the profile's)")
    r.add_argument("--workers", type=positive_int, default=None,
                   help="pool executor: worker processes (default: cores)")
    r.add_argument("--no-wait", action="store_true", help="submit and return (cluster executors)")
    r.add_argument("--no-progress", action="store_true", help="no tqdm bars (plain lines: the pool's workers, epochs)")
    add_log_option(r)
    r.add_argument("--dry-run", action="store_true", help="print what would be submitted (runs, executor, "
                   "resources, the slurm executor's sbatch script) and write nothing")
    g = r.add_argument_group("cluster resources (slurm executor; override the profile's)")
    g.add_argument("--partition", help=executors.RESOURCE_KEYS["partition"])
    g.add_argument("--account", help=executors.RESOURCE_KEYS["account"])
    g.add_argument("--constraint", help=executors.RESOURCE_KEYS["constraint"])
    g.add_argument("--time", type=validated(executors.parse_time, "time: "),
                   help="time limit per run: minutes or [D-]H:M:S")
    g.add_argument("--gpus", type=non_negative(int), help="GPUs per node")
    g.add_argument("--cpus", type=positive_int, help="CPUs per task")
    g.add_argument("--mem", type=positive_int, help="memory per node, GB")
    g.add_argument("--nodes", type=positive_int, help=executors.RESOURCE_KEYS["nodes"])
    g.add_argument("--tasks-per-node", type=positive_int, help=executors.RESOURCE_KEYS["tasks_per_node"])
    g.add_argument("--array-parallelism", type=positive_int, help="at most this many runs of the array at once")
    r.set_defaults(fn=cmd_run)
    s = add("status", help="state of each run of an experiment")
    common(s, experiment_required=False)
    profile(s, None, "default: every profile")
    status_options(s)
    s.set_defaults(fn=cmd_status)
    c = add("collect", help="render the experiment's table/figure from its finished runs")
    common(c)
    profile(c, "local")
    configuration(c, "default: the profile's own setting")
    sweep_options(c)
    c.add_argument("--out", default=None, help="output directory (default: paper_tables/out)")
    c.add_argument("--timeout", type=non_negative(float), default=None,
                   help="seconds to wait for submitted jobs (default: no limit)")
    collect_options(c)
    c.set_defaults(fn=cmd_collect)
    ls = add("list", help="experiments, profiles, executors")
    ls.add_argument("--json", action="store_true", help="print the experiments as a JSON list (keys below)")
    ls.set_defaults(fn=cmd_list)
    sh = add("show", help="an experiment's models, resources and setting, each field stated by the paper or "
                          "chosen (and why)")
    experiment(sh, **only)
    profile(sh, "local")
    sh.add_argument("--set", action="append", metavar="KEY=VALUE", help="as for `run`")
    sh.set_defaults(fn=cmd_show)
    rf = add("reference", help="rebuild the reference results shipped in reference/ (docs/reference.md)")
    rf.add_argument("action", choices=("refresh", "train"),
                    help="refresh: train (or take --from) and copy, manifest last; train: only train into --work "
                         "(wall times kept there), for a later `refresh --from WORK`")
    rf.add_argument("--experiments", default=None, help="comma-separated experiments (default: every one)")
    rf.add_argument("--from", dest="source", default=None, metavar="RESULTS",
                    help="take the finished local runs of this results root instead of training")
    rf.add_argument("--work", default=None, help="results root to train into (default: a new temporary directory)")
    rf.add_argument("--reference", default=None, help="reference root (default: $SUITE_REFERENCE, else reference/)")
    rf.set_defaults(fn=cmd_reference)
    env.add_parser(sub)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        configs = preload(argv)
    except ValueError as e:  # a module that cannot be imported, a bad experiment file: one line
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        args = parser(configs).parse_args(argv)
    except SystemExit as e:  # --help, --version (0) or a usage error (2, argparse's message on stderr)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if hasattr(args, "results"):  # at call time, so $SUITE_RESULTS set after import applies
        args.results = str(runs.results_root(args.results))
    try:
        return args.fn(args)
    except KeyboardInterrupt as e:  # SIGINT/SIGTERM (jobs.launch.Interrupted) or Ctrl-C elsewhere: one line
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"interrupted by {signal.Signals(signum).name}: pending runs cancelled, running ones stopped "
              f"(they resume from their last checkpoint)", file=sys.stderr, flush=True)
        return 128 + signum
    except TimeoutError as e:  # collect --timeout
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # unknown names, bad --set, missing data: one clear line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    except host.LockUnsupported as e:  # a results root on a mount without flock: one line naming the mount
        print(f"error: {e.strerror}", file=sys.stderr)
        return 2
    except OSError as e:  # e.g. a results directory that cannot be written
        where = f"{e.filename}: {e.strerror or e}" if e.filename else str(e)
        print(f"error: {where}; check the path and its permissions (--results)", file=sys.stderr)
        return 2
