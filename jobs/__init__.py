"""Experiment definitions per table/figure of both papers, profiles, executors, and the CLI
(``python -m jobs run|status|collect|list``). Data flows one way: jobs -> suite.train -> results/ ->
paper_tables."""
from suite.profiles import PROFILES

from .experiments import EXPERIMENTS, Experiment, Setting, get, names
from .runner import Task, run_one, tasks_for

__all__ = ["EXPERIMENTS", "PROFILES", "Experiment", "Setting", "get", "names", "Task", "run_one", "tasks_for"]
