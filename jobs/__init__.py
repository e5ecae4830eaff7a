"""Training the experiments of `suite.experiments` (one module per table/figure of both papers): executors,
submission and the CLI (``python -m jobs run|status|collect|list``). Data flows one way: jobs -> suite.train ->
results/ -> paper_tables."""
from suite.experiments import EXPERIMENTS, Experiment, Setting, get, names
from suite.profiles import PROFILES

from .runner import Task, run_one, tasks_for

__all__ = ["EXPERIMENTS", "PROFILES", "Experiment", "Setting", "get", "names", "Task", "run_one", "tasks_for"]
