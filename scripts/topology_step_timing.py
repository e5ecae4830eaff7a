"""One training step of FCNN Models G, H, J with their topological convs (k = 2, padding 0 then 1) run as
the dense masked emulation the models used before `suite.ops.topological_conv` took even k ("dense":
`PaddedTopologicalConv2d.dense_forward`, the dense layer's work) and as Alg. 4 ("torch": the reference, a
gather and a grouped conv; "numba": the CPU kernels), at each model's local-profile input, width and batch
(FCNN Table 4 for G and H, Table 5 for J), one thread (torch and Numba).

    python scripts/topology_step_timing.py [--models fcnn-g fcnn-h fcnn-j] [--forms dense torch numba]
                                           [--steps 5] [--json OUT.json]

Per (model, form): the median over --steps timed steps (after 2 warm-up steps: Numba compilation) of the
process CPU time (`time.process_time`, meaningful on a shared machine) and of the wall time, in seconds; the
same initial parameters and the same batch (the first of the local training set) for every form. A check
of kernel work, not the suite's benchmark (`python -m suite.bench models` times the paper's input sizes).
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time

import numba
import torch
import torch.nn.functional as F

sys.path.insert(0, ".")
from suite import data, models  # noqa: E402
from suite.experiments import fcnn_table4, fcnn_table5  # noqa: E402
from suite.layers import PaddedTopologicalConv2d  # noqa: E402

SETTINGS = {"fcnn-g": fcnn_table4.EXPERIMENT, "fcnn-h": fcnn_table4.EXPERIMENT, "fcnn-j": fcnn_table5.EXPERIMENT}
FORMS = ("dense", "torch", "numba")


def build(name: str, form: str, seed: int = 0):
    """Model `name` under its local profile, its topological convs on `form`; the same weights for every form."""
    setting = SETTINGS[name].setting("local")
    train = data.build(setting.dataset, "train", limit=setting.recipe.batch_size, **setting.data_options)
    torch.manual_seed(seed)
    backend = "torch" if form == "dense" else form
    model = models.build(name, num_classes=train.num_classes, **setting.model_overrides, backend=backend)
    if form == "dense":
        for mod in model.modules():
            if isinstance(mod, PaddedTopologicalConv2d):
                mod.forward = mod.dense_forward
    batch = [train[i] for i in range(setting.recipe.batch_size)]
    x = torch.stack([b[0] for b in batch])
    y = torch.tensor([int(b[1]) for b in batch])
    return model, x, y, setting


def time_steps(model, x, y, steps: int, lr: float) -> tuple[list[float], list[float]]:
    """(CPU seconds, wall seconds) of each of `steps` SGD steps after two warm-up steps."""
    model = copy.deepcopy(model).train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    cpu, wall = [], []
    for i in range(steps + 2):
        c0, w0 = time.process_time(), time.perf_counter()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= 2:
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
    return cpu, wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    ap.add_argument("--forms", nargs="+", default=list(FORMS), choices=FORMS)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    rows = []
    print(f"{'model':8s} {'form':6s} {'input':>14s} {'N':>3s} {'CPU s/step':>10s} {'wall s/step':>11s}")
    for name in args.models:
        for form in args.forms:
            model, x, y, setting = build(name, form)
            cpu, wall = time_steps(model, x, y, args.steps, setting.recipe.lr)
            row = dict(model=name, form=form, input=list(x.shape[1:]), batch=x.shape[0],
                       width=setting.model_overrides.get("width", 1.0), cpu_s=statistics.median(cpu),
                       wall_s=statistics.median(wall), cpu_samples=cpu, wall_samples=wall)
            rows.append(row)
            print(f"{name:8s} {form:6s} {str(tuple(x.shape[1:])):>14s} {x.shape[0]:3d} {row['cpu_s']:10.3f} "
                  f"{row['wall_s']:11.3f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "numba": numba.__version__, "threads": 1, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
