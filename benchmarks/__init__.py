"""asv benchmarks of the suite.ops kernels (README "Tracking kernel performance (asv)").

One module per paper; shapes from `suite/bench/shapes.py` (the papers' layers) plus a 'small' shape
that CI runs in asv's quick mode. Run through `make bench` / `scripts/asv_bench.sh`, which put the
benchmarked commit's tree first on PYTHONPATH.
"""
