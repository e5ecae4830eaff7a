"""`python -m suite.bench models`: seconds of every model in the papers' complexity tables, per device, per form.

Models: FCNN A–L (Tables 2, 4, 5, 7), the reference networks of FCNN Table 7 (AlexNet, GoogLeNet, VGG-16,
ResNet-18) and HO-CP's (MobileNet-v2 / HOSConv, Table 1; 3D-ConvNet, HO-CP ConvNet, ConvNet-S, Table 2), each at
the paper's input size (`model.input_size`). Tasks: inference (eval mode, no gradients) and one training step
(SGD, `suite.bench.model_forms.training_step`), at N = 1 and 32 (and 256 on a GPU). FCNN models also time
their substituted stage layers alone (`conv{2,3,4}_x.blocks` on the inputs they receive: the layers FCNN
Tables 2–5 count), and HO-CP Figure 5's layers (3×3×3 Conv3d vs CP-HOConv-3/-6 on a C×32×32×16 input) are timed
over its channel sweep, up to a size the device affords.

Each (model, part, task, N, form) is warmed (two calls: Numba compilation, `auto`'s measurement, torch.compile
under the run's budget) and then called `samples` times; the device times each call (`suite.bench.device`:
CUDA events on a GPU, `suite.bench.cpu_device`: wall clock on the CPU). The samples are kept: the verdicts
(`paper_tables.time_verdicts`) take the fastest form per model and an interval of each ratio from them. A form
that cannot run is a record that says why; a wall-clock limit skips what is left (compiled forms come last),
so the run always ends with its JSON written (atomically, by the caller).

CPU budget (estimates from the models' multiplications at ~40 G multiply-accumulates/s, not yet measured idle):
the default run (all models, N = 1 and 32, four forms, 10 samples, compile included) needs about 2 hours of 2
cores, VGG-16 at N = 32 nearly half of it; its `--time-limit` (default 90 min) skips what is left, the compiled
forms and the N = 32 tail first. `--quick` (N = 1, the two eager float32 layouts, 5 samples, the stage layers' inference
only, the reference networks only when `--models` names them) needs about 1–2 minutes, 2–3 with `--models all`; pass
`--time-limit` to bound any run.
"""
from __future__ import annotations

import math
import platform
import statistics
import subprocess
import time
from pathlib import Path

import torch

from suite.bench.compiler import Compiler
from suite.bench.fresh_cache import fresh_autotune_cache
from suite.bench.model_forms import (
    ModelForm,
    inference,
    layout,
    stage_inference,
    stage_inputs,
    stage_training,
    to_layout,
    training_step,
)

FORMAT = "suite.bench.models/1"
FCNN = ("fcnn-a", "fcnn-a0", "fcnn-b", "fcnn-c", "fcnn-d", "fcnn-e", "fcnn-f", "fcnn-g", "fcnn-h", "fcnn-i",
        "fcnn-j", "fcnn-k", "fcnn-l")
REFERENCE = ("alexnet", "googlenet", "vgg16", "resnet18")
HOCP = ("mobilenetv2-cifar", "hosconv-cifar", "convnet3d", "hocp-convnet", "hocp-convnet-s")
MODELS = FCNN + REFERENCE + HOCP
TASKS = ("inference", "training")
BATCHES = {"cpu": (1, 32), "cuda": (1, 32, 256)}
QUICK_BATCHES = (1,)
SAMPLES = {"cpu": 10, "cuda": 30}
QUICK_SAMPLES = 5
# Figure 5's sweep stops where the dense 3D conv passes this many multiplications (N = 1): a CPU cannot afford
# the 512×512 end of it (116 G multiply-accumulates per call).
FIGURE5_MAX_MACS = {"cpu": 8e9, "cuda": math.inf}
QUICK_FIGURE5_MAX_MACS = 1e9
# Tests (`tiny`): narrow nets on small inputs, the code path only.
TINY = {"fcnn": {"width": 0.125, "input_size": (3, 77, 77)}, "ref": {"input_size": (3, 64, 64)},
        "mobilenet": {"width": 0.25, "input_size": (3, 16, 16)}, "3d": {"width": 0.125, "input_size": (3, 16, 16, 16)}}


def select_models(names: list[str] | None, quick: bool) -> tuple[str, ...]:
    """`--models` (names, or "all"), else every model (`quick`: all but the reference networks)."""
    if names in (None, []):
        return tuple(m for m in MODELS if not (quick and m in REFERENCE))
    if names == ["all"]:
        return MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"--models: {', '.join(map(repr, unknown))} not timed here; expected 'all' or some of "
                         f"{', '.join(MODELS)}")
    return tuple(dict.fromkeys(names))


def tiny_overrides(name: str) -> dict:
    family = ("fcnn" if name.startswith("fcnn-") else "ref" if name in REFERENCE else
              "mobilenet" if name.endswith("-cifar") else "3d")
    return {**TINY[family], "num_classes": 10}


def commit() -> dict:
    """The git commit of the code that ran, and whether the tree had uncommitted changes."""
    here = Path(__file__).resolve().parent

    def git(*args):
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, cwd=here)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"sha": sha or "unknown (not a git checkout)", "dirty": bool(status) if status is not None else None}


def sample_stats(samples: list[float]) -> dict:
    logs = [math.log(s) for s in samples]
    return {"samples_ms": samples, "median_ms": statistics.median(samples),
            "geomean_ms": math.exp(statistics.fmean(logs)), "n": len(samples)}


def _reason(err: BaseException) -> str:
    return f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0][:160]}"


class ModelRun:
    """One run's state: the device, the forms, the budgets, the compiler, the records."""

    def __init__(self, device, forms: tuple[ModelForm, ...], samples: int, compile_budget: float,
                 time_limit: float, log=print, quick: bool = False):
        self.device, self.forms, self.samples, self.log, self.quick = device, forms, samples, log, quick
        self.device_type = torch.device(device.torch_device).type
        self.compiler = Compiler(any(f.compile for f in forms), compile_budget)
        self.deadline, self.time_limit = time.perf_counter() + time_limit, time_limit
        self.records: list[dict] = []
        self.layers: list[dict] = []

    def late(self) -> str | None:
        if time.perf_counter() > self.deadline:
            return f"the run's time limit of {self.time_limit:.0f} s was reached"
        return None

    def measure(self, rec: dict, make, form: ModelForm, key: str) -> dict:
        """`rec` with the samples of the call `make()` builds, or with why there are none."""
        reason = self.late()
        if reason:
            return {**rec, "skipped": reason}
        try:
            call = make()
            if call is None:
                return {**rec, "skipped": self.compiler.reasons[key]}
            call()
            call()
            self.device.synchronize()
            samples = self.device.time(call, f"{key}", 0.0, self.samples, self.samples)
        except Exception as err:  # noqa: BLE001 - a form that fails is a record that says why, never a crash
            return {**rec, "error": _reason(err)}
        return {**rec, **sample_stats(samples)}

    # ---------------------------------------------------------------------------------------- models
    def model(self, name: str, N: int, tiny: bool, compiled: bool) -> None:
        from suite import models
        from suite.complexity import count

        start = time.perf_counter()
        late = self.late()
        if late:  # not even built: past the limit, every model left costs only this record
            self.records.append({"model": name, "part": "model", "task": "inference", "batch": N,
                                 "form": "(every form)", "skipped": late})
            return
        overrides = tiny_overrides(name) if tiny else {}
        try:
            probe = models.build(name, backend="torch", **overrides)
            cx = count(probe)
        except Exception as err:  # noqa: BLE001
            self.records.append({"model": name, "part": "model", "task": "inference", "batch": N, "form": "(model)",
                                 "error": f"building the model failed: {_reason(err)}"})
            return
        size = tuple(probe.input_size)
        # `auto` only changes layers that have a backend (the factorized ones): elsewhere it is eager NCHW again
        kernels = any(getattr(m, "backend", None) is not None for m in probe.modules() if m is not probe)
        parts = {"model": cx.multiplications}
        if name.startswith("fcnn-"):
            parts["stages"] = cx.select(".blocks.").multiplications
        for form in self.forms:
            if form.compile != compiled:
                continue
            for part, macs in parts.items():
                for task in TASKS:
                    rec = {"model": name, "part": part, "task": task, "batch": N, "form": form.name,
                           "input_size": list(size), "multiplications": macs}
                    if part == "stages" and form.compile:
                        self.records.append({**rec, "skipped": "stages: eager forms only"})
                        continue
                    if part == "stages" and task == "training" and self.quick:
                        self.records.append({**rec, "skipped": "--quick: the stage layers' inference only"})
                        continue
                    if form.backend != "torch" and not kernels:
                        self.records.append({**rec, "skipped": "no layer with a kernel backend: the same as torch"})
                        continue
                    key = f"{name} {part} {task} N={N} {form.name}"
                    make = self._maker(name, overrides, size, part, task, N, form, key)
                    self.records.append(self.measure(rec, make, form, key))
        self._empty_cache()
        self.log(f"  {name} N={N}{' (compiled forms)' if compiled else ''}: {time.perf_counter() - start:.1f} s")

    def _maker(self, name, overrides, size, part, task, N, form: ModelForm, key):
        def make():
            from suite import models

            dev = self.device.torch_device
            g = torch.Generator().manual_seed(0)
            module = models.build(name, backend=form.backend, **overrides).to(dev)
            module = to_layout(module, form.channels_last, len(size) + 1)
            x = layout(torch.randn(N, *size, generator=g).to(dev), form.channels_last)
            y = torch.randint(0, module.num_classes, (N,), generator=g).to(dev)
            if part == "stages":
                pairs = stage_inputs(module, x)
                return (stage_inference if task == "inference" else stage_training)(pairs, form, self.device_type)
            if not form.compile:
                return (inference(module, x, form, self.device_type) if task == "inference"
                        else training_step(module, x, y, form, self.device_type))
            return self._compiled(module, x, y, task, form, key)

        return make

    def _compiled(self, module, x, y, task, form, key):
        build = (lambda m: inference(m, x, form, self.device_type)) if task == "inference" else \
            (lambda m: training_step(m, x, y, form, self.device_type))
        module.eval() if task == "inference" else module.train()

        def warm(compiled):
            call = build(compiled)
            call()
            call()

        compiled = self.compiler.compile(key, module, warm)
        return None if compiled is None else build(compiled)

    # -------------------------------------------------------------------------------- HO-CP Figure 5
    def figure5(self, max_macs: float, tiny: bool) -> None:
        """Inference of a 3×3×3 Conv3d and of CP-HOConv-3/-6 on one C×32×32×16 input, per channel pair of
        HO-CP Figure 5's sweep (`suite.experiments.hocp_figure5.FIGURE5_PAIRS`) while the dense conv's count
        allows."""
        from suite import paper_values as pv
        from suite.complexity import count
        from suite.experiments.hocp_figure5 import FIGURE5_PAIRS
        from suite.layers import HOCPConv

        size = (4, 8, 8) if tiny else tuple(pv.HOCP_FIGURE5_INPUT)
        pairs = FIGURE5_PAIRS[:2] if tiny else FIGURE5_PAIRS
        for cin, cout in pairs:
            dense_macs = 27 * cin * cout * math.prod(size)
            if self.late():
                self.layers.append({"in_channels": cin, "out_channels": cout, "skipped": self.late()})
                continue
            if dense_macs > max_macs:
                self.layers.append({"in_channels": cin, "out_channels": cout,
                                    "skipped": f"3D-Conv of {dense_macs / 1e9:.1f} G mult. > this run's "
                                               f"{max_macs / 1e9:g} G cap"})
                continue
            layers = {"3D-Conv": lambda: torch.nn.Conv3d(cin, cout, 3, padding=1, bias=False)}
            for r in pv.HOCP_FIGURE5_RANKS:
                layers[f"CP-HOConv-{r}"] = (lambda r=r: HOCPConv(cin, cout, 3, dim=3, rank=r * cin, backend="torch"))
            for label, build in layers.items():
                macs = count(build(), input_size=(cin, *size)).multiplications
                for form in (f for f in self.forms if not f.compile and f.backend == "torch"):
                    rec = {"layer": label, "in_channels": cin, "out_channels": cout, "input_size": [cin, *size],
                           "batch": 1, "task": "inference", "form": form.name, "multiplications": macs}
                    key = f"figure5 {label} {cin}x{cout} {form.name}"
                    self.layers.append(self.measure(rec, self._layer_maker(build, cin, size, form), form, key))
            self._empty_cache()

    def _layer_maker(self, build, cin, size, form):
        def make():
            dev = self.device.torch_device
            layer = to_layout(build().to(dev), form.channels_last, 5)
            x = layout(torch.randn(1, cin, *size, generator=torch.Generator().manual_seed(0)).to(dev),
                       form.channels_last)
            return inference(layer, x, form, self.device_type)

        return make

    def _empty_cache(self) -> None:
        if self.device_type == "cuda":
            torch.cuda.empty_cache()


def model_timings(device, names: tuple[str, ...], forms: tuple[ModelForm, ...], batches: tuple[int, ...],
                  samples: int, compile_budget: float = 240.0, time_limit: float = 3600.0, figure5_max: float = 0.0,
                  tiny: bool = False, quick: bool = False, log=print) -> dict:
    """Every model of `names` at every batch of `batches` in every form on `device` (a
    `suite.bench.device.Device`: `suite.bench.cpu_device.CpuDevice`, `CudaDevice` or a test's fake), after HO-CP
    Figure 5's layers (dense conv up to `figure5_max` multiplications; 0: none); the JSON-ready result."""
    t0 = time.perf_counter()
    with fresh_autotune_cache() as env:
        header = device.header()
        log(f"model timings on {header.get('gpu') or header.get('cpu') or device.torch_device}")
        run = ModelRun(device, forms, samples, compile_budget, time_limit, log, quick)
        if figure5_max > 0:  # first: seconds at most under its cap, so the time limit never cuts it
            run.figure5(figure5_max, tiny)
        # compiled forms last: their budget and the time limit cut them first
        for compiled in (False, True) if any(f.compile for f in forms) else (False,):
            for N in batches:
                for name in names:
                    run.model(name, N, tiny, compiled)
        after = device.header()  # a second header: clocks (GPU) or load (CPU) after the run
    return {"format": FORMAT, "device": {"kind": device.kind, **header, "after": _after(after)},
            "host": platform.node(),
            "commit": commit(), "records": run.records, "layers": run.layers,
            "suite": {"quick": quick, "tiny": tiny, "models": list(names), "batches": list(batches),
                      "tasks": list(TASKS), "forms": [f.__dict__ for f in forms], "samples": samples,
                      "time_limit": time_limit, "compile_seconds": run.compiler.spent,
                      "figure5_max_multiplications": figure5_max if math.isfinite(figure5_max) else None,
                      "seconds": time.perf_counter() - t0, "autotune": env}}


def _after(header: dict) -> dict:
    """What changed during the run (load, clocks), from the device's header after it."""
    return {k: v for k, v in header.items() if k in ("clocks", "load_after", "valid_for_readme", "load_note")}
