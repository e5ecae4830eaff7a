"""FCNN Table 3: the channel grids d and neighbourhoods c of the 2-D and 3-D topologies, for any width."""
from __future__ import annotations


def _power_of_two(m: int, what: str) -> int:
    p = m.bit_length() - 1
    if m < 4 or 2**p != m:
        raise ValueError(f"width: {what} topology needs a power-of-two channel count >= 4 per stage, got {m} channels")
    return p


def grid_2d(m: int):
    """FCNN Table 3, 2-D topology: d₁×d₂ = 2^⌊p/2⌋ × 2^⌈p/2⌉ for m = 2^p, c_i = d_i/2 ("ci = di/2 for
    both dimensions, which leads to a reduction of complexity by a factor of 4"). Reproduces Table 3's
    8×16, 16×16, 16×32 and extends it to other widths."""
    p = _power_of_two(m, "the 2-D")
    d = (2 ** (p // 2), 2 ** (p - p // 2))
    return d, tuple(x // 2 for x in d)


def grid_3d(m: int):
    """FCNN Table 3, 3-D topology: the most balanced power-of-two grid d₁×d₂×d₃ = m with d₁ even, 8 | d₂,
    4 | d₃ and c = (d₁/2, 5·d₂/8, 3·d₃/4) — the table's 15/64 connection ratio ("the complexity is reduced
    by a factor of 4.27"). Reproduces Table 3's grids for 128/256/512 channels (tested) and extends them."""
    p = _power_of_two(m, "the 3-D")
    grids = [(2**a, 2**b, 2 ** (p - a - b)) for a in range(1, p) for b in range(3, p - a - 1)]
    grids = [d for d in grids if d[2] >= 4]
    if not grids:
        raise ValueError(f"width: the 3-D topology needs d₁ even, 8 | d₂ and 4 | d₃ (Table 3's ratios), i.e. at "
                         f"least 64 channels per stage, got {m} channels")
    d = min(grids, key=lambda d: (max(d) / min(d), -d[0], -d[1]))
    return d, (d[0] // 2, 5 * d[1] // 8, 3 * d[2] // 4)
