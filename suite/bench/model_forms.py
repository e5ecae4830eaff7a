"""The forms a whole model is timed in (`python -m suite.bench models`): one way to run it, and the zero-argument
calls of its inference and of one training step in that form.

A form is a memory layout (NCHW, or channels-last / channels-last-3d for a 5-D input), a precision
(`suite.bench.precision`: fp32, tf32, bf16 autocast), the backend of the factorized layers (``torch``: the
PyTorch reference ops; ``auto``: the suite's kernels where `auto` measured them faster) and eager or
``torch.compile``. The CPU forms are float32; a GPU adds TF32 and bf16 (the tensor cores). Forms run on the
paper's input size unless the run is `tiny` (tests).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from suite.bench.precision import precision


@dataclass(frozen=True)
class ModelForm:
    name: str
    channels_last: bool = False
    mode: str = "fp32"
    backend: str = "torch"
    compile: bool = False


CPU_FORMS = (ModelForm("fp32 eager NCHW"), ModelForm("fp32 eager channels_last", channels_last=True),
             ModelForm("fp32 auto NCHW", backend="auto"),
             ModelForm("fp32 compile channels_last", channels_last=True, compile=True))
GPU_FORMS = (ModelForm("fp32 eager NCHW"), ModelForm("fp32 eager channels_last", channels_last=True),
             ModelForm("tf32 eager NCHW", mode="tf32"), ModelForm("tf32 eager channels_last", True, "tf32"),
             ModelForm("bf16 autocast channels_last", True, "bf16"), ModelForm("fp32 auto NCHW", backend="auto"),
             ModelForm("tf32 compile channels_last", True, "tf32", compile=True),
             ModelForm("bf16 compile channels_last", True, "bf16", compile=True))
QUICK_FORMS = ("fp32 eager NCHW", "fp32 eager channels_last")  # --quick: no autotuning, no compilation


def forms_for(kind: str, names: list[str] | None, quick: bool) -> tuple[ModelForm, ...]:
    """The forms of a run on a device of `kind` ("cpu" or "cuda"): `names` if given (each must exist there),
    else all of them (`quick`: the two eager float32 layouts)."""
    pool = {f.name: f for f in (GPU_FORMS if kind == "cuda" else CPU_FORMS)}
    wanted = names or ([n for n in QUICK_FORMS] if quick else list(pool))
    unknown = [n for n in wanted if n not in pool]
    if unknown:
        raise ValueError(f"--forms: {', '.join(map(repr, unknown))} not a {kind} form; expected some of "
                         f"{', '.join(pool)}")
    return tuple(pool[n] for n in wanted)


def layout(t: torch.Tensor, channels_last: bool) -> torch.Tensor:
    if not channels_last or t.ndim not in (4, 5):
        return t
    return t.contiguous(memory_format=torch.channels_last if t.ndim == 4 else torch.channels_last_3d)


def to_layout(module: torch.nn.Module, channels_last: bool, ndim: int) -> torch.nn.Module:
    if channels_last and ndim in (4, 5):
        return module.to(memory_format=torch.channels_last if ndim == 4 else torch.channels_last_3d)
    return module


def inference(module, x, form: ModelForm, device_type: str):
    """module(x) in eval mode, without gradients, at the form's precision."""
    module.eval()

    def call():
        with torch.no_grad(), precision(form.mode, device_type):
            module(x)

    return call


def training_step(module, x, y, form: ModelForm, device_type: str):
    """One SGD step (momentum 0.9): zero the gradients, forward in training mode, cross-entropy, backward,
    update; at the form's precision (bf16: forward under autocast, the update in float32)."""
    module.train()
    opt = torch.optim.SGD(module.parameters(), lr=1e-3, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        with precision(form.mode, device_type):
            out = module(x)
            loss = F.cross_entropy(out.float(), y)
        loss.backward()
        opt.step()

    return step


def stage_inputs(model, x) -> list[tuple[torch.nn.Module, torch.Tensor]]:
    """FCNN's substituted layers (`conv{2,3,4}_x.blocks`) with the input each receives from `x` (one forward
    pass, eval mode, no gradients): what "the stage layers' time" times."""
    stages = [getattr(model, f"conv{i}_x").blocks for i in (2, 3, 4)]
    seen: list[torch.Tensor] = []
    hooks = [s.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach())) for s in stages]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in hooks:
            h.remove()
    return list(zip(stages, seen))


def stage_inference(pairs, form: ModelForm, device_type: str):
    for s, _ in pairs:
        s.eval()

    def call():
        with torch.no_grad(), precision(form.mode, device_type):
            for s, xs in pairs:
                s(xs)

    return call


def stage_training(pairs, form: ModelForm, device_type: str):
    """Forward and backward of every stage's blocks in training mode (gradients of their parameters and input
    from a fixed random output gradient, made at the first call): the stages' share of a training step."""
    leaves = [(s.train(), xs.clone().requires_grad_(True)) for s, xs in pairs]
    grads: dict[int, torch.Tensor] = {}

    def call():
        with precision(form.mode, device_type):
            for i, (s, xs) in enumerate(leaves):
                out = s(xs)
                if i not in grads:
                    grads[i] = torch.randn_like(out)
                out.backward(grads[i].to(out.dtype))

    return call
