"""The command line of `python -m suite.bench`: parses the options and dispatches (the package docstring says
what each command does)."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import suite.bench as package
from suite.host import atomic_write_bytes

GROUPS = ["single", "basis_conv2d", "topological", "ho-cp", "model", "fused", "training", "auto"]
EX_UNAVAILABLE = 69  # sysexits.h: the device the run asks for is not there
GPU_COMPILE_BUDGET, CPU_COMPILE_BUDGET = 45.0, 240.0


def run_pytest(json_path: Path, quick: bool, passes: int, compile_: bool, budget: float, only: str | None,
               memory: bool, rounds: int, max_time: float) -> int:
    """Run `suite.bench.compare` under pytest-benchmark in this process; its JSON goes to `json_path`."""
    import os

    import pytest

    os.environ.update({"SUITE_BENCH_QUICK": "1" if quick else "0", "SUITE_BENCH_PASSES": str(passes),
                       "SUITE_BENCH_COMPILE": "1" if compile_ else "0", "SUITE_BENCH_COMPILE_BUDGET": str(budget),
                       "SUITE_BENCH_ONLY": only or "", "SUITE_BENCH_MEMORY": "1" if memory else "0"})
    return pytest.main(["-p", "no:randomly", "-p", "no:cacheprovider", "-q", "--pyargs", "suite.bench.compare",
                        f"--benchmark-json={json_path}", f"--benchmark-min-rounds={rounds}",
                        f"--benchmark-max-time={max_time}", "--benchmark-warmup=off", "--benchmark-disable-gc",
                        "--benchmark-columns=min,median,rounds", "--benchmark-sort=name"])


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m suite.bench", description=package.__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=package.__doc__.split("\n\n", 1)[1])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                    help="cpu (default: the pytest-benchmark run) or cuda (CUDA-event timing, suite.bench.gpu_run)")
    ap.add_argument("--quick", action="store_true", help="tiny shapes, one short pass (CI)")
    ap.add_argument("--passes", type=int, default=None, help="passes over the whole list (each form keeps its best)")
    ap.add_argument("--rounds", type=int, default=None, help="pytest-benchmark's minimum rounds per form and pass")
    ap.add_argument("--max-time", type=float, default=None, help="pytest-benchmark's seconds per form and pass")
    ap.add_argument("--json", metavar="PATH", help="keep the run's JSON (written atomically)")
    ap.add_argument("--markdown", metavar="PATH", help="also write the README table (markdown) to PATH")
    ap.add_argument("--time-limit", type=float, default=170.0,
                    help="cuda: seconds after which the forms left are skipped (the JSON is still written)")
    ap.add_argument("--no-compile", action="store_true", help="exclude torch.compile forms")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory probe")
    ap.add_argument("--compile-budget", type=float, default=None,
                    help=f"seconds of torch.compile before skipping (cpu {CPU_COMPILE_BUDGET:.0f}, "
                         f"cuda {GPU_COMPILE_BUDGET:.0f})")
    ap.add_argument("--only", choices=GROUPS, help="one group only (basis_conv2d, auto: cuda only)")
    ap.add_argument("--markdown-from", metavar="PATH", help="print the README table of a saved --json run")
    ap.add_argument("--breakdown", action="store_true", help="per-layer times of Model L and ResNet-18 instead")
    ap.add_argument("--first-step", metavar="MODELS",
                    help="comma-separated models: the Numba compilation their first training step pays")
    ap.add_argument("--cold", action="store_true", help="with --first-step: an empty Numba cache")
    ap.add_argument("--compile-to-time", action="store_true",
                    help="with --first-step: let auto compile kernels only to time them (SUITE_AUTOTUNE_COMPILE=1)")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    ap.add_argument("--first-step-child", help=argparse.SUPPRESS)
    return ap


def cpu_run(args) -> int:
    """The CPU comparison: pytest-benchmark over every case, then the table with the targets."""
    from suite.bench.report import markdown, row_line
    from suite.bench.summary import summarize

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json"
        budget = CPU_COMPILE_BUDGET if args.compile_budget is None else args.compile_budget
        code = run_pytest(path, args.quick, args.passes or (1 if args.quick else 3),
                          not args.no_compile and not args.quick, budget, args.only, not args.no_memory,
                          args.rounds or (1 if args.quick else 3), args.max_time or (0.05 if args.quick else 0.5))
        if not path.exists():
            print(f"the benchmark run wrote no JSON (pytest exit code {code})", file=sys.stderr)
            return int(code) or 1
        data = json.loads(path.read_text())
    if args.json:
        atomic_write_bytes(Path(args.json), json.dumps(data, indent=1).encode())
    result = summarize(data)
    print()
    for r in result["rows"]:
        print(row_line(r))
    print()
    table = markdown(result)
    print(table)
    if args.markdown:
        atomic_write_bytes(Path(args.markdown), (table + "\n").encode())
    return int(code)


def gpu_run(args) -> int:
    """The GPU run (`suite.bench.gpu_run`): progress on stderr, the report on stdout."""
    from suite.bench.device import CudaDevice, cuda_unavailable_reason
    from suite.bench.gpu_report import markdown
    from suite.bench.gpu_run import gpu_run as run
    from suite.bench.gpu_summary import summarize

    reason = cuda_unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return EX_UNAVAILABLE
    budget = GPU_COMPILE_BUDGET if args.compile_budget is None else args.compile_budget
    data = run(CudaDevice(), quick=args.quick, compile_=not args.no_compile and not args.quick, compile_budget=budget,
               time_limit=args.time_limit, only=args.only, log=lambda line: print(line, file=sys.stderr, flush=True))
    return report_gpu(data, args.json, args.markdown, markdown, summarize)


def report_gpu(data: dict, json_path, markdown_path, markdown, summarize) -> int:
    if json_path:
        atomic_write_bytes(Path(json_path), json.dumps(data, indent=1).encode())
    table = markdown(summarize(data))
    print(table)
    if markdown_path:
        atomic_write_bytes(Path(markdown_path), (table + "\n").encode())
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["models"]:  # the model timings: a command of its own (suite.bench.models_cli)
        from suite.bench.models_cli import main as models

        return models(argv[1:])
    args = parser().parse_args(argv)
    if args.memory_child is not None:
        from suite.bench.memory import memory_child

        memory_child(args.memory_child, args.quick)
        return 0
    if args.first_step_child is not None:
        from suite.bench.first_step import first_step

        print(json.dumps(first_step(args.first_step_child)))
        return 0
    if args.first_step:
        from suite.bench.first_step import report

        return report([m.strip() for m in args.first_step.split(",") if m.strip()], args.cold, args.compile_to_time)
    if args.markdown_from:
        return markdown_from(args.markdown_from)
    if args.breakdown:
        from suite.bench.breakdown import breakdown

        try:
            print(breakdown(args.rounds or (2 if args.quick else 5), args.quick))
        except RuntimeError as err:  # torch.compile unavailable: one line, no traceback
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    return gpu_run(args) if args.device == "cuda" else cpu_run(args)


def markdown_from(path: str) -> int:
    """The README table of a saved run, CPU (pytest-benchmark JSON) or GPU (`suite.bench.gpu_run`)."""
    from suite.bench import gpu_report, gpu_run, gpu_summary, report, summary

    try:  # a file that is not a saved run: one line and the bad-input code, no traceback
        with open(path) as f:
            data = json.load(f)
        if isinstance(data, dict) and data.get("format") == gpu_run.FORMAT:
            table = gpu_report.markdown(gpu_summary.summarize(data))
        else:
            table = report.markdown(summary.summarize(data))
    except (OSError, ValueError, LookupError, TypeError, AttributeError) as err:
        print(f"error: --markdown-from {path}: expected the JSON of a saved `python -m suite.bench --json` run "
              f"({type(err).__name__}: {err})", file=sys.stderr)
        return 2
    print(table)
    return 0
