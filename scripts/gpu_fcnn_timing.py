"""Quick GPU timing of the numba-cuda FCNN ops against PyTorch's eager forms (a check for kernel work,
not the suite's benchmark: that is `python -m suite.bench --device cuda`).

    python scripts/gpu_fcnn_timing.py OUT.json [--reps 30] [--profile OUT.txt]

FCNN Table 1's stage shapes (suite.bench.shapes), float32, N = 32, cuDNN TF32 off (same precision as
the kernels). Per op and stage: CUDA-event medians (ms) of the forward (no autograd) and the
forward+backward, for numba-cuda and torch eager NCHW and channels-last; the ratio is the best torch
form's time over numba-cuda's (> 1: numba-cuda faster). Prints a table and writes the rows to OUT.json.
--profile: also the CUDA time per kernel (torch.profiler) of each numba-cuda forward+backward.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, ".")
from suite import ops
from suite.bench.device import cuda_event_ms
from suite.bench.shapes import FCNN_BATCH, FCNN_GRIDS_2D, FCNN_KERNEL, FCNN_STAGES


def _median_ms(fn, reps: int) -> tuple[float, float]:
    """(median, interquartile range) in ms of `fn`: CUDA events after a warm-up (suite.bench's timer)."""
    times = cuda_event_ms(fn, reps)
    q = statistics.quantiles(times, n=4)
    return statistics.median(times), q[2] - q[0]


def _cases(c: int, h: int):
    """(op, {form: (forward, inputs needing grad)}) for one stage: closures over fresh random tensors."""
    k, N = FCNN_KERNEL, FCNN_BATCH
    dev = "cuda"
    x = torch.randn(N, c, h, h, device=dev)
    basis = torch.randn(c, k, k, device=dev) / k
    proj = torch.randn(c, c, device=dev) / c ** 0.5
    b4 = torch.randn(c, 4, k, k, device=dev) / k
    p4 = torch.randn(c, c, 4, device=dev) / (4 * c) ** 0.5
    grid, nb = FCNN_GRIDS_2D[c]
    tw = torch.randn(*grid, *nb, 1, 1, device=dev) / (nb[0] * nb[1]) ** 0.5
    dense_topo = ops.topology_kernel(tw, grid)  # (m, m, 1, 1): the factorized layer as one masked 1×1

    def step_torch(xx, bb, pp):
        g = F.conv2d(xx, bb.unsqueeze(1), padding=k // 2, groups=c)
        return torch.relu(xx + F.conv2d(g, pp[:, :, None, None]))

    def basis_torch(xx, bb, pp):
        g = F.conv2d(xx, bb.reshape(c * 4, 1, k, k), padding=k // 2, groups=c)
        return F.conv2d(g, pp.reshape(c, c * 4, 1, 1))

    cl = torch.channels_last
    return {
        "single_basis_step": {
            "numba-cuda": lambda xx: ops.single_basis_step(xx, basis, proj, residual=True, backend="numba-cuda"),
            "torch-nchw": lambda xx: step_torch(xx, basis, proj),
            "torch-channels-last": lambda xx: step_torch(xx.contiguous(memory_format=cl), basis, proj),
        },
        "basis_conv2d_b4": {
            "numba-cuda": lambda xx: ops.basis_conv2d(xx, b4, p4, backend="numba-cuda"),
            "torch-nchw": lambda xx: basis_torch(xx, b4, p4),
            "torch-channels-last": lambda xx: basis_torch(xx.contiguous(memory_format=cl), b4, p4),
        },
        "topological_1x1": {
            "numba-cuda": lambda xx: ops.topological_conv(xx, tw, grid, backend="numba-cuda"),
            "torch-nchw": lambda xx: ops.topological_conv(xx, tw, grid, backend="torch"),
            "torch-channels-last": lambda xx: ops.topological_conv(xx.contiguous(memory_format=cl), tw, grid,
                                                                   backend="torch"),
            "torch-masked-dense-1x1": lambda xx: F.conv2d(xx, dense_topo),
        },
    }, x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="JSON file to write")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--profile", help="write per-kernel CUDA times of the numba-cuda forms here")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_fcnn_timing: no CUDA device (torch.cuda.is_available() is False)")
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    t0 = time.time()
    rows = []
    for c, h in FCNN_STAGES:
        cases, x = _cases(c, h)
        for op, forms in cases.items():
            for form, fn in forms.items():
                xr = x.clone().requires_grad_()
                gy = torch.randn_like(x)

                def fwd(fn=fn, x=x):
                    with torch.no_grad():
                        fn(x)

                def fwd_bwd(fn=fn, xr=xr, gy=gy):
                    fn(xr).backward(gy)

                for pas, f in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
                    med, iqr = _median_ms(f, args.reps)
                    rows.append({"op": op, "stage": f"C{c} H{h}", "form": form, "pass": pas, "ms": med, "iqr_ms": iqr})
    for r in rows:
        torch_best = min(o["ms"] for o in rows if o["op"] == r["op"] and o["stage"] == r["stage"]
                         and o["pass"] == r["pass"] and o["form"].startswith("torch-")
                         and o["form"] != "torch-masked-dense-1x1")
        r["best_torch_over_this"] = torch_best / r["ms"]
    print(f"{'op':20} {'stage':10} {'pass':8} {'form':24} {'ms':>8} {'iqr':>7} {'torch_best/this':>15}")
    for r in rows:
        print(f"{r['op']:20} {r['stage']:10} {r['pass']:8} {r['form']:24} {r['ms']:8.4f} {r['iqr_ms']:7.4f} "
              f"{r['best_torch_over_this']:15.2f}")
    meta = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
            "dtype": "float32", "batch": FCNN_BATCH, "tf32": False, "reps": args.reps,
            "seconds": round(time.time() - t0, 1)}
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    print(json.dumps(meta))
    if args.profile:
        _profile(args.profile)


def _profile(path: str) -> None:
    """Per-kernel CUDA time of 5 forward+backward calls of each numba-cuda form."""
    from torch.profiler import ProfilerActivity, profile
    with open(path, "w") as f:
        for c, h in FCNN_STAGES:
            cases, x = _cases(c, h)
            xr = x.clone().requires_grad_()
            gy = torch.randn_like(x)
            for op, forms in cases.items():
                fn = forms["numba-cuda"]
                fn(xr).backward(gy)
                torch.cuda.synchronize()
                with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof:
                    for _ in range(5):
                        fn(xr).backward(gy)
                    torch.cuda.synchronize()
                f.write(f"== {op} C{c} H{h}: 5 x forward+backward\n")
                f.write(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25, max_name_column_width=60))
                f.write("\n")


if __name__ == "__main__":
    main()
