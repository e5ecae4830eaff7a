"""Launching Numba CUDA kernels on torch tensors at low host cost, and sizing their grids.

At the FCNN shapes one op takes ~0.1 ms on an H200, while Numba's dispatcher costs tens of µs per launch
on torch tensors (typing every argument, `as_cuda_array` per tensor, a new external-stream object). So
`Launch` keeps, per kernel and per argument signature (dtype, rank, contiguity of each tensor), the
compiled specialization's `cuda.core` kernel, and packs each tensor straight into Numba's array ABI
(meminfo, parent, nitems, itemsize, data, shape…, strides in bytes…): a few µs per launch. Launches go
on torch's current stream of the tensor's device (one cached external-stream object per stream), so
they order with the torch GEMMs around them. Should the packing path fail to set up (a Numba version
with another ABI), every launch goes through the dispatcher instead, correct and slower.

Under NUMBA_ENABLE_CUDASIM=1 kernels run in the simulator on the tensors' numpy views.

Grids: grid-stride kernels get at most `blocks_per_sm` × the device's multiprocessor count (cached)
blocks, never fewer than the work needs; `limits(...)` overrides the cap and the block size (tests force
several grid passes on tiny shapes with it).
"""
from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, replace
from functools import cache, lru_cache

import torch
from numba import cuda

from ._shared import cudasim


@dataclass(frozen=True)
class Limits:
    """threads: block size of the reduction and tile kernels (a power of two, 32…1024);
    elementwise: block size of the element-parallel kernels; max_blocks: grid cap (None: from the
    device's multiprocessor count)."""

    threads: int = 128
    elementwise: int = 256
    max_blocks: int | None = None
    blocks_per_sm: int = 8


# The simulator runs each thread as a Python thread: one warp per block keeps tiny tests fast.
_LIMITS = [Limits(threads=32, elementwise=32) if cudasim() else Limits()]


def current() -> Limits:
    return _LIMITS[-1]


@contextlib.contextmanager
def limits(**changes):
    """Within the block, launch with changed `Limits` (e.g. max_blocks=1, threads=32)."""
    new = replace(current(), **changes)
    for name in ("threads", "elementwise"):
        t = getattr(new, name)
        if t not in (32, 64, 128, 256, 512, 1024):
            raise ValueError(f"{name} must be a power of two in 32…1024 (the block reductions halve it), got {t}")
    if new.max_blocks is not None and new.max_blocks < 1:
        raise ValueError(f"max_blocks must be None or >= 1, got {new.max_blocks}")
    _LIMITS.append(new)
    try:
        yield new
    finally:
        _LIMITS.pop()


@cache
def sm_count(device: int) -> int:
    """Multiprocessors of the device (the simulator reports 1)."""
    if cudasim():
        return 1
    return int(cuda.gpus[device].MULTIPROCESSOR_COUNT) if device < len(cuda.gpus) else 1


def grid_cap(device: int) -> int:
    lim = current()
    return lim.max_blocks if lim.max_blocks is not None else lim.blocks_per_sm * sm_count(device)


def stride_blocks(work: int, threads: int, device: int) -> int:
    """Blocks for a grid-stride loop over `work` items: enough to cover it, at most the grid cap."""
    return max(1, min(grid_cap(device), math.ceil(work / threads)))


# ---------------------------------------------------------------- argument packing
_NB_DTYPES = {}


def _numba_array_type(dtype: torch.dtype, ndim: int, contiguous: bool):
    from numba import types
    if not _NB_DTYPES:
        _NB_DTYPES.update({torch.float32: types.float32, torch.float64: types.float64, torch.int32: types.int32,
                           torch.int64: types.int64})
    return types.Array(_NB_DTYPES[dtype], ndim, "C" if contiguous else "A")


def _key_and_params(args) -> tuple[tuple, list]:
    """The signature key (dtype, rank, contiguity per tensor; int per integer) and Numba's kernel ABI:
    per array (meminfo, parent, nitems, itemsize, data, *shape, *byte strides), per integer a 64-bit value
    (`_Kernel._prepare_args` of numba-cuda; cuda.core passes Python ints as 64-bit, as Numba relies on)."""
    key, params = [], []
    for a in args:
        if isinstance(a, torch.Tensor):
            key.append((a.dtype, a.dim(), a.is_contiguous()))
            size = a.element_size()
            params += (0, 0, a.numel(), size, a.data_ptr(), *a.shape, *(st * size for st in a.stride()))
        else:
            key.append(int)
            params.append(int(a))
    return tuple(key), params


class _Packed:
    """Compiled specializations of one dispatcher, launched through `cuda.core` without the dispatcher."""

    def __init__(self, dispatcher):
        from numba import types  # noqa: F401  (fail here, not mid-launch, if the ABI moved)
        from numba.cuda.dispatcher import LaunchConfig, launch
        self.dispatcher, self.launch, self.config_type = dispatcher, launch, LaunchConfig
        self.kernels, self.configs = {}, {}

    def kernel(self, key):
        k = self.kernels.get(key)
        if k is None:
            from numba import types
            argtypes = tuple(_numba_array_type(*spec) if spec is not int else types.int64 for spec in key)
            compiled = self.dispatcher.compile(argtypes)
            k = self.kernels[key] = compiled._codelibrary.get_cufunc().kernel
        return k

    def __call__(self, stream, grid, block, shared, args):
        ckey = (grid, block, shared)
        config = self.configs.get(ckey)
        if config is None:
            config = self.configs[ckey] = self.config_type(grid=grid, block=block, shmem_size=shared)
        key, params = _key_and_params(args)
        self.launch(stream, config, self.kernel(key), *params)


_PACKED: dict = {}
_PACKING_OK = [True]


@lru_cache(maxsize=64)
def _external_stream(handle: int):
    """Numba's wrapper of a torch stream (the dispatcher path)."""
    return cuda.external_stream(handle)


@lru_cache(maxsize=64)
def _core_stream(handle: int):
    """cuda.core's wrapper of a torch stream, made once: launch() then skips wrapping a foreign stream
    object on every call."""
    try:
        from cuda.core import Stream
        return Stream.from_handle(handle)
    except Exception:  # noqa: BLE001  an older cuda.core: Numba's wrapper speaks its stream protocol
        return _external_stream(handle)


class Launch:
    """The launches of one op call: `L(kernel, grid, block, *args, shared=bytes)` with torch tensors and
    ints as arguments, on torch's current stream of `x`'s device (the simulator: host arrays)."""

    def __init__(self, x: torch.Tensor):
        self.sim = cudasim()
        self.device = 0 if self.sim else (x.device.index if x.device.index is not None else torch.cuda.current_device())
        if not self.sim:
            self.handle = torch.cuda.current_stream(x.device).cuda_stream

    def __call__(self, kernel, grid, block, *args, shared: int = 0):
        grid = grid if isinstance(grid, tuple) else (grid,)
        block = block if isinstance(block, tuple) else (block,)
        if self.sim:
            kernel[grid, block, 0, shared](*(a.detach().numpy() if isinstance(a, torch.Tensor) else a for a in args))
            return
        if _PACKING_OK[0]:
            try:
                packed = _PACKED.get(kernel)
                if packed is None:
                    packed = _PACKED[kernel] = _Packed(kernel)
                packed(_core_stream(self.handle), grid, block, shared, args)
                return
            except Exception as err:  # noqa: BLE001  another numba-cuda ABI: the dispatcher (re-raises real errors)
                _PACKING_OK[0] = False
                warnings.warn(f"numba-cuda fast launch unavailable ({err!r}); using the dispatcher", stacklevel=2)
        # sync=False: the kernel runs on the tensors' own stream, ordered after their producers already; the
        # default (sync=True) synchronizes that stream once per tensor, serializing host and GPU.
        cargs = [cuda.as_cuda_array(a.detach(), sync=False) if isinstance(a, torch.Tensor) else a for a in args]
        kernel[grid, block, _external_stream(self.handle), shared](*cargs)
