"""Machinery shared by the asv benchmarks (asv ignores module attributes whose name starts with '_').

Every benchmark class is an `_OpBenchmark`: one `suite.ops` function, parameters (shape, backend),
inputs built and the kernels compiled in `setup` (never in the timed code). A parameter combination
that cannot run here raises NotImplementedError in setup, which asv records as skipped ("n/a"):
a backend that this commit does not have, numba-cuda without a GPU, a commit without `suite.ops`.

`suite` is imported lazily (in setup, not at module import) so that asv can discover these benchmarks
against any commit, including those that predate `suite.ops`; scripts/asv_bench.sh puts the benchmarked
tree first on PYTHONPATH and sets FCNN_BENCH_SRC, which `load_ops` checks.

On a GPU machine: the numba-cuda parameters run on CUDA tensors wherever torch sees a CUDA device
(`device_for`; n/a only without one, or under NUMBA_ENABLE_CUDASIM), and every timed call ends with
`torch.cuda.synchronize` (time_forward, time_forward_backward, the track_* samples), so asv's wall-clock
timer covers the queued GPU work, not only the launches. Nothing here touches CUDA at import: asv's
forkserver imports this module once and forks every benchmark from it, and a CUDA context created before a
fork is unusable in the child. numba-cuda kernels compile per process (no disk cache): `setup` runs the
first call untimed, and time_forward_backward's own setup warms the backward. peakmem_forward measures host
memory (asv's rule), so on CUDA it says nothing about GPU memory (tests/test_cuda_hocp.py checks that with
torch.cuda.max_memory_allocated). A numba-cuda that cannot run in this environment (a known-bad numpy pair,
`suite/kernels/_env.py`) fails its parameters with the ValueError naming the fix instead of skipping them.
Run: `make bench` / `scripts/asv_bench.sh head` on the GPU machine, or `BENCH='CPConv3d' BENCH_ARGS=--quick`.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

# Imported here, not per benchmark: asv's forkserver imports this module once and forks every benchmark
# process from it. `suite` itself is imported lazily (load_ops) so each commit's own code is used.
import numba  # noqa: F401
import torch

BACKENDS = ["torch", "numba", "numba-cuda"]
# asv keys results by a benchmark's version (by default a hash of its source and setups): pinned to the
# hashes of the code that recorded the history, so that refactoring the benchmarks keeps it. Change one
# only when what it measures changes.
VERSIONS = {
    "time_forward": "e3d0e30dcf57fb9b1aaea6e3c65f34546aeb3223a1e4006160bdac86c2c3018b",
    "time_forward_backward": "d25ab39f5ffc85169f9d395c458b576a5cc31283372b13abe5ea51e42f23183a",
    "peakmem_forward": "2c0a8a893fb11c36f097db19e5da70a38a97496a78941b2144c4f9a50e14f36b",
    "track_gflops": "ca31c68d29c3acb4ab57e884bd2a07c449d572e497e66852b03b59132ad3701d",
    "track_speedup_vs_dense": "82a4478d638736565c04c1e5158168df76b4088925da92a4687138ed3299146f",
}


def _load_shapes():
    """suite/bench/shapes.py of this tree (the one definition of the shapes), loaded by path: asv runs these
    benchmarks against older commits whose `suite` lacks it, and `check_tree` must not see it as theirs."""
    path = Path(__file__).resolve().parent.parent / "suite" / "bench" / "shapes.py"
    spec = importlib.util.spec_from_file_location("_fcnn_bench_shapes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHAPES = _load_shapes()


def _isolate_from_editable_install() -> None:
    """Under scripts/asv_bench.sh (FCNN_BENCH_SRC set) only the benchmarked tree may provide `suite`: drop
    the venv's editable-install finder, which would otherwise supply the modules an older tree lacks
    (suite.kernels of another checkout behind an old suite.ops)."""
    if os.environ.get("FCNN_BENCH_SRC"):
        sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]


_isolate_from_editable_install()


def check_tree() -> None:
    """RuntimeError unless every imported suite module comes from the tree FCNN_BENCH_SRC names."""
    src = os.environ.get("FCNN_BENCH_SRC")
    if not src:
        return
    root = Path(src).resolve()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if (name == "suite" or name.startswith("suite.")) and file and not Path(file).resolve().is_relative_to(root):
            raise RuntimeError(f"{name} was imported from {file}, not from the benchmarked tree {src}; "
                               "put the tree first on sys.path (scripts/asv_bench.sh does, via ASV_PYTHONPATH)")


def load_ops():
    """`suite.ops` of the benchmarked tree (FCNN_BENCH_SRC, when set, must contain it)."""
    try:
        from suite import ops
    except ImportError as err:
        raise NotImplementedError(f"this commit has no suite.ops ({err})") from None
    check_tree()
    return ops


def device_for(backend: str):
    """The torch device a backend runs on; NotImplementedError (asv: skipped) when there is none."""
    if backend != "numba-cuda":
        return torch.device("cpu")
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        raise NotImplementedError("numba-cuda: NUMBA_ENABLE_CUDASIM is set; simulator timings mean nothing")
    if not torch.cuda.is_available():
        raise NotImplementedError("numba-cuda: no CUDA GPU on this machine (torch.cuda.is_available() is False)")
    return torch.device("cuda")


def synchronize(device) -> None:
    """Wait for queued GPU work so that a timing covers it (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def first_call(fn, backend: str):
    """Run fn once (compiles Numba kernels); a backend this commit lacks becomes an asv skip."""
    try:
        return fn()
    except NotImplementedError:
        raise
    except ValueError as err:
        # Commits before a backend existed reject its name in check_backend.
        if str(err).startswith("backend:"):
            raise NotImplementedError(f"backend={backend!r} not available in this commit: {err}") from None
        raise


def best_seconds(fn, device, *, warm: bool = True, repeat: int = 3, min_sample: float = 0.02,
                 enough: float = 1.0) -> float:
    """Best per-call seconds of fn over up to `repeat` samples of >= min_sample seconds each (one sample
    when a call takes longer than `enough`), for the track_* ratios; asv's time_* report the median."""
    if warm:
        fn()
        synchronize(device)
    calls = 1
    while True:  # calibrate calls per sample so the timer's resolution does not matter
        elapsed = _sample(fn, device, calls)
        if elapsed >= min_sample or calls >= 1 << 16:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(repeat - 1 if elapsed < enough else 0):
        best = min(best, _sample(fn, device, calls) / calls)
    return best


def _sample(fn, device, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    synchronize(device)
    return time.perf_counter() - start


def _leaf(a):
    """A fresh leaf tensor that requires grad (lists of tensors element-wise; other arguments as is)."""
    if isinstance(a, torch.Tensor):
        return a.detach().clone().requires_grad_(True)
    if isinstance(a, list):
        return [_leaf(t) for t in a]
    return a


_PREPARED: dict = {}  # the one prepared (class, shape, backend) of this benchmark process


def _warm_backward(*params) -> None:
    """Extra setup of time_forward_backward only: one untimed forward+backward per process, so loading the
    backward kernels is never timed (asv --quick has no warm-up) and peakmem_forward never sees it."""
    state = next(iter(_PREPARED.values()))
    if not state.get("backward_warm"):
        state["forward_backward"]()
        state["backward_warm"] = True


def _warm_kernels() -> None:
    import importlib
    import pkgutil

    package = __name__.rpartition(".")[0]
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("bench_"):
            importlib.import_module(f"{package}.{module.name}")
    for cls in _OpBenchmark.__subclasses__():
        for backend in BACKENDS[1:]:
            try:
                bench = cls()
                bench.setup("small", backend)
                bench.time_forward_backward("small", backend)
            except Exception:  # noqa: BLE001 - a backend this commit lacks: setup says so per param
                pass


class _OpBenchmark:
    """time/peakmem/track benchmarks of one `suite.ops` function over (shape, backend).

    Subclasses set SHAPES (label -> spec) and implement `inputs(spec, device)` (the op's positional
    tensors, float32), `dense(spec, device)` (a zero-argument callable: the dense PyTorch layer the op
    replaces, on inputs of the same shape) and `flops(spec)` (useful floating-point operations,
    2 × the multiplications the papers count).
    """

    OP = ""
    SHAPES: dict = {}
    param_names = ["shape", "backend"]
    # One process, a few samples: the machine is small and shared; see README for the knobs.
    rounds = 1
    repeat = (1, 5, 4.0)
    min_run_count = 1
    warmup_time = 0.0
    timeout = 900  # the first setup in a fresh tree compiles the Numba kernels

    def setup_cache(self):
        """Compile every op's Numba kernels once, on the small shape, so the disk cache (cache=True)
        serves all later benchmark processes: no timed or peakmem process pays for compilation.
        (asv keys setup_cache by its source line, so this one runs once for all subclasses.)"""
        _warm_kernels()

    setup_cache.timeout = 1800

    def setup(self, *params):
        shape, backend = params[-2:]  # (shape, backend); setup_cache returns None, so no cache arg
        key = (type(self).__name__, shape, backend)
        if key not in _PREPARED:  # asv re-runs setup before every sample: prepare once per process
            _PREPARED.clear()
            _PREPARED[key] = self._prepare(shape, backend)
        self.__dict__.update(_PREPARED[key])

    def _prepare(self, shape, backend) -> dict:
        ops = load_ops()
        op = getattr(ops, self.OP, None)
        if op is None:
            raise NotImplementedError(f"this commit has no suite.ops.{self.OP}")
        device = device_for(backend)
        spec = self.SHAPES[shape]
        torch.manual_seed(0)
        args = self.inputs(spec, device)
        grad_args = [_leaf(a) for a in args]

        def call():
            return op(*args, backend=backend)

        with torch.no_grad():
            out = first_call(call, backend)  # compiles (or loads) the forward kernels, outside timing
        check_tree()  # the kernels are imported on the first call
        grad_out = torch.randn_like(out)
        leaves = [t for a in grad_args for t in (a if isinstance(a, list) else [a]) if isinstance(t, torch.Tensor)]

        def forward_backward():
            for t in leaves:
                t.grad = None
            op(*grad_args, backend=backend).backward(grad_out)
            synchronize(device)

        return dict(device=device, spec=spec, call=call, forward_backward=forward_backward,
                    dense_call=self.dense(spec, device))

    def time_forward(self, *params):
        with torch.no_grad():
            self.call()
        synchronize(self.device)

    def time_forward_backward(self, *params):
        self.forward_backward()

    time_forward_backward.setup = _warm_backward  # asv runs it after the class setup

    def peakmem_forward(self, *params):
        with torch.no_grad():
            self.call()

    def track_gflops(self, *params):
        with torch.no_grad():
            return self.flops(self.spec) / best_seconds(self.call, self.device, warm=False) / 1e9

    track_gflops.unit = "GFLOP/s"

    def track_speedup_vs_dense(self, *params):
        with torch.no_grad():
            return best_seconds(self.dense_call, self.device) / best_seconds(self.call, self.device, warm=False)

    track_speedup_vs_dense.unit = "x (dense time / op time)"


for _name, _version in VERSIONS.items():
    getattr(_OpBenchmark, _name).version = _version
