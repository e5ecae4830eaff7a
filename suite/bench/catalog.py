"""The list of every comparison of the CPU run, and a case found by its key (the memory probe's child)."""
from __future__ import annotations

from suite.bench import shapes as S
from suite.bench.cases import Case, cp_case, single_basis_case, topological_case
from suite.bench.model_cases import fusion_case, model_case, train_case


def op_cases(quick: bool) -> list[Case]:
    if quick:
        (d, nb), (n2, c2, h2), (n3, c3, dims3) = S.SMALL_GRID_2D, S.SMALL_2D, S.SMALL_3D
        return [single_basis_case(n2, c2, h2), topological_case(n2, c2, h2, d, nb),
                cp_case(n3, c3, S.SMALL_CP_RANK, dims3)]
    out = [single_basis_case(S.FCNN_BATCH, C, H, S.FCNN_KERNEL) for C, H in S.FCNN_STAGES]
    out += [topological_case(S.FCNN_BATCH, C, H, *S.FCNN_GRIDS_2D[C]) for C, H in S.FCNN_STAGES]
    out += [cp_case(S.HOCP_BATCH, C, r * C, S.HOCP_DIMS, S.HOCP_KERNEL)
            for C in S.HOCP_CHANNELS for r in S.HOCP_RANK_FACTORS]
    return out


def cases(quick: bool) -> list[Case]:
    """Every comparison: the operators, Model L vs ResNet-18 (N = 32 and 1), fused vs unfused Models E, F, L
    (N = 32 and 1), the training steps."""
    out = op_cases(quick)
    out += [model_case(2 if quick and N > 1 else N, quick) for N in S.MODEL_BATCHES]
    out += [fusion_case(name, 2 if quick and N > 1 else N, quick) for name in S.GPU_FUSION_MODELS
            for N in S.MODEL_BATCHES]
    settings = ("local",) if quick else ("local", "paper")
    out += [train_case(name, s, quick) for s in settings for name in S.TRAIN_MODELS]
    return out


def case_by_key(key: str, quick: bool) -> Case:
    for case in cases(quick):
        if case.key == key:
            return case
    raise ValueError(f"no benchmark case {key!r} (quick={quick})")

