"""Tiny GPU timing of the issue-24 work (≤ 60 s on an H200): `python scripts/gpu_hocp_timing.py OUT.json`.

CUDA-event medians (ms) of the CP conv (HO-CP eq. 14–15, float32, N = 4, 16×32×32, C/R = 64/192, 64/384,
128/384) on numba-cuda, the torch backend, the reconstructed form (TF32 off and on) and the dense Conv3d it
factorizes (fp32 and TF32), forward and forward+backward; `auto`'s host overhead on a cache hit (a tiny op);
Model L inference at N = 1 and 32: plain torch layers vs `fuse_for_inference` (measured per layer).
Not the project's benchmark (that is `python -m suite.bench`): a quick check for the coordinator's run.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
import timeit

import torch
import torch.nn.functional as F


def ms(fn, reps: int = 15, warm: int = 3) -> float:
    """Median CUDA-event time (ms) of `fn` after `warm` calls (suite.bench's timer)."""
    from suite.bench.device import cuda_event_ms

    return statistics.median(cuda_event_ms(fn, reps, warm))


def tf32(on: bool):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def cp_rows(ops) -> list[dict]:
    return [row for C, R in ((64, 192), (64, 384), (128, 384)) for row in cp_shape(ops, C, R)]


def cp_shape(ops, C: int, R: int) -> list[dict]:
    rows = []
    g = torch.Generator(device="cuda").manual_seed(0)
    x = torch.randn(4, C, 16, 32, 32, device="cuda", generator=g)
    u_in = torch.randn(C, R, device="cuda", generator=g) / C**0.5
    spatial = [torch.randn(3, R, device="cuda", generator=g) / 3**0.5 for _ in range(3)]
    u_out = torch.randn(C, R, device="cuda", generator=g) / R**0.5
    w = torch.randn(C, C, 3, 3, 3, device="cuda", generator=g) / (27 * C) ** 0.5
    leaves = [t.clone().requires_grad_() for t in (x, u_in, *spatial, u_out, w)]
    gx, gu, gs, go, gw = leaves[0], leaves[1], leaves[2:5], leaves[5], leaves[6]
    forms = {f"cp {b}": (lambda b=b: ops.cp_conv(x, u_in, spatial, u_out, backend=b),
                         lambda b=b: ops.cp_conv(gx, gu, gs, go, backend=b).sum().backward())
             for b in ("numba-cuda", "torch", "reconstructed", "auto")}
    forms["dense conv3d"] = (lambda: F.conv3d(x, w, padding=1), lambda: F.conv3d(gx, gw, padding=1).sum().backward())
    ref = ops.cp_conv(x, u_in, spatial, u_out, backend="torch")
    err = ((ops.cp_conv(x, u_in, spatial, u_out, backend="numba-cuda") - ref).abs().max() / ref.abs().max()).item()
    for precision in ("fp32", "tf32"):
        tf32(precision == "tf32")
        for name, (fwd, fb) in forms.items():
            if name == "cp numba-cuda" and precision == "tf32":
                continue  # its GEMMs follow the same flag; one precision is enough here
            with torch.no_grad():
                t_f = ms(fwd)
            rows.append({"C": C, "R": R, "form": name, "precision": precision, "fwd_ms": t_f, "fwd_bwd_ms": ms(fb)})
    tf32(False)
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    with torch.no_grad():
        out = ops.cp_conv(x, u_in, spatial, u_out, backend="numba-cuda")
    torch.cuda.synchronize()
    extra = torch.cuda.max_memory_allocated() - before - out.numel() * 4
    rows.append({"C": C, "R": R, "form": "cp numba-cuda memory", "extra_over_input": extra / (x.numel() * 4),
                 "rel_err_vs_torch": err})
    return rows


def auto_overhead(ops) -> dict:
    from suite.ops import registry

    return {device: auto_overhead_on(ops, registry, device) for device in ("cpu", "cuda")}


def auto_overhead_on(ops, registry, device: str) -> dict:
    x = torch.randn(1, 8, 4, 4, device=device)
    b, p = torch.randn(8, 3, 3, device=device), torch.randn(8, 8, device=device)
    args = (x, b, p, None, None, True)
    with torch.no_grad():
        ops.single_basis_step(x, b, p, backend="auto")
        n = 5000
        lookup = min(timeit.repeat(lambda: registry._auto("single_basis_step", args), number=n, repeat=5)) / n
        auto = min(timeit.repeat(lambda: ops.single_basis_step(x, b, p, backend="auto"), number=500, repeat=5)) / 500
        chosen = registry._auto("single_basis_step", args)
        direct = min(timeit.repeat(lambda: chosen(*args), number=500, repeat=5)) / 500
    return {"auto_hit_lookup_us": lookup * 1e6, "auto_call_us": auto * 1e6, "chosen_fn_call_us": direct * 1e6}


def model_l(torch_models) -> list[dict]:
    from suite.layers.fusion import fuse_for_inference

    tf32(True)  # PyTorch's default for cuDNN convolutions
    rows = [model_l_at(torch_models, fuse_for_inference, N) for N in (1, 32)]
    tf32(False)
    return rows


def model_l_at(torch_models, fuse_for_inference, N: int) -> dict:
    model = torch_models.build("fcnn-l", backend="auto").cuda().eval()
    x = torch.randn(N, *model.input_size, device="cuda")
    plain = torch_models.build("fcnn-l", backend="torch").cuda().eval()
    plain.load_state_dict(model.state_dict())
    start = time.perf_counter()
    fused = fuse_for_inference(model, x)
    choose_s = time.perf_counter() - start
    chosen = [c["chosen"] for c in fused.fusion_choices.values()]
    with torch.no_grad():
        return {"N": N, "unfused_torch_ms": ms(lambda: plain(x)), "unfused_auto_ms": ms(lambda: model(x)),
                "fused_ms": ms(lambda: fused(x)), "fuse_seconds": choose_s,
                "choices": {c: chosen.count(c) for c in sorted(set(chosen))},
                "max_abs_diff": (fused(x) - plain(x)).abs().max().item()}


def main(path: str) -> None:
    from suite import models, ops
    from suite.kernels import _env

    t0 = time.perf_counter()
    result = {"device": torch.cuda.get_device_name(0), "versions": _env.versions(), "env_problem": _env.problem()}
    result["cp_conv"] = cp_rows(ops)
    result["auto_overhead"] = auto_overhead(ops)
    result["model_l"] = model_l(models)
    result["seconds"] = time.perf_counter() - t0
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
