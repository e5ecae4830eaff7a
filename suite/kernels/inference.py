"""Inference-time fusion: fold BatchNorm into the single-basis steps and run them as one fused kernel.

`fuse_for_inference(model)` returns an eval-mode copy of `model` where every single-basis step with
BatchNorm — `suite.models.fcnn.SingleBasisPair` (Model L), `suite.layers.SingleBasisConv2d` — runs as
`single_basis_step_bias` (FCNN Alg. 3 step, fused depthwise k×k + 1×1 projection + residual + ReLU):

    BN1(x ⋆ₘ basis) = x ⋆ₘ (basis·s1) + t1,  BN2(P·g) = (s2·P)·g + t2,  s = γ/√(σ²+ε), t = β − μ·s.

The copy uses the running statistics, so it is for inference only (it raises in training mode).
Tensors the kernels do not support (other dtypes/devices) go through the original modules.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


def _bn_affine(bn: nn.BatchNorm2d):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return s, bn.bias - bn.running_mean * s


def fold_step(depthwise_weight, bn1, projection_weight, bn2):
    """(basis (m,k,k), bias1 (m,), projection (n,m), bias2 (n,)) of BN2(P·BN1(x ⋆ₘ w)), detached."""
    with torch.no_grad():
        m, k = depthwise_weight.shape[0], depthwise_weight.shape[-1]
        basis = depthwise_weight.reshape(m, k, k).clone()
        proj = projection_weight.reshape(projection_weight.shape[0], m).clone()
        bias1 = torch.zeros(m, dtype=basis.dtype, device=basis.device)
        bias2 = torch.zeros(proj.shape[0], dtype=basis.dtype, device=basis.device)
        if bn1 is not None:
            s1, bias1 = _bn_affine(bn1)
            basis = basis * s1[:, None, None]
        if bn2 is not None:
            s2, bias2 = _bn_affine(bn2)
            proj = proj * s2[:, None]
    return basis.contiguous(), bias1.contiguous(), proj.contiguous(), bias2.contiguous()


def _step(x, folded, residual):
    from . import auto_backend

    backend = auto_backend("single_basis_stack", x)
    if backend == "numba":
        from .numba_cpu import single_basis_step_bias
    elif backend == "numba-cuda":
        from .numba_cuda import single_basis_step_bias
    else:
        return None
    return single_basis_step_bias(x, *folded[:2], *folded[2:], residual=residual)


class FusedSingleBasisPair(nn.Module):
    """Model L's pair relu(x + B₂(relu(B₁(x)))) as two fused steps; B₂'s step adds the pair's input."""

    def __init__(self, pair: nn.Module):
        super().__init__()
        self.original = pair
        self.reduce = fold_step(pair.reduce.depthwise.weight, pair.reduce.bn1, pair.reduce.projection.weight, pair.reduce.bn2)
        self.expand = fold_step(pair.expand.depthwise.weight, pair.expand.bn1, pair.expand.projection.weight, pair.expand.bn2)

    def forward(self, x):
        if self.training:
            raise RuntimeError("FusedSingleBasisPair folds BatchNorm running statistics: inference only (call .eval())")
        h = _step(x, self.reduce, False)
        if h is None:
            return self.original(x)
        return _step(h, self.expand, x)


class FusedSingleBasisConv2d(nn.Module):
    """`suite.layers.SingleBasisConv2d` (with BatchNorm) as one fused step."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.original = layer
        self.folded = fold_step(layer.basis.unsqueeze(1), layer.bn1, layer.projection, layer.bn2)
        self.residual = layer.residual

    def forward(self, x):
        if self.training:
            raise RuntimeError("FusedSingleBasisConv2d folds BatchNorm running statistics: inference only (call .eval())")
        y = _step(x, self.folded, self.residual)
        return self.original(x) if y is None else y


def fuse_for_inference(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` whose single-basis steps run as fused Numba kernels (see module doc)."""
    from suite.layers import SingleBasisConv2d
    from suite.models.fcnn import SingleBasisPair

    fused = copy.deepcopy(model).eval()

    def swap(parent: nn.Module):
        for name, child in parent.named_children():
            if isinstance(child, SingleBasisPair):
                setattr(parent, name, FusedSingleBasisPair(child).eval())
            elif isinstance(child, SingleBasisConv2d) and child.bn1 is not None:
                setattr(parent, name, FusedSingleBasisConv2d(child).eval())
            else:
                swap(child)

    swap(fused)
    return fused
