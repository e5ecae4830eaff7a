"""The CP conv's other factorized forms in the GPU run: PyTorch's conv3d chain (how HO-CP's layer is written in
PyTorch) and TensorLy-Torch's `FactorizedConv` (by an HO-CP author) on the very same factors."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from suite.bench.forms import Form


def conv3d_chain(u_in, spatial, u_out, K):
    """(fn, weights): 1×1×1 conv → one depthwise 1-D conv per spatial mode → 1×1×1 conv (HO-CP eq. 15)."""
    C, R = u_in.shape
    T = u_out.shape[0]
    w_in = u_in.t().reshape(R, C, 1, 1, 1)
    w_out = u_out.reshape(T, R, 1, 1, 1)
    w_modes, pads = [], []
    for d, s in enumerate(spatial):
        shape, pad = [R, 1, 1, 1, 1], [0, 0, 0]
        shape[2 + d], pad[d] = K, K // 2
        w_modes.append(s.t().reshape(shape).contiguous())
        pads.append(tuple(pad))

    def chain(x, wi, *rest):
        *wm, wo = rest
        h = F.conv3d(x, wi)
        for w, pad in zip(wm, pads):
            h = F.conv3d(h, w, padding=pad, groups=R)
        return F.conv3d(h, wo)

    return chain, (w_in, *w_modes, w_out)


def tltorch_forms(x, u_in, spatial, u_out, padding) -> list[Form]:
    """TensorLy-Torch's CP `FactorizedConv`, 'factorized' and 'reconstructed' forward; a "not installed" form
    (never an error) when tltorch is missing."""
    try:
        import tltorch
    except ImportError:
        return [Form(f"peer: tltorch FactorizedConv {impl}", None, skip="tltorch not installed")
                for impl in ("factorized", "reconstructed")]
    forms = []
    for impl in ("factorized", "reconstructed"):
        try:
            factors = [torch.nn.Parameter(f.detach().clone()) for f in (u_out, u_in, *spatial)]
            weights = torch.nn.Parameter(torch.ones(u_in.shape[1], device=x.device))
            cp = tltorch.factorized_tensors.CPTensor(weights, factors)
            layer = tltorch.FactorizedConv.from_factorization(cp, implementation=impl, padding=padding).to(x.device)
        except Exception as err:  # noqa: BLE001 - a peer that cannot build is a row that says why
            forms.append(Form(f"peer: tltorch FactorizedConv {impl}", None,
                              skip=f"tltorch failed: {type(err).__name__}: {str(err)[:100]}"))
            continue
        forms.append(Form(f"peer: tltorch FactorizedConv {impl}", layer, (x,), params=tuple(layer.parameters())))
    return forms
