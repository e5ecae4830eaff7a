"""The precision a form runs at, set explicitly around it and restored after.

"fp32": TF32 off for cuDNN convolutions and for matmuls (true float32); "tf32": TF32 on for both (PyTorch's
default for cuDNN convolutions, what a user gets unless they turn it off); "bf16": float32 flags as "fp32",
inside `torch.autocast(dtype=torch.bfloat16)`.
"""
from __future__ import annotations

import contextlib

import torch

MODES = ("fp32", "tf32", "bf16")


@contextlib.contextmanager
def precision(mode: str, device_type: str = "cuda"):
    if mode not in MODES:
        raise ValueError(f"precision: expected one of {MODES}, got {mode!r}")
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        if mode == "bf16":
            with torch.autocast(device_type, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved
