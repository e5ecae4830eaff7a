"""Tiny real training runs (two small nets × two seeds, two epochs on a slice of the local digits) for
the tests of what reads results back: DataFrames, curves, the live log."""
import torch
from torch import nn

from suite import data, runs, train

MODELS = {"tiny-a": 4, "tiny-b": 8}  # model name -> conv channels
SEEDS = (0, 1)
EPOCHS = 2


def tiny_net(channels: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                         nn.MaxPool2d(4), nn.Flatten(), nn.Linear(channels * 7 * 7, 10))


def tiny_run(root, model: str, seed: int, *, epochs: int = EPOCHS, experiment: str = "tiny", profile="local"):
    """Train ``model`` (a MODELS key) into its run directory under ``root``; returns (run_dir, summary)."""
    torch.manual_seed(seed)  # model init
    net = tiny_net(MODELS[model])
    tr = data.build("digits", "train", resize=32, crop=28, limit=96)
    va = data.build("digits", "val", resize=32, crop=28, limit=64)
    recipe = train.Recipe(lr=0.05, batch_size=32, epochs=epochs, schedule="step", step_epochs=1, gamma=0.5)
    config = {"experiment": experiment, "profile": profile, "model": model, "seed": seed, "dataset": "digits",
              "recipe": recipe.to_dict()}
    run_dir = runs.run_dir_for(root, config)
    summary = train.train(net, tr, va, recipe=recipe, run_dir=run_dir, seed=seed, config=config, progress=False,
                          device="cpu")
    return run_dir, summary


def tiny_results(root):
    """Every MODELS × SEEDS run under ``root``; returns their run directories."""
    torch.set_num_threads(1)
    return [tiny_run(root, model, seed)[0] for model in MODELS for seed in SEEDS]


def shrink_fcnn_table2(monkeypatch, models: tuple[str, ...]) -> None:
    """fcnn-table2 shrunk to ``models`` × 1 seed, 1 epoch on 40 digits (one view): a real run in seconds."""
    from dataclasses import replace

    from suite import experiments
    exp = experiments.get("fcnn-table2")
    local = replace(exp.setting("local"), train_limit=40, val_limit=20, seeds=(0,),
                    recipe=train.Recipe(lr=0.05, batch_size=20, epochs=1, eval_batch_size=20),
                    model_overrides={"in_channels": 1, "width": 0.125, "input_size": (1, 77, 77)},
                    data_options={**exp.setting("local").data_options, "views": 1, "test_views": 1})
    monkeypatch.setitem(experiments.EXPERIMENTS, "fcnn-table2",
                        replace(exp, models=models, settings={**exp.settings, "local": local}))
