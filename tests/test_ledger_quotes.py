"""The ledger holds every numbered claim of both papers (issue 26's audit: 57), each once, each with the paper's own
words: every quote is found in the paper's text.

Quoting rules (the usual ones): "..." cuts the quote into parts, each of which must be in the paper; "[...]" is
ours (an insertion, a note on how the claim is tested) and is dropped, as are the paper's citation brackets
("AlexNet [1]"). A claim that rests on a table quotes the table's caption and the cells it reads, cut by "...":
the text files flatten tables column by column. Compared after normalising what the PDF-to-text extraction varies:
whitespace, a hyphen at a line end, typographic quotes and apostrophes, Markdown emphasis ("*ConvNet-S*") and a
LaTeX "emph" left before a word, letter case.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from suite import experiments

ROOT = Path(__file__).resolve().parents[1]
# the checkout's shared/ (CI), or the one beside it (a checkout, or a worktree one level further down)
PAPERS = next((d for d in (ROOT / "shared" / "papers", ROOT.parent / "shared" / "papers",
                           ROOT.parents[1] / "shared" / "papers") if d.is_dir()), ROOT / "shared" / "papers")
PAPER_FILES = {"FCNN": "000_827885b84de41127.txt", "HO-CP": "004_b31600cd53fb7ce3.txt"}
AUDITED = 57  # claims the audit of both papers numbered (issue 26, item 3)
SHORTEST = 20  # characters: a quote's longest part, so that no claim rests on a bare number


def normalise(text: str, *, join_hyphens: bool = False) -> str:
    text = re.sub(r"\s*\[[^\]]*\]", "", text)  # citations (paper) and insertions (ours)
    for fancy, plain in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(fancy, plain)
    text = text.replace("*", "").replace("(emph", "(")
    text = re.sub(r"-\s*\n\s*", "" if join_hyphens else "-", text)
    return " ".join(text.split()).lower()


def parts(quote: str) -> list[str]:
    return [p for p in (normalise(p).strip(" .") for p in normalise(quote).split("...")) if p]


@pytest.fixture(scope="module")
def texts() -> dict[str, tuple[str, str]]:
    if not all((PAPERS / f).is_file() for f in PAPER_FILES.values()):
        pytest.skip(f"the papers' text is not in {PAPERS}")
    raw = {p: (PAPERS / f).read_text() for p, f in PAPER_FILES.items()}
    return {p: (normalise(t), normalise(t, join_hyphens=True)) for p, t in raw.items()}


def test_the_ledger_holds_every_audited_claim_once():
    keys = [c.key for c in experiments.claims()]
    assert len(keys) >= AUDITED, f"{len(keys)} claims in the ledger, the audit found {AUDITED}"
    assert not [k for k, n in Counter(keys).items() if n > 1], "a claim id is used twice"


@pytest.mark.parametrize("claim", experiments.claims(), ids=lambda c: c.key)
def test_every_quote_is_the_papers_words(claim, texts):
    found = parts(claim.quote)
    assert found and max(map(len, found)) >= SHORTEST, f"{claim.key}: no quoted sentence in {claim.quote!r}"
    for part in found:
        assert any(part in t for t in texts[claim.paper]), f"{claim.key}: {part!r} is not in the {claim.paper} paper"


def test_the_check_rejects_a_paraphrase_and_accepts_the_rules(texts):
    fcnn = texts["FCNN"]
    assert not any(p in t for t in fcnn for p in parts("Model E is about 3 % better than model D."))
    quote = ("Comparing to model D, its [model E's] accuracy is approximately 3% better ... Counterintuitively, "
             "model F with larger kernel size performs almost identical with model E.")
    assert all(any(p in t for t in fcnn) for p in parts(quote))
    assert parts("Comparing to AlexNet [1], it is better") == ["comparing to alexnet, it is better"]
    hocp = texts["HO-CP"]
    assert any("(ho-cp convnet-s) beats all approaches" in t for t in hocp)  # "(*HO-CP ConvNet-S*)" in the file
