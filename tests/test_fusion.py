"""`fuse_for_inference` never slower (issue 24, item 4), on the CPU with stub timers (deterministic: no real
timing): per layer it times the fused step on every candidate backend AND the unfused layer, keeps the fastest
(a layer may stay unfused), and the copy computes what the eval-mode model does."""
from __future__ import annotations

import torch
from torch import nn

from suite.layers.fcnn import SingleBasisConv2d
from suite.layers.fusion import UNFUSED, FusedSingleBasisConv2d, fuse_for_inference


class _Net(nn.Module):
    def __init__(self, backend="auto"):
        super().__init__()
        self.a = SingleBasisConv2d(4, backend=backend)
        self.b = SingleBasisConv2d(4, out_channels=6, backend=backend)
        self.c = SingleBasisConv2d(6, backend=backend)

    def forward(self, x):
        return self.c(self.b(self.a(x)), shortcut=None)


def _model(backend="auto"):
    model = _Net(backend).double()
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def _stub(times: dict, calls: list):
    """A timer that runs nothing: seconds per (layer, candidate) from `times` (default 1.0)."""
    def timer(name, candidate, fn):
        calls.append((name, candidate))
        return times.get((name, candidate), 1.0)
    return timer


def test_each_layer_keeps_its_fastest_form_and_may_stay_unfused():
    model = _model()
    x = torch.randn(2, 4, 6, 5, dtype=torch.float64)
    calls = []
    times = {("a", UNFUSED): 0.1, ("b", "reconstructed"): 0.2, ("c", "torch"): 0.3}
    fused = fuse_for_inference(model, x, timer=_stub(times, calls))
    assert isinstance(fused.a, SingleBasisConv2d) and not isinstance(fused.a, FusedSingleBasisConv2d)
    assert isinstance(fused.b, FusedSingleBasisConv2d) and fused.b.backend == "reconstructed"
    assert isinstance(fused.c, FusedSingleBasisConv2d) and fused.c.backend == "torch"
    for layer in "abc":  # every layer timed unfused and on the torch forms
        assert {(layer, UNFUSED), (layer, "torch"), (layer, "reconstructed")} <= set(calls)
    assert fused.fusion_choices["a"]["chosen"] == UNFUSED
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), rtol=1e-9, atol=1e-9)


def test_an_explicit_backend_is_timed_against_the_unfused_layer_only():
    model = _model("torch")
    calls = []
    fused = fuse_for_inference(model, torch.randn(1, 4, 5, 5, dtype=torch.float64),
                               timer=_stub({("b", UNFUSED): 0.5, ("b", "torch"): 2.0}, calls))
    assert sorted({c for name, c in calls if name in "abc"}) == sorted(["torch", UNFUSED])
    assert not isinstance(fused.b, FusedSingleBasisConv2d) and isinstance(fused.a, FusedSingleBasisConv2d)


def test_the_timer_sees_each_layer_on_its_own_input():
    model = _model()
    seen = {}

    def timer(name, candidate, fn):
        if name in "abc":
            seen.setdefault(name, fn().shape)
        return 1.0

    fuse_for_inference(model, torch.randn(3, 4, 7, 5, dtype=torch.float64), timer=timer)
    assert seen == {"a": (3, 4, 7, 5), "b": (3, 6, 7, 5), "c": (3, 6, 7, 5)}


def test_unmeasured_fusion_fuses_every_layer_and_the_original_is_untouched():
    model = _model()
    fused = fuse_for_inference(model, measure=False)
    assert all(isinstance(getattr(fused, n), FusedSingleBasisConv2d) for n in "abc")
    assert not any(isinstance(m, FusedSingleBasisConv2d) for m in model.modules())
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), rtol=1e-9, atol=1e-9)


def test_the_whole_fused_model_is_never_slower_than_the_unfused_one():
    """Layers each faster fused can lose together: the whole result is timed against the unfused model."""
    from suite.layers.fusion import WHOLE

    model = _model()
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    calls = []
    fused = fuse_for_inference(model, x, timer=_stub({(WHOLE, "fused"): 3.0, (WHOLE, UNFUSED): 2.0}, calls))
    assert (WHOLE, "fused") in calls and (WHOLE, UNFUSED) in calls
    assert not any(isinstance(m, FusedSingleBasisConv2d) for m in fused.modules())
    assert fused.fusion_choices[WHOLE]["chosen"] == UNFUSED and not fused.training
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x))
    kept = fuse_for_inference(model, x, timer=_stub({(WHOLE, "fused"): 1.0, (WHOLE, UNFUSED): 2.0}, []))
    assert any(isinstance(m, FusedSingleBasisConv2d) for m in kept.modules())
