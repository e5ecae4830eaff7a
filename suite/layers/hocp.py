"""HO-CP layers: higher-order CP convolution (Alg. 1, eq. 14–16) and Tucker convolution (eq. 12)."""
from __future__ import annotations

import math

import torch
from torch import nn

from .. import ops
from ..ops import conv_along
from ._init import kaiming_variance, normal_, param
from .decompose import cp_als, tucker2_hosvd

_BATCHNORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


def _kernel_sizes(kernel_size, dim):
    if isinstance(kernel_size, int):
        if dim is None:
            raise ValueError("dim: expected the number of spatial dims when kernel_size is an int")
        sizes = (kernel_size,) * dim
    else:
        sizes = tuple(int(k) for k in kernel_size)
        if dim is not None and len(sizes) != dim:
            raise ValueError(f"kernel_size: expected {dim} sizes for dim={dim}, got {sizes}")
    if not sizes or any(k < 1 or k % 2 == 0 for k in sizes):
        raise ValueError(f"kernel_size: expected odd sizes ('same' padding), got {sizes}")
    return sizes


def _conv_weight(conv: nn.Module) -> torch.Tensor:
    if not isinstance(conv, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        raise ValueError(f"conv: expected an nn.Conv1d/2d/3d, got {type(conv).__name__}")
    if conv.groups != 1 or any(s != 1 for s in conv.stride) or any(d != 1 for d in conv.dilation):
        raise ValueError("conv: expected groups=1, stride 1, dilation 1 (the factorized ops are stride-1 'same' convs)")
    if any(k % 2 == 0 or p != k // 2 for k, p in zip(conv.kernel_size, conv.padding)):
        raise ValueError("conv: expected odd kernel sizes with 'same' padding k//2, "
                         f"got kernel {conv.kernel_size}, padding {conv.padding}")
    return conv.weight.detach()


PSI = ("eq16", "alg1")


class _Norm(nn.Module):
    """Ψ of eq. 16: BatchNorm and/or an activation on the R-channel intermediate; ``act_first``: the
    activation before the BatchNorm (Alg. 1's order)."""

    def __init__(self, channels: int, dim: int, norm: bool, activation: str | None, act_first: bool = False):
        super().__init__()
        if dim not in _BATCHNORM and norm:
            raise ValueError(f"norm: BatchNorm between factors is available for 1-3 spatial dims, got dim={dim}")
        self.bn = _BATCHNORM[dim](channels) if norm else None
        if activation not in (None, "relu", "prelu"):
            raise ValueError(f"activation: expected None, 'relu' or 'prelu', got {activation!r}")
        self.act = {None: None, "relu": nn.ReLU(), "prelu": nn.PReLU(channels)}[activation]
        self.act_first = act_first

    def forward(self, h):
        if self.act_first and self.act is not None:
            h = self.act(h)
        if self.bn is not None:
            h = self.bn(h)
        return h if self.act_first or self.act is None else self.act(h)


class HOCPConv(nn.Module):
    """Higher-order CP convolution, HO-CP Alg. 1 / eq. 14–16, for any number of spatial dims.

    ``F = Ψ(...Ψ(Ψ(X ×₀ U^(C)) ⋆₁ U^(K_0))... ⋆ U^(K_{n-1})) ×₀ U^(T)``, optional skip
    ``F + X ×₀ U^(S)`` with U^(S) ∈ R^{T×C} (Alg. 1). With ``norm=False, activation=None`` the layer is
    linear and equals a dense conv with the CP kernel (`to_dense`). Ψ is BatchNorm then the activation,
    applied after the input factor and after every spatial factor (``psi="eq16"``: eq. 16's Ψ₀ … Ψ_N); the
    output is left to the model. ``psi="alg1"`` follows Alg. 1 instead: nothing after the input factor, and
    after each 1-D spatial factor "H ← PReLU(H) or ReLU(H); H ← Batch-Norm(H)" (activation, then BN).
    Parameters: R (C + T + Σ K_d) (+ T·C with the skip), as HO-CP Section 3 counts them.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, *, rank: int, dim: int | None = None,
                 norm: bool = False, activation: str | None = None, skip: bool = False, bias: bool = False,
                 psi: str = "eq16", backend: str = "auto"):
        super().__init__()
        self.kernel_sizes = _kernel_sizes(kernel_size, dim)
        self.dim = len(self.kernel_sizes)
        if rank < 1:
            raise ValueError(f"rank: expected a positive int, got {rank}")
        self.in_channels, self.out_channels, self.rank, self.backend = in_channels, out_channels, rank, backend
        self.channel_in = param(in_channels, rank)
        self.spatial = nn.ParameterList([param(k, rank) for k in self.kernel_sizes])
        self.channel_out = param(out_channels, rank)
        self.linear = not norm and activation is None
        if psi not in PSI:
            raise ValueError(f"psi: expected one of {PSI}, got {psi!r}")
        self.psi_order = psi
        alg1 = psi == "alg1"
        self.psi = None if self.linear else nn.ModuleList(
            nn.Identity() if alg1 and d == 0 else _Norm(rank, self.dim, norm, activation, act_first=alg1)
            for d in range(self.dim + 1))
        self.skip = param(out_channels, in_channels) if skip else None
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # Var(W) = R · Var(U^T) · Var(U^C) · Π Var(U^K_d) = R · 2/R · 1/C · Π 1/K_d = 2/(C Π K_d).
        normal_(self.channel_in, 1.0 / self.in_channels)
        for f, k in zip(self.spatial, self.kernel_sizes):
            normal_(f, 1.0 / k)
        normal_(self.channel_out, kaiming_variance(self.rank))
        if self.skip is not None:
            normal_(self.skip, 1.0 / self.in_channels)

    def forward(self, x):
        if x.ndim != self.dim + 2:
            raise ValueError(f"x: expected shape (N, {self.in_channels}, {self.dim} spatial dims), "
                             f"got {tuple(x.shape)}")
        if self.linear:
            y = ops.cp_conv(x, self.channel_in, list(self.spatial), self.channel_out, backend=self.backend)
        else:
            h = self.psi[0](torch.einsum("cr,nc...->nr...", self.channel_in, x))
            for d, f in enumerate(self.spatial):
                h = self.psi[d + 1](conv_along(h, f, d))
            y = torch.einsum("tr,nr...->nt...", self.channel_out, h)
        if self.skip is not None:
            y = y + torch.einsum("tc,nc...->nt...", self.skip, x)
        if self.bias is not None:
            y = y + self.bias.view(1, -1, *([1] * self.dim))
        return y

    def to_dense(self) -> torch.Tensor:
        if not self.linear:
            raise ValueError("to_dense: the layer has BN/activations between factors and is not a linear conv")
        w = ops.cp_kernel(self.channel_in, list(self.spatial), self.channel_out)
        if self.skip is not None:
            centre = tuple(k // 2 for k in self.kernel_sizes)
            w = w.clone()
            w[(slice(None), slice(None), *centre)] += self.skip
        return w

    def macs(self, spatial) -> int:
        vol = math.prod(int(s) for s in spatial)
        per = self.rank * (self.in_channels + sum(self.kernel_sizes) + self.out_channels)
        if self.skip is not None:
            per += self.in_channels * self.out_channels
        return vol * per

    @classmethod
    def from_dense(cls, conv: nn.Module, rank: int, *, n_iter: int = 200, seed: int = 0, **kwargs) -> "HOCPConv":
        """Decompose a trained nn.Conv{1,2,3}d kernel by CP-ALS (memory-bounded, see `cp_als`)."""
        w = _conv_weight(conv)
        weights, factors, err = cp_als(w, rank, n_iter=n_iter, seed=seed)
        layer = cls(conv.in_channels, conv.out_channels, tuple(conv.kernel_size), rank=rank,
                    bias=conv.bias is not None, **kwargs).to(w.device, w.dtype)
        with torch.no_grad():
            layer.channel_out.copy_(factors[0] * weights)
            layer.channel_in.copy_(factors[1])
            for p, f in zip(layer.spatial, factors[2:]):
                p.copy_(f)
            if conv.bias is not None:
                layer.bias.copy_(conv.bias)
        layer.decomposition_error = err
        return layer

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_sizes}, rank={self.rank}, "
                f"linear={self.linear}, skip={self.skip is not None}, psi={self.psi_order!r}")


class TuckerConv(nn.Module):
    """Tucker convolution, HO-CP eq. 12: ((X ×₀ U^(C)) ⋆ G) ×₀ U^(T) — the ResNet bottleneck (Section 2.5)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, *, ranks, dim: int | None = None,
                 bias: bool = False, backend: str = "auto"):
        super().__init__()
        self.kernel_sizes = _kernel_sizes(kernel_size, dim)
        self.dim = len(self.kernel_sizes)
        rt, rc = (int(r) for r in ranks)
        if rt < 1 or rc < 1:
            raise ValueError(f"ranks: expected positive (R_T, R_C), got {ranks}")
        self.in_channels, self.out_channels, self.ranks, self.backend = in_channels, out_channels, (rt, rc), backend
        self.core = param(rt, rc, *self.kernel_sizes)
        self.channel_in = param(in_channels, rc)
        self.channel_out = param(out_channels, rt)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # Var(W) = R_T R_C · Var(G) Var(U^T) Var(U^C) = R_T R_C · 1/(R_C ΠK) · 2/R_T · 1/C = 2/(C ΠK).
        rt, rc = self.ranks
        normal_(self.channel_in, 1.0 / self.in_channels)
        normal_(self.core, 1.0 / (rc * math.prod(self.kernel_sizes)))
        normal_(self.channel_out, kaiming_variance(rt))

    def forward(self, x):
        y = ops.tucker_conv(x, self.core, self.channel_in, self.channel_out, backend=self.backend)
        return y if self.bias is None else y + self.bias.view(1, -1, *([1] * self.dim))

    def to_dense(self) -> torch.Tensor:
        return ops.tucker_kernel(self.core, self.channel_in, self.channel_out)

    def macs(self, spatial) -> int:
        rt, rc = self.ranks
        vol = math.prod(int(s) for s in spatial)
        return vol * (self.in_channels * rc + rt * rc * math.prod(self.kernel_sizes) + rt * self.out_channels)

    @classmethod
    def from_dense(cls, conv: nn.Module, ranks, **kwargs) -> "TuckerConv":
        """Decompose a trained nn.Conv{1,2,3}d kernel by truncated HOSVD on its channel modes."""
        w = _conv_weight(conv)
        core, u_in, u_out = tucker2_hosvd(w, tuple(ranks))
        layer = cls(conv.in_channels, conv.out_channels, tuple(conv.kernel_size), ranks=ranks,
                    bias=conv.bias is not None, **kwargs).to(w.device, w.dtype)
        with torch.no_grad():
            layer.core.copy_(core)
            layer.channel_in.copy_(u_in)
            layer.channel_out.copy_(u_out)
            if conv.bias is not None:
                layer.bias.copy_(conv.bias)
        return layer

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_sizes}, ranks={self.ranks}"
