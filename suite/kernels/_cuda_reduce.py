"""Parallel reductions for the Numba CUDA kernels: a block-wide sum in shared memory and the second pass
that adds the per-block partial sums.

Every weight gradient and channel sum of the FCNN kernels is a sum over N·H·W. It runs in two passes:
blocks stride over N·H·W (grid (chunks, outputs)), each thread sums its elements in registers, the block
adds its threads' sums with `block_sum` (a shared-memory tree, log2(threads) steps) and writes one
partial per (chunk, output); `sum_rows` then adds the `chunks` partials of each output (chunks is a few
per multiprocessor, never the batch). Both passes add in a fixed order, so results are deterministic
(gradcheck's reentrancy check compares two backward passes bit for bit); atomics would not be.
Accumulators have the tensors' dtype: float32 sums stay float32 (tolerance 2e-4 relative), float64 float64.
"""
from __future__ import annotations

from numba import cuda


@cuda.jit(device=True)
def block_sum(buf, v, threads):
    """Σ of v over the `threads` threads of a 1-D block (a power of two), returned to every thread.
    buf: a shared array of at least `threads` elements, free again when this returns."""
    t = cuda.threadIdx.x
    buf[t] = v
    cuda.syncthreads()
    half = threads // 2
    while half > 0:
        if t < half:
            buf[t] += buf[t + half]
        cuda.syncthreads()
        half //= 2
    total = buf[0]
    cuda.syncthreads()
    return total


@cuda.jit
def sum_rows(part, out):
    """out[j] = Σ_c part[c, j]: the second pass over the per-block partials (chunks c, outputs j)."""
    chunks, cols = part.shape
    start, step = cuda.grid(1), cuda.gridsize(1)
    for j in range(start, cols, step):
        s = part[0, j]
        for c in range(1, chunks):
            s += part[c, j]
        out[j] = s
