"""`python -m suite.kernels --check`: which kernel backends work on this machine, with versions, and the first
error of each that does not: the Numba CPU kernels, numba-cuda on a CUDA device, numba-cuda under the simulator
(in a fresh interpreter: NUMBA_ENABLE_CUDASIM must be set before numba is imported).

Each backend runs one tiny `cp_conv` and `single_basis_step` forward+backward against the torch reference.
Exit status 1 when a backend that should work here fails (the CPU kernels; numba-cuda where torch sees a GPU).
"""
from __future__ import annotations

import os
import subprocess
import sys

import torch

_PROBE = """
import torch
from suite import ops
dev = {device!r}
r = lambda *s: torch.randn(*s, dtype=torch.float32, device=dev, requires_grad=True)
args = (r(1, 2, 3, 4, 5), r(2, 3), [r(3, 3), r(1, 3), r(3, 3)], r(2, 3))
for backend in ({backend!r}, "torch"):
    out = ops.cp_conv(*args, backend=backend)
    out.sum().backward()
got = ops.cp_conv(*args, backend={backend!r})
ref = ops.cp_conv(*args, backend="torch")
assert torch.allclose(got, ref, rtol=1e-4, atol=1e-4), "cp_conv differs from the torch reference"
x, b, p = r(1, 4, 5, 5), r(4, 3, 3), r(4, 4)
ops.single_basis_step(x, b, p, backend={backend!r}).sum().backward()
print("ok")
"""


def _probe(backend: str, device: str, env: dict | None = None) -> str | None:
    """None when the probe passes, else its first error line."""
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(backend=backend, device=device)],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=900)
    if proc.returncode == 0:
        return None
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line.split(":")[0] or line.startswith("ValueError")]
    return (errors or lines or [f"exit status {proc.returncode}"])[-1].strip()


def report() -> tuple[list[str], bool]:
    """(lines to print, whether every backend that should work here works)."""
    from . import _env

    v = _env.versions()
    lines = ["versions: " + ", ".join(f"{k} {v[k]}" for k in ("torch", "numpy", "numba", "numba-cuda", "llvmlite"))]
    ok = True
    cpu = _probe("numba", "cpu", {"NUMBA_ENABLE_CUDASIM": "0"})
    lines.append(f"numba (CPU kernels):       {'works' if cpu is None else 'FAILS: ' + cpu}")
    ok &= cpu is None
    problem = _env.problem()
    if problem:
        lines.append(f"numba-cuda environment:    FAILS: {problem}")
    gpu = torch.cuda.is_available()
    name = torch.cuda.get_device_name(0) if gpu else None
    if not gpu:
        lines.append("numba-cuda (CUDA device):  not here (torch sees no CUDA device)")
    else:
        err = _probe("numba-cuda", "cuda", {"NUMBA_ENABLE_CUDASIM": "0"})
        lines.append(f"numba-cuda (CUDA device):  {'works' if err is None else 'FAILS: ' + err} on {name}")
        ok &= err is None
    sim = _probe("numba-cuda", "cpu", {"NUMBA_ENABLE_CUDASIM": "1"})
    lines.append(f"numba-cuda (simulator):    {'works' if sim is None else 'FAILS: ' + sim}")
    lines.append("torch, reconstructed:      always (plain torch ops)")
    return lines, ok


def main() -> int:
    lines, ok = report()
    print("\n".join(lines))
    return 0 if ok else 1
