"""`python -m suite.kernels [--dtype float32 ...]`: compile (or load from the cache) every Numba CPU kernel,
forward and backward, and print what each first call cost.

Run once per node (`make install` does; or at the start of a SLURM job) so that training never pays Numba's
compilation; the cache directory is `$NUMBA_CACHE_DIR` (default: see `suite.kernels`). Until a kernel is
warm, `backend="auto"` does not time it (see `suite.ops.autotune`), so the first training step of a model
never pays a compilation only to choose.

The compilation a model's first training step pays is reported by the bench, which may build models
(`python -m suite.bench --first-step fcnn-e,fcnn-k,fcnn-l`): this package imports nothing above `suite.ops`.
"""
from __future__ import annotations

import argparse
import os
import sys
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
            if op == "topological_conv":  # the explicit-padding kernels (Models G, H, J): k = 2, padding 0
                x, w = _tiny(op, dtype)[0], torch.randn(2, 2, 1, 2, 2, 2, dtype=dtype, requires_grad=True)
                ops.topological_conv(x, w, (2, 2), padding=0, backend="numba").sum().backward()
            costs[f"{op} {str(dtype).removeprefix('torch.')}"] = time.perf_counter() - start
    return costs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suite.kernels", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", action="append", choices=["float32", "float64"],
                    help="dtypes to compile for (default float32; repeat for both)")
    ap.add_argument("--check", action="store_true",
                    help="print which backends work here (CPU kernels, CUDA device, simulator) with versions")
    args = ap.parse_args(argv)
    if args.check:
        from ._check import main as check_main

        return check_main()
    dtypes = [getattr(torch, d) for d in (args.dtype or ["float32"])]
    start = time.perf_counter()
    costs = warm(dtypes)
    for name, seconds in costs.items():
        print(f"{name:<32} {seconds:7.2f} s")
    print(f"total {time.perf_counter() - start:.1f} s, cache {os.environ.get('NUMBA_CACHE_DIR')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
