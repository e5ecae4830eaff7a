"""`python -m suite.bench`: kernel speed vs the best PyTorch layers, as ratios measured in one run, with the targets.

It runs the pytest-benchmark module `suite.bench.compare` (the cases of `suite.bench.cases` and
`suite.bench.model_cases`, listed by `suite.bench.catalog`, shapes from `suite.bench.shapes`): per shape (a
group) our Numba kernel, every PyTorch form of the same factorized operator (eager NCHW, channels-last,
`torch.compile`, tltorch's CP `FactorizedConv`) and the dense PyTorch layer it replaces (same forms); Model L vs
ResNet-18 inference at N = 32 and 1 (each model's forms: Model L on `torch`, on `auto`, fused); one SGD step of
models E, K, L on `auto` vs `torch`. Forward, float32. The whole list is timed `--passes` times, pass after
pass, and each form keeps its best (minimum) time, so a change of load hits every form alike. It prints ms,
speedup vs the best dense and the best factorized form, GFLOP/s (2 × the papers' multiplication count / time)
beside the machine's measured sgemm peak (`suite.bench.machine`), peak extra memory (`suite.bench.memory`), and
each target of the kernels (`suite.bench.targets`) with its status (met / missed, with the ratio).

    python -m suite.bench                 # full run (the README table)
    python -m suite.bench --quick         # tiny shapes, one short pass (CI smoke)
    python -m suite.bench --json out.json # keep the pytest-benchmark JSON of the run
    python -m suite.bench --markdown-from out.json   # the README table of a saved run
    python -m suite.bench --breakdown     # per-layer times of Model L and ResNet-18 (what bounds the ratio)
    python -m suite.bench --first-step fcnn-e,fcnn-k,fcnn-l [--cold]  # Numba compilation a first step pays
    python -m suite.bench models --quick --json m.json  # every model's seconds per form (`model_timing`)

Modules: `cli` (options, dispatch), `compare` (the pytest-benchmark module), `summary` (its JSON -> rows),
`targets`, `report` (markdown), `machine`, `model_timing` / `model_forms` / `models_cli` / `cpu_device` (the
model timings of `python -m suite.bench models`), `memory`, `breakdown`, `first_step`, `compiler` (torch.compile
under a budget). Importing the package imports nothing else (the memory probe's children start fast).
"""
