"""The model comparisons: Model L vs ResNet-18 inference, and one SGD step of a model on `auto` vs `torch`."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from suite.bench import shapes as S
from suite.bench.cases import FREEZING, Case, _cl, _cl_copy


def _call(module, x):
    """module(x) as a zero-argument callable."""
    return lambda: module(x)


def model_case(N: int, quick: bool) -> Case:
    """Model L vs ResNet-18 inference (eval mode): Model L with its layers on `torch` and on `auto` (NCHW and
    channels-last) and `fuse_for_inference` (BatchNorm folded, each fused step on its measured fastest
    implementation), torch.compile with freezing (channels-last); ResNet-18 eager NCHW, channels-last,
    torch.compile and torch.compile with freezing (channels-last)."""

    def make():
        from suite import models
        from suite.complexity import count
        from suite.layers.fusion import fuse_for_inference

        forms, built = {}, {}
        for backend in ("torch", "auto"):
            model = built[backend] = models.build("fcnn-l", backend=backend).eval()
            size = (3, 64, 64) if quick else model.input_size
            x = torch.randn(N, *size, generator=torch.Generator().manual_seed(0))
            forms[f"ours: {backend} NCHW"] = _call(model, x)
            forms[f"ours: {backend} channels_last"] = _call(_cl_copy(model), _cl(x))
        forms["ours: fused steps (BN folded, auto per layer)"] = _call(fuse_for_inference(model, x), x)
        fused_cl = fuse_for_inference(model, x).to(memory_format=torch.channels_last)
        forms["ours: fused steps channels_last"] = _call(fused_cl, _cl(x))
        base = models.build("resnet18", backend="torch").eval()
        xb = torch.randn(N, *((3, 64, 64) if quick else base.input_size), generator=torch.Generator().manual_seed(1))
        base_cl = _cl_copy(base)
        forms.update({"base: eager NCHW": _call(base, xb), "base: eager channels_last": _call(base_cl, _cl(xb)),
                      "base: compile channels_last": (base_cl, (_cl(xb),))})
        # Inductor's freezing folds BatchNorm into the convs and prepacks their weights (inference only): the
        # same compiled form for both networks, so neither side is left with a slower one.
        forms["ours: compile+freezing channels_last"] = (_cl_copy(built["torch"]), (_cl(x),), FREEZING)
        forms["base: compile+freezing channels_last"] = (_cl_copy(base), (_cl(xb),), FREEZING)
        macs = {name: count(m, tuple(x_.shape[1:])).multiplications
                for name, m, x_ in (("ours", model, x), ("base", base, xb))}
        info.update({"macs_per_image": macs, "mult_ratio": macs["base"] / macs["ours"]})
        return forms

    info = {"batch": N}  # make() adds the multiplication counts
    return Case("model", "Model L vs ResNet-18 inference", f"N={N}", make, info=info)


def fusion_case(name: str, N: int, quick: bool) -> Case:
    """Fused vs unfused inference of model `name` (`suite.bench.fusion_cases`): "ours: fused (auto)" against
    "base: torch" and "base: auto" (the model it came from)."""
    from suite.bench.fusion_cases import fusion_forms

    return Case("fusion", f"fused vs unfused {name}", f"N={N}", lambda: fusion_forms(name, N, "cpu", quick),
                info={"model": name, "batch": N})


def train_case(name: str, setting: str, quick: bool) -> Case:
    """One SGD step (forward, cross-entropy, backward, update) of model `name` in training mode, its layers on
    `auto` vs `torch`, at the local profile's or the paper's shapes (`suite.bench.shapes`)."""
    spec = S.TRAIN_LOCAL if setting == "local" or quick else S.TRAIN_PAPER
    batch = 2 if quick else spec["batch"]

    def make():
        from suite import models

        forms = {}
        for member, backend in (("ours: auto", "auto"), ("base: torch", "torch")):
            torch.manual_seed(0)
            model = models.build(name, backend=backend, **spec["overrides"]).train()
            x = torch.randn(batch, *model.input_size)
            y = torch.randint(0, model.num_classes, (batch,))
            opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

            def step(model=model, x=x, y=y, opt=opt):
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                opt.step()

            forms[member] = step
        return forms

    return Case("train", "training step (SGD, auto vs torch)", f"{name} {setting} N={batch}", make,
                info={"model": name, "setting": setting, "batch": batch})

