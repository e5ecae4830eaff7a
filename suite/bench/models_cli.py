"""`python -m suite.bench models [--models M ...] [--quick] [--device cuda] [--json FILE]`: the model timings
(`suite.bench.model_timing`); progress on stderr, a summary (fastest form per model) on stdout."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from suite.bench import model_timing as mt

EX_UNAVAILABLE = 69  # sysexits.h: the device the run asks for is not there
TIME_LIMIT = {"cpu": 5400.0, "cuda": 540.0}
COMPILE_BUDGET = {"cpu": 600.0, "cuda": 120.0}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m suite.bench models", description=mt.__doc__.split("\n\n")[0],
                                 epilog=mt.__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--models", nargs="+", metavar="MODEL",
                    help=f"'all' or some of: {', '.join(mt.MODELS)} (default: all; --quick: all but "
                         f"{', '.join(mt.REFERENCE)})")
    ap.add_argument("--quick", action="store_true",
                    help=f"N = 1, the eager float32 layouts, {mt.QUICK_SAMPLES} samples, a small Figure 5 sweep")
    ap.add_argument("--batches", type=int, nargs="+", help="batch sizes (default: cpu 1 32, cuda 1 32 256)")
    ap.add_argument("--forms", help="comma-separated form names (default: every form of the device)")
    ap.add_argument("--no-compile", action="store_true", help="leave out the torch.compile forms")
    ap.add_argument("--samples", type=int, help="timed calls per form after two warm-up calls")
    ap.add_argument("--no-figure5", action="store_true", help="skip HO-CP Figure 5's layer sweep")
    ap.add_argument("--time-limit", type=float, help="seconds after which what is left is skipped (the JSON is "
                    f"still written; default cpu {TIME_LIMIT['cpu']:.0f}, cuda {TIME_LIMIT['cuda']:.0f})")
    ap.add_argument("--compile-budget", type=float, help="seconds of torch.compile before compiled forms are skipped")
    ap.add_argument("--json", metavar="FILE", help="write the run's JSON here (atomically)")
    ap.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests: narrow nets, small inputs
    return ap


def main(argv=None, device=None) -> int:
    """`device`: a `suite.bench.device.Device` to use instead of the one `--device` names (tests)."""
    from suite.bench.model_forms import forms_for

    args = parser().parse_args(argv)
    try:
        names = mt.select_models(args.models, args.quick)
        forms = forms_for(args.device, args.forms.split(",") if args.forms else None, args.quick)
        forms = tuple(f for f in forms if not (args.no_compile and f.compile))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if device is None:
        device = _device(args.device)
        if isinstance(device, str):
            print(device, file=sys.stderr)
            return EX_UNAVAILABLE
    kind = args.device
    cap = 0.0 if args.no_figure5 else mt.QUICK_FIGURE5_MAX_MACS if args.quick else mt.FIGURE5_MAX_MACS[kind]
    data = mt.model_timings(
        device, names, forms, tuple(args.batches or (mt.QUICK_BATCHES if args.quick else mt.BATCHES[kind])),
        args.samples or (mt.QUICK_SAMPLES if args.quick else mt.SAMPLES[kind]),
        compile_budget=args.compile_budget or COMPILE_BUDGET[kind], time_limit=args.time_limit or TIME_LIMIT[kind],
        figure5_max=cap, tiny=args.tiny, quick=args.quick, log=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        from suite.host import atomic_write_bytes

        atomic_write_bytes(Path(args.json), json.dumps(data, indent=1).encode())
    print(summary(data))
    return 0


def _device(kind: str):
    if kind == "cpu":
        from suite.bench.cpu_device import CpuDevice

        return CpuDevice()
    from suite.bench.device import CudaDevice, cuda_unavailable_reason

    return cuda_unavailable_reason() or CudaDevice()


def summary(data: dict) -> str:
    """The fastest form of each model, part, task and batch: ms per call (median) and the form."""
    best: dict[tuple, dict] = {}
    for r in data["records"]:
        key = (r["model"], r["part"], r["task"], r["batch"])
        if "geomean_ms" in r and r["geomean_ms"] < best.get(key, {}).get("geomean_ms", math.inf):
            best[key] = r
    dev = data["device"]
    lines = [f"device: {dev.get('gpu') or dev.get('cpu')} ({dev['kind']}); commit {data['commit']['sha'][:12]}",
             f"{'model':18s} {'part':7s} {'task':10s} {'N':>4s} {'median ms':>10s}  fastest form"]
    for (model, part, task, N), r in best.items():
        lines.append(f"{model:18s} {part:7s} {task:10s} {N:4d} {r['median_ms']:10.3f}  {r['form']}")
    failed = [r for r in data["records"] + data["layers"] if "error" in r]
    lines += [f"failed: {r.get('model', r.get('layer'))} {r.get('task', '')} {r.get('form', '')}: {r['error']}"
              for r in failed]
    return "\n".join(lines)
