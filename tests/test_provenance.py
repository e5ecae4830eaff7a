"""Every field of every ``paper`` setting says whether a paper states it (with the sentence) or we chose it."""
import re
from pathlib import Path

import pytest

from jobs import cli, provenance, runner
from suite import experiments
from suite.experiments import _fcnn, fcnn_table2

PAPERS = Path(__file__).resolve().parents[1] / ".." / "shared" / "papers"
PAPER_FILES = {"FCNN": "000_827885b84de41127.txt", "HO-CP": "004_b31600cd53fb7ce3.txt"}


def _plain(text: str) -> str:
    """Without citation brackets ([3], [Kolda and Bader, 2009]) and with single spaces."""
    return " ".join(re.sub(r"\s*\[[^\]]*\]", "", text).split())


@pytest.mark.parametrize("name", experiments.names())
def test_no_paper_field_lacks_provenance(name):
    assert provenance.missing(name) == []
    for key, (value, prov) in provenance.of(name, "paper").items():
        assert prov.kind in ("stated", "chosen"), key
        if prov.kind == "chosen":
            assert prov.reason.strip(), f"{name} {key}: a choice needs its reason"


def test_missing_names_an_unexplained_field(monkeypatch):
    monkeypatch.setattr(fcnn_table2, "PROVENANCE",
                        {k: v for k, v in _fcnn.FCNN_CAFFE_FIELDS.items() if k != "recipe.weight_decay"})
    assert provenance.missing("fcnn-table2") == ["recipe.weight_decay"]


def test_stated_quotes_are_verbatim():
    if not all((PAPERS / f).is_file() for f in PAPER_FILES.values()):
        pytest.skip(f"the papers' text is not in {PAPERS}")
    text = {p: _plain((PAPERS / f).read_text()) for p, f in PAPER_FILES.items()}
    for table in map(experiments.provenance, experiments.names()):
        for key, prov in table.items():
            if prov.kind != "stated":
                continue
            pos = 0
            for piece in _plain(prov.quote).split(" ... "):
                found = text[prov.paper].find(piece.strip(" ."), pos)
                assert found >= 0, f"{key}: {piece!r} is not in the {prov.paper} paper"
                pos = found


def test_weight_decay_is_a_documented_choice():
    for name in ("fcnn-table2", "fcnn-table7"):
        value, prov = provenance.of(name, "paper")["recipe.weight_decay"]
        assert value == 1e-4 and prov.kind == "chosen" and "torchvision" in prov.follows


def test_local_fields_that_differ_are_local_choices():
    rows = provenance.of("fcnn-table2", "local")
    assert rows["dataset"][1].kind == "chosen" and "local" in rows["dataset"][1].reason
    assert rows["recipe.gamma"][1] == _fcnn.FCNN_CAFFE_FIELDS["recipe.gamma"]  # same value: the paper's
    assert rows["recipe.lr"][1].kind == "chosen" and "local" in rows["recipe.lr"][1].reason  # 0.05 locally


def test_override_on_the_paper_profile_is_not_called_stated():
    s = runner.setting_for(experiments.get("fcnn-table2"), "paper", (("recipe.lr", 0.05),))
    assert provenance.of("fcnn-table2", "paper", s)["recipe.lr"][1].kind == "chosen"


def test_show_prints_stated_then_chosen(capsys):
    assert cli.main(["show", "fcnn-table2", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    assert out.index("STATED") < out.index("CHOSEN")
    assert "mini-batch containing 96 images" in out.split("CHOSEN")[0]
    assert "recipe.weight_decay" in out.split("CHOSEN")[1]


def test_show_prints_the_readings_of_the_text_with_sentence_and_choice():
    hocp = provenance.table("hocp-table2", "paper")
    assert "\nREADINGS (3" in hocp and "hocp-skip-shape" in hocp and "O \\times C" in hocp
    assert "chosen: Alg. 1's" in hocp
    fcnn = provenance.table("fcnn-table7", "local")
    assert "fcnn-bn-moving-average" in fcnn and "as is implemented in Caffe" in fcnn and "momentum 0.1" in fcnn
    assert "hocp-" not in "\n".join(provenance.reading_lines("fcnn-table2"))


def test_a_local_only_option_keeps_the_experiments_own_reason():
    """Table 2's local setting turns on a model option its paper setting leaves unset (zero_init_residual): `show`
    gives the experiment's reason for it, not the generic "sized for a laptop"; a field the paper setting does
    set (the batch size) still gets the generic one."""
    local = provenance.of("fcnn-table2", "local")
    value, prov = local["model.zero_init_residual"]
    assert value is True and prov.kind == "chosen" and "BatchNorm scales" in prov.reason
    assert "sized for a laptop" in local["recipe.batch_size"][1].reason
    assert provenance.of("fcnn-table2", "paper")["model.zero_init_residual"][0] is None
