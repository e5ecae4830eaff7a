"""What an experiment's ``paper`` setting costs on a GPU, from its recipe and a measured step time.

GPU-hours of one model and seed = epochs × training images × the time of one training image, where that time is
one measured SGD step (forward, backward, update) divided by its batch; the training steps only (evaluation and
data loading are not counted). A model without a measured step time is "unknown": nothing is extrapolated from
another model, another input size or the multiplication count. What each number rests on is said with it
(`Cost.source`): the step's device, form, batch and input, and where it was measured.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .setting import Experiment, Setting


@dataclass(frozen=True)
class StepTime:
    """One measured SGD step of a model."""
    ms: float
    batch: int
    input_size: tuple       # (C, H, W) the step was measured at
    form: str               # device, precision, backend
    source: str             # where the measurement is recorded


_H200 = ("measured 2026-12-04 on one NVIDIA H200 by the project's GPU baseline run "
         "(shared/measurements/gpu-h200-2026-12-04.md: 'One SGD step, N = 32, 221×221 (ResNet-18 224×224), fp32')")
STEP_TIMES = {
    "fcnn-e": StepTime(14.5, 32, (3, 221, 221), "NVIDIA H200, fp32, torch backend", _H200),
    "fcnn-l": StepTime(28.3, 32, (3, 221, 221), "NVIDIA H200, fp32, torch backend", _H200),
    "fcnn-k": StepTime(130.0, 32, (3, 221, 221), "NVIDIA H200, fp32, backend auto", _H200),
    "resnet18": StepTime(15.6, 32, (3, 224, 224), "NVIDIA H200, fp32", _H200),
}

# Training images per epoch of each paper dataset, with where the number comes from.
TRAIN_IMAGES = {
    "imagenet": (1_200_000, "FCNN Sec. 3: 'with 1.2M training images'"),
    "imagenet-150": (1_200_000, "FCNN Sec. 3: 'with 1.2M training images'"),
    "jester": (118_562, "HO-CP Sec. 4.1: '118,562 are used for training'"),
    "cifar10": (45_000, "CIFAR-10's 50,000 training images less the 5,000 held out for validation (suite.data)"),
}


@dataclass(frozen=True)
class Cost:
    model: str
    gpu_hours: float | None   # per seed (None: unknown)
    source: str               # how it was computed, or why it is unknown


def per_seed(setting: Setting, model: str) -> Cost:
    """GPU-hours of one run of ``model`` under ``setting`` (a paper setting), or unknown, with its reasons."""
    step = STEP_TIMES.get(model)
    if step is None:
        return Cost(model, None, "unknown: no measured step time")
    images, images_from = TRAIN_IMAGES.get(setting.dataset, (None, ""))
    if images is None:
        return Cost(model, None, f"unknown: no training-set size for dataset {setting.dataset!r}")
    size = tuple(setting.model_overrides.get("input_size", ()))
    if len(size) != 3 or size[0] != step.input_size[0] or math.prod(size[1:]) > math.prod(step.input_size[1:]):
        return Cost(model, None, f"unknown: its step was measured at {_shape(step.input_size)}, the setting trains at "
                                 f"{_shape(size) if size else 'the model default'}")
    recipe = setting.recipe_for(model)
    per_image_ms = step.ms / step.batch
    hours = recipe.epochs * images * per_image_ms / 3.6e6
    bound = "at most " if recipe.schedule == "plateau" else ""
    notes = [f"{bound}{recipe.epochs} epochs" + (" (the plateau schedule's cap)" if bound else ""),
             f"{images:,} images ({images_from})",
             f"{per_image_ms:.3g} ms per image: one SGD step of {step.batch} at {_shape(step.input_size)} took "
             f"{step.ms:g} ms ({step.form}), {step.source}"]
    if step.batch != recipe.batch_size:
        notes.append(f"the recipe's batch is {recipe.batch_size}: per-image time taken as at batch {step.batch}")
    if step.input_size != size:
        notes.append(f"measured at {_shape(step.input_size)}, trained at {_shape(size)}: an upper bound")
    return Cost(model, hours, "; ".join(notes))


def grid_points(exp: Experiment, profile: str) -> int:
    """Configurations per model and seed: the product of the profile's default sweep sizes (1: no sweep)."""
    return math.prod(len(values) for _, values in exp.sweeps.get(profile, ()))


def lines(exp: Experiment, profile: str, setting: Setting) -> list[str]:
    """What `jobs show` prints: each model's GPU-hours per seed and the experiment's total."""
    costs = [per_seed(setting, m) for m in exp.models]
    points, seeds = grid_points(exp, profile), len(setting.seeds)
    out = [f"  {c.model}: " + (f"{c.gpu_hours:.3g} GPU-h per seed ({c.source})" if c.gpu_hours is not None
                               else c.source) for c in costs]
    runs = f"{seeds} seeds × {len(costs)} models" + (f" × {points} grid points (default sweep)" if points > 1 else "")
    known = [c.gpu_hours for c in costs if c.gpu_hours is not None]
    total = sum(known) * seeds * points
    if len(known) == len(costs):
        out.append(f"  in all ({runs}): {total:.3g} GPU-h")
    else:
        missing = ", ".join(c.model for c in costs if c.gpu_hours is None)
        measured = f"; the models with a measured step time alone: {total:.3g} GPU-h" if known else ""
        out.append(f"  in all ({runs}): unknown (no measured step time for {missing}){measured}")
    return out


def _shape(size) -> str:
    return "×".join(str(s) for s in size)
