"""`python -m suite.kernels [--dtype float32 ...]`: compile (or load from the cache) every Numba CPU kernel,
forward and backward, and print what each first call cost.

Run once per node (`make install` does; or at the start of a SLURM job) so that training never pays Numba's
compilation; the cache directory is `$NUMBA_CACHE_DIR` (default: see `suite.kernels`). Until a kernel is
warm, `backend="auto"` does not time it (see `suite.ops.autotune`), so the first training step of a model
never pays a compilation only to choose.

`python -m suite.kernels --models fcnn-e,fcnn-k,fcnn-l [--cold] [--compile-to-time]`: the Numba compilation a
model's first SGD step pays (local profile's shapes, layers on `auto`, a fresh autotune cache), each model in
its own process: seconds compiling (Numba's compile events), the first and the second step. `--cold`: an
empty Numba cache (a fresh clone before `make`); `--compile-to-time`: SUITE_AUTOTUNE_COMPILE=1 (auto compiles
every candidate kernel to time it: the worst case). Checked against FIRST_STEP_BUDGET seconds per model.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

from suite import ops


def _tiny(op: str, dtype):
    """Tiny arguments for each kernel op (shapes that exercise every code path of the CPU kernels)."""
    r = lambda *s: torch.randn(*s, dtype=dtype, requires_grad=True)  # noqa: E731
    return {
        "basis_conv2d": lambda: (r(2, 4, 5, 5), r(4, 2, 3, 3), r(3, 4, 2)),
        "single_basis_stack": lambda: (r(2, 4, 5, 5), r(1, 4, 3, 3), r(1, 4, 4)),
        "single_basis_step": lambda: (r(2, 4, 5, 5), r(4, 3, 3), r(4, 4)),
        "topological_conv": lambda: (r(2, 4, 5, 5), r(2, 2, 1, 2, 1, 1), (2, 2)),
        "cp_conv": lambda: (r(1, 2, 3, 4, 5), r(2, 3), [r(3, 3), r(3, 3), r(3, 3)], r(2, 3)),
    }[op]()


def warm(dtypes=(torch.float32,)) -> dict[str, float]:
    """Seconds of the first forward+backward of every 'numba' kernel op per dtype (compile or cache load)."""
    from suite.ops import registry

    costs = {}
    for dtype in dtypes:
        for op in sorted(registry.ops_with("numba")):
            args = _tiny(op, dtype)
            start = time.perf_counter()
            getattr(ops, op)(*args, backend="numba").sum().backward()
            costs[f"{op} {str(dtype).removeprefix('torch.')}"] = time.perf_counter() - start
    return costs


FIRST_STEP_BUDGET = 30.0  # seconds of Numba compilation a model's first training step may pay


def first_step(name: str) -> dict:
    """Seconds of Numba compilation during model `name`'s first SGD step (local shapes, `auto`), and the
    wall time of its first and second steps."""
    import numba.core.event as ev
    import torch.nn.functional as F

    from suite import bench_shapes as S
    from suite import models

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
            env = dict(os.environ, SUITE_AUTOTUNE_DIR=os.path.join(tmp, "autotune"),
                       SUITE_AUTOTUNE_COMPILE="1" if compile_to_time else os.environ.get("SUITE_AUTOTUNE_COMPILE", "0"))
            if cold:
                env["NUMBA_CACHE_DIR"] = os.path.join(tmp, "numba")
            proc = subprocess.run([sys.executable, "-m", "suite.kernels", "--first-step", name], env=env,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"first step of {name} failed:\n{proc.stderr[-2000:]}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.kernels", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", action="append", choices=["float32", "float64"],
                    help="dtypes to compile for (default float32; repeat for both)")
    ap.add_argument("--models", help="comma-separated models: report the compilation their first training step pays")
    ap.add_argument("--cold", action="store_true", help="with --models: an empty Numba cache (before any warm-up)")
    ap.add_argument("--compile-to-time", action="store_true",
                    help="with --models: let auto compile kernels only to time them (SUITE_AUTOTUNE_COMPILE=1)")
    ap.add_argument("--first-step", help=argparse.SUPPRESS)
    ap.add_argument("--check", action="store_true",
                    help="print which backends work here (CPU kernels, CUDA device, simulator) with versions")
    args = ap.parse_args(argv)
    if args.check:
        from ._check import main as check_main

        return check_main()
    if args.first_step:
        print(json.dumps(first_step(args.first_step)))
        return 0
    if args.models:
        over = 0
        for r in first_steps([m.strip() for m in args.models.split(",") if m.strip()], args.cold, args.compile_to_time):
            ok = r["compile_s"] <= FIRST_STEP_BUDGET
            over += not ok
            print(f"{r['model']:<10} Numba compilation in the first step {r['compile_s']:6.1f} s "
                  f"({'within' if ok else 'OVER'} the {FIRST_STEP_BUDGET:.0f} s budget); first step "
                  f"{r['first_step_s']:6.1f} s, second {r['second_step_s']:6.2f} s")
        return 1 if over else 0
    dtypes = [getattr(torch, d) for d in (args.dtype or ["float32"])]
    start = time.perf_counter()
    costs = warm(dtypes)
    for name, seconds in costs.items():
        print(f"{name:<32} {seconds:7.2f} s")
    print(f"total {time.perf_counter() - start:.1f} s, cache {os.environ.get('NUMBA_CACHE_DIR')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
