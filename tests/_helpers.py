"""Independent re-statements of the papers' formulas, used as ground truth in tests."""
import itertools
import math

import torch
import torch.nn.functional as F


def f64(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def dense_conv(x, w):
    """'same' cross-correlation by torch for n <= 3 spatial dims."""
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[x.ndim - 2]
    return conv(x, w, padding=[k // 2 for k in w.shape[2:]])


def grouped_conv_along(x, kernel, dim):
    """Depthwise 1-D 'same' cross-correlation along spatial dim ``dim`` as torch's grouped conv (n <= 3) with a
    (1, .., K, .., 1) kernel: what ``suite.ops.conv_along`` computes as a shifted sum."""
    n, R, K = x.ndim - 2, x.shape[1], kernel.shape[0]
    shape, padding = [R, 1] + [1] * n, [0] * n
    shape[2 + dim], padding[dim] = K, K // 2
    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n](x, kernel.t().reshape(shape), padding=padding, groups=R)


def naive_conv_nd(x, w):
    """Definition-level N-D 'same' cross-correlation with explicit output loops (tiny shapes only)."""
    ks = w.shape[2:]
    pad = []
    for k in reversed(ks):
        pad += [k // 2, k // 2]
    xp = F.pad(x, pad)
    out = x.new_zeros(x.shape[0], w.shape[0], *x.shape[2:])
    for pos in itertools.product(*(range(d) for d in x.shape[2:])):
        window = xp[(slice(None), slice(None), *(slice(p, p + k) for p, k in zip(pos, ks)))]
        out[(slice(None), slice(None), *pos)] = torch.einsum("tc...,nc...->nt", w, window)
    return out


def topology_dense_kernel(weight, grid):
    """Alg. 4 written as a dense (m, m, k, k) kernel by explicit loops over grid positions."""
    s = len(grid)
    neighbors = weight.shape[s : 2 * s]
    m, k = math.prod(grid), weight.shape[-1]
    dense = weight.new_zeros(m, m, k, k)
    for j in itertools.product(*(range(d) for d in grid)):
        for i in itertools.product(*(range(c) for c in neighbors)):
            src = tuple((a + b) % d for a, b, d in zip(j, i, grid))
            dense[_flat(j, grid), _flat(src, grid)] += weight[j + i]
    return dense


def _flat(idx, grid):
    out = 0
    for a, d in zip(idx, grid):
        out = out * d + a
    return out


def single_basis_preactivation(x, basis, projection, *, bias1=None, bias2=None, residual=True):
    """R + P·(x ⋆ₘ basis + b1) + b2 of an FCNN Alg. 3 step, before its ReLU."""
    g = F.conv2d(x, basis.unsqueeze(1), padding=basis.shape[-1] // 2, groups=x.shape[1])
    if bias1 is not None:
        g = g + bias1[:, None, None]
    z = torch.einsum("om,nmhw->nohw", projection, g)
    if bias2 is not None:
        z = z + bias2[:, None, None]
    if isinstance(residual, torch.Tensor):
        return z + residual
    return z + x if residual else z


def single_basis_step_definition(x, basis, projection, *, bias1=None, bias2=None, residual=True):
    """FCNN Alg. 3 step with folded biases, written out: relu(R + P·(x ⋆ₘ basis + b1) + b2), R = x / none / tensor."""
    return torch.relu(single_basis_preactivation(x, basis, projection, bias1=bias1, bias2=bias2, residual=residual))


def clear_of_relu_kink(draw, margin=1e-3, tries=200):
    """``draw()`` -> (x, basis, projection, bias1, bias2, residual), redrawn until no pre-activation lies within
    ``margin`` of 0: gradcheck's finite differences (eps 1e-6) across ReLU's kink disagree with the exact
    one-sided gradient (one seed drew a pre-activation of 4.7e-6)."""
    for _ in range(tries):
        x, basis, proj, b1, b2, res = args = draw()
        with torch.no_grad():
            z = single_basis_preactivation(x, basis, proj, bias1=b1, bias2=b2, residual=res)
        if z.abs().min() >= margin:
            return args
    raise AssertionError(f"no draw in {tries} kept every pre-activation {margin} away from 0")
