"""`python -m suite.bench --first-step fcnn-e,fcnn-k,fcnn-l [--cold] [--compile-to-time]`: the Numba compilation
a model's first SGD step pays (local profile's shapes, layers on `auto`, a fresh autotune cache), each model in
its own process: seconds compiling (Numba's compile events), the first and the second step. `--cold`: an empty
Numba cache (a fresh clone before `make`); `--compile-to-time`: SUITE_AUTOTUNE_COMPILE=1 (auto compiles every
candidate kernel to time it: the worst case). Checked against FIRST_STEP_BUDGET seconds per model.

It lives in the bench, not in `python -m suite.kernels` (the warm-up), because it builds models: the kernels
import nothing above `suite.ops`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import torch

FIRST_STEP_BUDGET = 30.0  # seconds of Numba compilation a model's first training step may pay


def first_step(name: str) -> dict:
    """Seconds of Numba compilation during model `name`'s first SGD step (local shapes, `auto`), and the
    wall time of its first and second steps."""
    import numba.core.event as ev
    import torch.nn.functional as F

    from suite import models
    from suite.bench import shapes as S

    model = models.build(name, backend="auto", **S.TRAIN_LOCAL["overrides"]).train()
    x = torch.randn(S.TRAIN_LOCAL["batch"], *model.input_size)
    y = torch.randint(0, model.num_classes, (x.shape[0],))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    compiling, steps = [], []
    for _ in range(2):
        seconds: list[float] = []  # the timer reports once, at exit, if anything compiled
        start = time.perf_counter()
        with ev.install_timer("numba:compile", seconds.append):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        steps.append(time.perf_counter() - start)
        compiling.append(sum(seconds))
    return {"model": name, "compile_s": compiling[0], "first_step_s": steps[0], "second_step_s": steps[1],
            "second_compile_s": compiling[1]}


def first_steps(names: list[str], cold: bool, compile_to_time: bool) -> list[dict]:
    """`first_step` of each model in a fresh process (fresh autotune cache; an empty Numba cache if `cold`)."""
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            compile_flag = "1" if compile_to_time else os.environ.get("SUITE_AUTOTUNE_COMPILE", "0")
            env = dict(os.environ, SUITE_AUTOTUNE_DIR=os.path.join(tmp, "autotune"),
                       SUITE_AUTOTUNE_COMPILE=compile_flag)
            if cold:
                env["NUMBA_CACHE_DIR"] = os.path.join(tmp, "numba")
            proc = subprocess.run([sys.executable, "-m", "suite.bench", "--first-step-child", name], env=env,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"first step of {name} failed:\n{proc.stderr[-2000:]}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return rows


def report(names: list[str], cold: bool, compile_to_time: bool) -> int:
    """Print one line per model; exit code 1 if any model's first step compiles for longer than the budget."""
    over = 0
    for r in first_steps(names, cold, compile_to_time):
        ok = r["compile_s"] <= FIRST_STEP_BUDGET
        over += not ok
        print(f"{r['model']:<10} Numba compilation in the first step {r['compile_s']:6.1f} s "
              f"({'within' if ok else 'OVER'} the {FIRST_STEP_BUDGET:.0f} s budget); first step "
              f"{r['first_step_s']:6.1f} s, second {r['second_step_s']:6.2f} s")
    return 1 if over else 0
