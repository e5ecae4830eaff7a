"""``python -m jobs list`` and ``python -m jobs show``: the experiments, and where one experiment's setting
comes from."""
from __future__ import annotations

import json

from suite import experiments, profiles

from . import executors, runner

LIST_KEYS = ("experiment", "paper", "target", "models", "runs_of", "profiles")


def cmd_list(args) -> int:
    if args.json:
        print(json.dumps([{"experiment": e.name, "paper": e.paper, "target": e.target, "models": list(e.models),
                           "runs_of": e.results_key, "profiles": [p for p in profiles.PROFILES if p in e.settings]}
                          for e in map(experiments.get, experiments.names())], indent=1))
        return 0
    for name in experiments.names():
        e = experiments.get(name)
        print(f"{name:<14} {e.paper} {e.target}: {', '.join(e.models)}")
    print(f"profiles: {', '.join(profiles.PROFILES)}; executors: {', '.join(executors.names())}")
    return 0


def cmd_show(args) -> int:
    from . import provenance
    exp = experiments.get(args.experiment)
    overrides = tuple(runner.parse_override(o) for o in args.set or ())
    setting = runner.setting_for(exp, profiles.check_profile(args.profile), overrides)
    print(f"models: {', '.join(exp.models)}" + (f" (trained by {exp.results_key})" if exp.results_key != exp.name
                                                   else ""))
    print(f"seeds: {', '.join(map(str, setting.seeds))}; dataset {setting.dataset}; results under "
          f"<results root>/{exp.results_key}/{args.profile}/")
    given = ", ".join(f"{k} {v}" for k, v in sorted(setting.resources.items())) or "none"
    used = executors.slurm_parameters(setting.resources, f"{exp.name}-{args.profile}")
    print(f"resources (slurm executor; --partition, --gpus, ... override): the profile's {given}; with the "
          f"defaults: " + ", ".join(f"{k.removeprefix('slurm_')} {v}" for k, v in sorted(used.items())
                                    if k not in ("slurm_setup", "name")))
    print(_cost(exp, args.profile, setting))
    print()
    print(provenance.table(exp.name, args.profile, setting, [k for k, _ in overrides]))
    return 0



def _cost(exp, profile: str, setting) -> str:
    """The profile's cost: GPU-hours from the recipe and measured step times (paper), or where the CPU budget is."""
    from suite.experiments import cost
    if profile != "paper":
        return ("cost: the local profile trains on the CPU; its budget and measured wall time are in "
                "docs/training.md")
    return "\n".join(["cost (GPU compute of the training steps; evaluation and data loading not counted):",
                      *cost.lines(exp, profile, setting)])
