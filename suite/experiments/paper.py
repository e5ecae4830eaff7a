"""The shapes of the numbers the papers print: a row of each kind of table, a number stated in the text.

FCNN: *Factorized Convolutional Neural Networks* (Wang, Xu, Davis). HO-CP: *Efficient N-Dimensional
Convolutions via Higher-Order Factorization* (Kossaifi, Bulat, Panagakis, Pantic). Each experiment's module
holds the values its table prints (e.g. `fcnn_table2.FCNN_TABLE2`), with the table or section that prints
them. Nothing here is computed: `paper_tables` and the models' descriptions in `suite.models` read these
values and put what `suite.complexity` computes or a run measures beside them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FcnnRow:
    """One row of FCNN Table 2, 4 or 5: ImageNet 2012 validation top-1 and the relative complexity of the
    substituted layers (relative to the table's baseline, "calculated regarding to these layers")."""

    model: str
    method: str                 # the paper's "Method" column
    top1: float                 # %
    complexity: float
    approximate: bool = False   # printed with "~"

    @property
    def complexity_printed(self) -> str:
        return f"{'~' if self.approximate else ''}{self.complexity:g}"


def rows(*rows: FcnnRow) -> dict[str, FcnnRow]:
    return {r.model: r for r in rows}


@dataclass(frozen=True)
class TopologyGrid:
    """One row of FCNN Table 3: channels m, grid d and neighbourhood c of the 2-D and 3-D topologies."""

    channels: int
    d2: tuple[int, ...]
    c2: tuple[int, ...]
    d3: tuple[int, ...]
    c3: tuple[int, ...]


@dataclass(frozen=True)
class Table7Row:
    """One row of FCNN Table 7 (single model, center crop). Its header says 10^9 multiplications but the
    values are millions (Section 3.4: "470M multiplications ... GoogLeNet (1600M) ... AlexNet (725M)")."""

    label: str
    top1_err: float   # %
    top5_err: float   # %
    mult: float       # millions
    params: float     # millions
    source: str = ""  # where the paper took the row from (the reference networks are literature values)


@dataclass(frozen=True)
class StatedNumber:
    """A number a paper states in its text: ``value`` in the unit the tables use; ``words`` the paper's
    words with ``{}`` where the number is printed (as ``value / printed_scale``)."""

    value: float
    words: str
    source: str
    printed_scale: float = 1.0

    @property
    def quote(self) -> str:
        return self.words.format(f"{self.value / self.printed_scale:g}")


@dataclass(frozen=True)
class HocpTable1Row:
    """HO-CP Table 1 (CIFAR-10). The paper prints the parameters with a decimal comma ("2, 30")."""

    label: str
    params: float     # millions
    accuracy: float   # %

    @property
    def params_printed(self) -> str:
        return f"{self.params:.2f}".replace(".", ",")


@dataclass(frozen=True)
class HocpTable2Row:
    """HO-CP Table 2 (20BN-Jester v1 validation)."""

    label: str
    conv_params: float   # millions, convolutional layers only
    top1: float          # %
    top5: float          # %
