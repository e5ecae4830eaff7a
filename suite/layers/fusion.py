"""Inference-time fusion: fold BatchNorm into the single-basis steps and run each as `suite.ops.single_basis_step`.

`fuse_for_inference(model)` returns an eval-mode copy of `model` where every `SingleBasisConv2d` with
BatchNorm and a dense projection (Models E, F; Model L's pairs are two of them) runs as one fused FCNN
Alg. 3 step (depthwise k×k + 1×1 projection + residual + ReLU, on the layer's backend):

    BN1(x ⋆ₘ basis) = x ⋆ₘ (basis·s1) + t1,  BN2(P·g) = (s2·P)·g + t2,  s = γ/√(σ²+ε), t = β − μ·s.

With the layer's backend "auto", each fused layer's implementation (the fused kernel, the torch
reference in NCHW or channels-last) is chosen by measurement per layer shape (`suite.ops.autotune`).
The copy uses the running statistics, so it is for inference only (it raises in training mode).
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .. import ops
from .fcnn import SingleBasisConv2d


def _bn_affine(bn: nn.BatchNorm2d):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return s, bn.bias - bn.running_mean * s


def fold_step(basis, bn1, projection, bn2):
    """(basis (m,k,k), bias1 (m,), projection (n,m), bias2 (n,)) of BN2(P·BN1(x ⋆ₘ basis)), detached."""
    with torch.no_grad():
        basis, proj = basis.clone(), projection.clone()
        bias1 = torch.zeros(basis.shape[0], dtype=basis.dtype, device=basis.device)
        bias2 = torch.zeros(proj.shape[0], dtype=basis.dtype, device=basis.device)
        if bn1 is not None:
            s1, bias1 = _bn_affine(bn1)
            basis = basis * s1[:, None, None]
        if bn2 is not None:
            s2, bias2 = _bn_affine(bn2)
            proj = proj * s2[:, None]
    return basis.contiguous(), bias1.contiguous(), proj.contiguous(), bias2.contiguous()


class FusedSingleBasisConv2d(nn.Module):
    """`SingleBasisConv2d` (with BatchNorm) as one fused `suite.ops.single_basis_step`; same call signature."""

    def __init__(self, layer: SingleBasisConv2d):
        super().__init__()
        self.basis, self.bias1, self.projection, self.bias2 = fold_step(layer.basis, layer.bn1, layer.projection, layer.bn2)
        self.residual, self.backend = layer.residual, layer.backend

    def forward(self, x, shortcut=None):
        if self.training:
            raise RuntimeError("FusedSingleBasisConv2d folds BatchNorm running statistics: inference only (call .eval())")
        residual = self.residual if shortcut is None else shortcut
        return ops.single_basis_step(x, self.basis, self.projection, bias1=self.bias1, bias2=self.bias2,
                                     residual=residual, backend=self.backend)


def fusable(layer: nn.Module) -> bool:
    """A single-basis step with BatchNorm and a dense 1×1 projection (what the fused op computes)."""
    return isinstance(layer, SingleBasisConv2d) and layer.bn1 is not None and layer.topology is None


def fuse_for_inference(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` whose single-basis steps run fused (see module docstring)."""
    fused = copy.deepcopy(model).eval()

    def swap(parent: nn.Module):
        for name, child in parent.named_children():
            if fusable(child):
                setattr(parent, name, FusedSingleBasisConv2d(child).eval())
            else:
                swap(child)

    swap(fused)
    return fused
