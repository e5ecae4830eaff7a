"""Where every field of every ``paper`` setting comes from: the papers' stated settings, completed with
documented choices.

Each field of a setting (``recipe.<field>`` of `suite.train.Recipe`, ``dataset``, ``data.<option>``,
``model.<override>``, ``seeds``, the limits, the decision/report splits) and the few settings that live
in code rather than in the setting (``data.normalisation``, ``model.init``, ...) is either

- :class:`Stated`: the paper, its section and the sentence that states it, or
- :class:`Chosen`: why we chose it and the reference recipe it follows.

This module is the one source of truth for it: ``config.json`` records it (``provenance``, see
`jobs.runner`), ``python -m jobs show EXPERIMENT --profile paper`` prints it, and a test checks that no
``paper`` field lacks it. A ``local`` field equal to its ``paper`` value inherits the paper's
provenance; every other local field is a local-profile choice.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from . import experiments


@dataclass(frozen=True)
class Stated:
    paper: str      # "FCNN" or "HO-CP"
    section: str
    quote: str      # verbatim from the paper ("..." marks an elision); tests check it against the text
    note: str = ""  # how the quote applies, where that needs saying

    kind = "stated"

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Chosen:
    reason: str
    follows: str = ""  # the reference recipe this choice follows, if any

    kind = "chosen"

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}


TORCHVISION_IMAGENET = "torchvision's ImageNet classification reference recipe (references/classification)"
TORCHVISION_VIDEO = "torchvision's video classification reference recipe (references/video_classification)"
CIFAR_COMMON = "the common CIFAR-10 MobileNet-v2 training (SGD 0.1, momentum 0.9, batch 128, 200 epochs)"
NO_EFFECT = Chosen("does not change the result (evaluation batching / data-loader processes)")


# ------------------------------------------------------------------------------------------------ FCNN
_F_SEC3_DATA = ("The images are first resized to 256 × 256, then randomly cropped into 221 × 221 and flipped "
                "horizontally while training.")
_F_SEC3_LR = ("We start the learning rate from 0.1 and divide it by a factor of 10 when the validation "
              "accuracy plateaus until 10−6.")
_F_SEC3_REPORT = ("For all the models evaluated below, the top-1 accuracy of validation with central cropping "
                  "is reported.")
_F_SEC34 = ("Now we train for 30 epochs for each learning rate and 100 epochs in total.")


def _f(section: str, quote: str) -> Stated:
    return Stated("FCNN", section, quote)


def _h(section: str, quote: str) -> Stated:
    return Stated("HO-CP", section, quote)


FCNN_COMMON = {
    "dataset": _f("Sec. 3", "We evaluate the performance of our method on the ImageNet LSVRC 2012 dataset"),
    "data.transform": _f("Sec. 3", _F_SEC3_DATA),
    "data.normalisation": Chosen("per-channel ImageNet mean/std; the paper names none", TORCHVISION_IMAGENET),
    "model.input_size": _f("Sec. 3", _F_SEC3_DATA),
    "model.bn": _f("Sec. 3", "We also use batch normalization after each convolutional layer and before the "
                   "ReLU layer."),
    "model.dropout": _f("Sec. 3", "We also use the dropout strategy with a ratio of 0.2 during training."),
    "model.init": Chosen("He (Kaiming) normal init of every conv, BN to identity; the paper names none",
                         TORCHVISION_IMAGENET),
    "splits": Stated("FCNN", "Sec. 3", f"{_F_SEC3_LR} ... {_F_SEC3_REPORT}",
                     "the schedule reads the ImageNet validation set, which is also the reported set, because "
                     "the paper says so; ImageNet's test labels are not public"),
    "seeds": Chosen("one run per model: the paper reports single runs ('single model', Table 7 caption)"),
    "train_limit": Chosen("the whole training set"),
    "val_limit": Chosen("the whole validation set"),
    "recipe.lr": _f("Sec. 3", _F_SEC3_LR),
    "recipe.gamma": _f("Sec. 3", _F_SEC3_LR),
    "recipe.momentum": Chosen("'Standard stochastic gradient descent' (Sec. 3) names no momentum; 0.9 is the "
                              "standard value", TORCHVISION_IMAGENET),
    "recipe.weight_decay": Chosen("the paper names no weight decay; ~100 ImageNet epochs without any would "
                                  "be below standard practice, so 1e-4", TORCHVISION_IMAGENET),
    "recipe.eval_batch_size": NO_EFFECT,
    "recipe.num_workers": NO_EFFECT,
}
FCNN_CAFFE_FIELDS = {
    **FCNN_COMMON,
    "recipe.batch_size": _f("Sec. 3", "Standard stochastic gradient descent with mini-batch containing 96 "
                            "images is used to train the model."),
    "recipe.schedule": _f("Sec. 3", _F_SEC3_LR),
    "recipe.min_lr": _f("Sec. 3", _F_SEC3_LR),
    "recipe.patience": Chosen("the Caffe runs lowered the lr by hand ('we manually decrease learning rate when "
                              "we notice the validation error plateaus', Sec. 3.4); 2 epochs without a better "
                              "validation top-1 automate that"),
    "recipe.epochs": Chosen("a cap for the plateau schedule (the paper stops at 1e-6), taken from the Torch "
                            f"runs of Sec. 3.4: '{_F_SEC34}'"),
    "recipe.step_epochs": Chosen("unused: the plateau schedule has no fixed steps"),
}
FCNN_150_FIELDS = {
    **FCNN_CAFFE_FIELDS,
    "dataset": _f("Sec. 3.2", "We first compare the performance of two different topological configurations "
                  "based on ImageNet with smaller image size."),
    "data.transform": _f("Sec. 3.2", "The images are resized to 164 × 164 and randomly cropped to 150 × 150."),
    "model.input_size": _f("Sec. 3.2", "The images are resized to 164 × 164 and randomly cropped to 150 × 150."),
}
FCNN_TORCH_FIELDS = {
    **FCNN_COMMON,
    "recipe.batch_size": Stated("FCNN", "Sec. 3.4", "Torch consumes much less GPU memory, so that we can use "
                                "larger batch size (256 for model L).",
                                "the reference networks use Model L's batch (a choice)"),
    "recipe.schedule": _f("Sec. 3.4", _F_SEC34),
    "recipe.step_epochs": _f("Sec. 3.4", _F_SEC34),
    "recipe.epochs": _f("Sec. 3.4", _F_SEC34),
    "recipe.patience": Chosen("unused: the step schedule does not watch the validation accuracy"),
    "recipe.min_lr": Chosen("unused: the step schedule stops after 'recipe.epochs'"),
    "model.reference_nets": Chosen("AlexNet, GoogLeNet, ResNet-18, VGG-16 are torchvision's definitions trained "
                                   "with Model L's batch, epochs and step schedule and each net's own published lr "
                                   "and weight decay (model_recipes.*); the paper quotes their published numbers "
                                   "instead (Table 7 caption), which the tables' paper columns show"),
    **{f"model_recipes.{net}.{key}": Chosen(f"{net}'s own published {key.replace('_', ' ')} ({value:g}), so that it "
                                            f"converges (Model L's lr 0.1 is not its recipe; VGG-16 without batch "
                                            f"norm and AlexNet diverge at it)", follows)
       for net, (follows, values) in {
           "alexnet": ("Krizhevsky et al. 2012 (FCNN's [1]), Sec. 5: SGD momentum 0.9, weight decay 0.0005, lr 0.01",
                       experiments.REFERENCE_RECIPES["alexnet"]),
           "googlenet": ("BVLC Caffe's bvlc_googlenet quick_solver.prototxt (the Caffe implementation FCNN's Table 7 "
                         "quotes, [11]): base_lr 0.01, momentum 0.9, weight_decay 0.0002 (its poly decay is not "
                         "followed: the five nets share Model L's step schedule)",
                         experiments.REFERENCE_RECIPES["googlenet"]),
           "resnet18": ("He et al. 2016 (FCNN's [5]), Sec. 3.4: lr 0.1 divided by 10 on plateau, weight decay "
                        "0.0001, momentum 0.9; the same in torchvision's reference recipe",
                        experiments.REFERENCE_RECIPES["resnet18"]),
           "vgg16": ("Simonyan & Zisserman 2015 (FCNN's [15]), Sec. 3.1: lr 10^-2, weight decay 5·10^-4, "
                     "momentum 0.9", experiments.REFERENCE_RECIPES["vgg16"]),
       }.items() for key, value in values.items()},
}

# ----------------------------------------------------------------------------------------------- HO-CP
_H_RUNS = _h("Sec. 4.2", "In all cases we report average performance on the over 3 runs.")
_H_JESTER_BATCH = ("The dataset was processed by batches of 32 sequences of RGB images, with a temporal "
                   "resolution of 18 frames and a size of 84×84.")
_H_LR = "We validated the learning rate in the range 0.1, 0.00001 with decay on plateau by a factor of 10."
HOCP_CIFAR_FIELDS = {
    "dataset": _h("Sec. 4.1", "CIFAR-10 [Krizhevsky and Hinton, 2009] is a dataset for image classification "
                  "composed of 10 classes ... 5000 images per class for training and 1000 images per class for "
                  "testing, on which we report the results."),
    "data.transform": Chosen("4-pixel zero padding + random 32×32 crop + horizontal flip; the paper names none",
                             CIFAR_COMMON),
    "data.normalisation": Chosen("per-channel CIFAR-10 mean/std; the paper names none", CIFAR_COMMON),
    "model.input_size": Chosen("CIFAR-10's native 32×32 images"),
    "model.init": Chosen("PyTorch's default init of nn.Conv2d/nn.Linear, BN to identity", CIFAR_COMMON),
    "splits": Chosen("a held-out validation split (500 per class of the 50,000 training images, fixed seed) "
                     "drives the schedule; the test set, 'on which we report the results' (Sec. 4.1), is read "
                     "once, after training"),
    "seeds": _H_RUNS,
    "train_limit": Chosen("the whole training set less the validation split"),
    "val_limit": Chosen("the whole validation split"),
    "recipe.lr": Chosen("the paper states no CIFAR-10 recipe", CIFAR_COMMON),
    "recipe.momentum": Chosen("the paper states no CIFAR-10 recipe", CIFAR_COMMON),
    "recipe.weight_decay": Chosen("MobileNet-v2's own weight decay (Sandler et al. 2018: 4e-5)",
                                  "the MobileNet-v2 paper's training recipe"),
    "recipe.batch_size": Chosen("the paper states no CIFAR-10 recipe", CIFAR_COMMON),
    "recipe.epochs": Chosen("the paper states no CIFAR-10 recipe", CIFAR_COMMON),
    "recipe.schedule": Chosen("decay on plateau, as the paper's Jester runs (Sec. 4.2), on the validation split"),
    "recipe.gamma": Chosen("×0.1, as the paper's Jester runs: 'decay on plateau by a factor of 10' (Sec. 4.2)"),
    "recipe.patience": Chosen("2 epochs without a better validation top-1"),
    "recipe.min_lr": Chosen("the low end of the lr range the paper validates on Jester (Sec. 4.2: 0.1 .. 1e-5)"),
    "recipe.step_epochs": Chosen("unused: the plateau schedule has no fixed steps"),
    "recipe.eval_batch_size": NO_EFFECT,
    "recipe.num_workers": NO_EFFECT,
}
HOCP_JESTER_FIELDS = {
    "dataset": _h("Sec. 4.1", "Out of the 148,092 videos 118,562 are used for training, 14,787 for validation on "
                  "which we report the results."),
    "data.frames": _h("Sec. 4.2", _H_JESTER_BATCH),
    "data.size": _h("Sec. 4.2", _H_JESTER_BATCH),
    "data.transform": Chosen("18 frames sampled evenly over the video (random offset when training), no flip "
                             "(it would swap 'swiping left' and 'swiping right')"),
    "data.normalisation": Chosen("per-channel ImageNet mean/std; the paper names none", TORCHVISION_VIDEO),
    "model.input_size": _h("Sec. 4.2", _H_JESTER_BATCH),
    "model.init": Chosen("PyTorch's default init of nn.Conv3d/nn.Linear; the HO-CP factors He-style"),
    "splits": Stated("HO-CP", "Sec. 4.1", "14,787 for validation on which we report the results.",
                     "the paper validates the lr and reports on the same Jester validation set; Jester's test "
                     "labels are not public"),
    "seeds": _H_RUNS,
    "train_limit": Chosen("the whole training set"),
    "val_limit": Chosen("the whole validation set"),
    "recipe.batch_size": _h("Sec. 4.2", _H_JESTER_BATCH),
    "recipe.schedule": _h("Sec. 4.2", _H_LR),
    "recipe.gamma": _h("Sec. 4.2", _H_LR),
    "recipe.lr": Chosen("one value inside the range the paper validates (0.1 .. 1e-5, Sec. 4.2), used only with "
                        "--no-sweep: by default each model's lr is selected on validation over SWEEPS' grid; the "
                        "value the paper selected is not stated"),
    "recipe.min_lr": Chosen("the low end of the range the paper validates (Sec. 4.2: 0.1 .. 0.00001)"),
    "recipe.momentum": Chosen("the paper names no optimizer settings", TORCHVISION_VIDEO),
    "recipe.weight_decay": Chosen("the paper names no weight decay; 1e-4 as standard practice", TORCHVISION_VIDEO),
    "recipe.epochs": Chosen("a cap for the plateau schedule; the paper states no epoch count"),
    "recipe.patience": Chosen("2 epochs without a better validation top-1"),
    "recipe.step_epochs": Chosen("unused: the plateau schedule has no fixed steps"),
    "recipe.eval_batch_size": NO_EFFECT,
    "recipe.num_workers": NO_EFFECT,
}

HOCP_COMPRESS_FIELDS = {
    **HOCP_JESTER_FIELDS,
    "model_recipes.convnet3d-cp-finetune.decompose_after": Chosen(
        "the paper trains no compressed network (it argues against that route, Sec. 3); half of the recipe's "
        "60-epoch cap trains 3D-ConvNet dense, the rest fine-tunes it after the CP decomposition, and HO-CP ConvNet "
        "trains from scratch under the same cap (equal budget)",
        "Lebedev et al. 2015 (HO-CP Sec. 2.3): CP-decompose the kernels of a trained network, then fine-tune"),
}

PAPER = {
    "fcnn-table2": FCNN_CAFFE_FIELDS, "fcnn-table4": FCNN_150_FIELDS, "fcnn-table5": FCNN_CAFFE_FIELDS,
    "fcnn-table7": FCNN_TORCH_FIELDS, "fcnn-figure2": FCNN_TORCH_FIELDS,
    "hocp-table1": HOCP_CIFAR_FIELDS, "hocp-table2": HOCP_JESTER_FIELDS,
    "fcnn-residual": FCNN_CAFFE_FIELDS,  # FCNN Table 2's setting: E is compared with its ablation on equal footing
    "hocp-compress": HOCP_COMPRESS_FIELDS,
}


# ------------------------------------------------------------------------------------------------ sweeps
@dataclass(frozen=True)
class Swept:
    """A default sweep's key (``Experiment.sweeps``): the range the paper states, the grid we chose in it."""
    range: Stated
    grid: Chosen

    def to_dict(self) -> dict:
        return {"range": self.range.to_dict(), "grid": self.grid.to_dict()}


SWEEPS = {  # experiment -> key -> Swept, for every key of every paper profile's default sweep (a test checks)
    "hocp-table2": {"recipe.lr": Swept(
        Stated("HO-CP", "Sec. 4.2", _H_LR, "the range is stated; the value the paper selected is not"),
        Chosen("every power of ten in the stated range (5 points; the paper names no grid); each model's point "
               "is the one with the best mean validation top-1 over its seeds (jobs.sweeps)"))},
}


def swept(experiment: str, profile: str, key: str, value) -> Stated | None:
    """The provenance of ``value`` of ``key`` when it is a point of the experiment's default sweep."""
    exp = experiments.get(experiment)
    grid = dict(exp.sweeps.get(profile, ())).get(key, ())
    entry = SWEEPS.get(exp.name, {}).get(key)
    if entry is None or value not in grid:
        return None
    return replace(entry.range, note=f"{entry.range.note}; {value!r} is a point of the chosen grid {list(grid)}, "
                                     f"selected per model on the validation split")


def sweep_lines(experiment: str, profile: str) -> list[str]:
    """The default sweep of ``experiment`` under ``profile``, with each key's range (stated) and grid (chosen)."""
    exp = experiments.get(experiment)
    grid = exp.sweeps.get(profile, ())
    if not grid:
        return []
    lines = [f"\nSWEEP (the default grid of profile {profile}: `jobs run` trains every point, `jobs collect` shows each "
             f"model's point selected on the validation split; --sweep replaces it, --no-sweep trains the single value "
             f"above)"]
    for key, values in grid:
        entry = SWEEPS.get(exp.name, {}).get(key)
        lines.append(f"  {key}  {list(values)}")
        if entry is not None:
            r = entry.range
            lines.append(f"      stated: {r.paper} {r.section}: \"{r.quote}\" ({r.note})")
            lines.append(f"      chosen: {entry.grid.reason}")
    return lines


# ------------------------------------------------------------------------------------------------ access
def setting_fields(setting: experiments.Setting) -> dict:
    """Every field of ``setting`` that needs a provenance, with its value."""
    out = {"dataset": setting.dataset, "seeds": list(setting.seeds), "train_limit": setting.train_limit,
           "val_limit": setting.val_limit}
    out.update({f"data.{k}": v for k, v in setting.data_options.items()})
    out.update({f"model.{k}": v for k, v in setting.model_overrides.items()})
    out.update({f"recipe.{k}": v for k, v in setting.recipe.to_dict().items()})
    out.update({f"model_recipes.{m}.{k}": v for m, r in setting.model_recipes.items() for k, v in r.items()})
    out["splits"] = setting.splits()
    return out


def missing(experiment: str) -> list[str]:
    """The fields of ``experiment``'s paper setting that have no provenance (a test keeps this empty)."""
    exp = experiments.get(experiment)
    table = PAPER.get(exp.name, {})
    return sorted(set(setting_fields(exp.setting("paper"))) - set(table))


def of(experiment: str, profile: str, setting: experiments.Setting | None = None, overridden=()) -> dict:
    """``{field: (value, Stated | Chosen)}`` for ``experiment`` under ``profile`` (``setting``: the
    profile's setting with any overrides applied; ``overridden``: the keys they set, where a point of the
    profile's default sweep gets its range's provenance). Implicit fields (no setting value) get value None."""
    exp = experiments.get(experiment)
    if exp.name not in PAPER:
        raise ValueError(f"provenance: no entry for experiment {exp.name!r}; add it to jobs.provenance.PAPER")
    table = PAPER[exp.name]
    paper_values = setting_fields(exp.setting("paper"))
    values = setting_fields(setting if setting is not None else exp.setting(profile))
    out = {}
    for key in sorted(set(values) | set(table)):
        value = values.get(key)
        prov = table.get(key)
        if key not in values and profile != "paper" and key.startswith("data.") and values["dataset"] != \
                paper_values["dataset"]:  # transforms in code belong to the dataset
            prov = Chosen(f"{profile} profile: the transform of the local dataset {values['dataset']!r} (suite.data)")
        point = swept(experiment, profile, key, value) if key in overridden else None
        if point is not None:
            prov = point
        elif key in values and (prov is None or value != paper_values.get(key)):
            prov = Chosen("set by an override (not the paper's setting)" if profile == "paper" else
                          f"{profile} profile: sized for a laptop (paper setting: {paper_values.get(key)!r})")
        out[key] = (value, prov)
    return out


def to_config(experiment: str, profile: str, setting=None, overridden=()) -> dict:
    """The JSON form written into a run's config.json."""
    return {k: {"value": v, **p.to_dict()} for k, (v, p) in of(experiment, profile, setting, overridden).items()}


def table(experiment: str, profile: str, setting=None, overridden=()) -> str:
    """The setting as two blocks of rows: stated fields (section, sentence), then chosen ones (reason), then
    the profile's default sweep."""
    rows = of(experiment, profile, setting, overridden)
    exp = experiments.get(experiment)
    width = max(len(k) for k in rows)
    lines = [f"{exp.name} ({exp.paper} {exp.target}), profile {profile}: the papers' stated settings, "
             f"completed with documented choices"]
    for kind in ("stated", "chosen"):
        block = [(k, v, p) for k, (v, p) in rows.items() if p.kind == kind]
        lines.append(f"\n{kind.upper()} ({len(block)})")
        for k, v, p in block:
            shown = "(in code)" if v is None and k not in setting_fields(exp.setting(profile)) else repr(v)
            why = f"{p.paper} {p.section}: \"{p.quote}\"" + (f" ({p.note})" if p.note else "") if kind == "stated" else \
                p.reason + (f" [follows {p.follows}]" if p.follows else "")
            lines.append(f"  {k:<{width}}  {shown:<24}  {why}")
    return "\n".join(lines + sweep_lines(experiment, profile))
