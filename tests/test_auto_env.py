"""`auto` at no cost and an environment that cannot break silently (issue 24, items 3 and 5), on the CPU with
stub candidates: a cache hit costs one key and one dict lookup (no candidate listing, no file, no machine
fingerprint); a failing candidate is dropped with one warning; a known-bad numba-cuda/numpy pair is one
ValueError naming the versions and the fix; `python -m suite.kernels --check` reports each backend."""
from __future__ import annotations

import logging

import pytest
import torch

from suite import ops
from suite.ops import autotune, registry

from ._helpers import f64


@pytest.fixture
def tuned(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_AUTOTUNE", "1")
    monkeypatch.setenv("SUITE_AUTOTUNE_COMPILE", "1")
    monkeypatch.setenv("SUITE_AUTOTUNE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SUITE_AUTOTUNE_BUDGET", "0.001")
    monkeypatch.setattr(autotune, "_memory", {})
    monkeypatch.setattr(autotune, "_dropped", set())
    table = {op: dict(impls) for op, impls in registry.implementations_all().items()}
    table["cp_conv"] = {"torch": table["cp_conv"]["torch"]}  # stubs below are the only other candidates
    monkeypatch.setattr(registry, "_TABLE", table)


def _cp_args():
    return f64(1, 2, 6, 5), f64(2, 3), [f64(3, 3), f64(1, 3)], f64(4, 3)


def test_a_cache_hit_lists_no_candidates_and_touches_no_file(tuned, monkeypatch):
    reference = registry._TABLE["cp_conv"]["torch"].fn
    stub_calls = []
    registry.register("cp_conv", "stub", device="cpu", dtypes=None)(lambda *a: stub_calls.append(1) or reference(*a))
    args = _cp_args()
    ops.cp_conv(*args)
    chosen = registry._auto("cp_conv", (args[0], args[1], list(args[2]), args[3]))

    def forbidden(*a, **k):
        raise AssertionError("a cache hit must not list candidates, read files or hash the fingerprint")

    for name in ("_read", "cache_file", "_fingerprint", "call_key", "measure", "choose"):
        monkeypatch.setattr(autotune, name, forbidden)
    monkeypatch.setattr(registry, "auto_candidates", forbidden)
    for _ in range(3):
        assert registry._auto("cp_conv", (args[0], args[1], list(args[2]), args[3])) is chosen
        ops.cp_conv(*args)


def test_the_fast_path_key_follows_shape_grad_and_threads(tuned, monkeypatch):
    chooses = []
    real = autotune.choose
    monkeypatch.setattr(autotune, "choose", lambda *a: chooses.append(1) or real(*a))
    x, u_in, spatial, u_out = _cp_args()
    ops.cp_conv(x, u_in, spatial, u_out)
    ops.cp_conv(x, u_in, spatial, u_out)
    assert len(chooses) == 1
    ops.cp_conv(x[:, :, :5], u_in, spatial, u_out)
    assert len(chooses) == 2
    ops.cp_conv(x.clone().requires_grad_(), u_in, spatial, u_out)
    assert len(chooses) == 3
    autotune.clear()
    ops.cp_conv(x, u_in, spatial, u_out)
    assert len(chooses) == 4  # forgotten with the choices


def test_a_failing_candidate_is_dropped_with_one_warning(tuned, caplog):
    def broken(*a):
        raise RuntimeError("no kernel image for this device")

    registry.register("cp_conv", "broken", device="cpu", dtypes=None)(broken)
    x, u_in, spatial, u_out = _cp_args()
    with caplog.at_level(logging.DEBUG, logger="suite.autotune"):
        ops.cp_conv(x, u_in, spatial, u_out)
        ops.cp_conv(x[:, :, :4], u_in, spatial, u_out)  # a new key: measured again, fails again
    drops = [r for r in caplog.records if "dropping broken" in r.getMessage()]
    assert len(drops) == 2 and [r.levelno for r in drops] == [logging.WARNING, logging.DEBUG]
    assert "no kernel image for this device" in drops[0].getMessage()


# ---------------------------------------------------------------- environment
def test_known_bad_numba_cuda_numpy_pair_names_versions_and_fix():
    from suite.kernels import _env

    msg = _env.problem({"numba-cuda": "0.30.4", "numpy": "2.5.0"})
    assert "numba-cuda 0.30.4" in msg and "numpy 2.5.0" in msg and "row_stack" in msg and "numpy>=2.0,<2.5" in msg
    assert _env.problem({"numba-cuda": "0.30.4", "numpy": "2.4.6"}) is None
    assert _env.problem({"numba-cuda": "0.31.0", "numpy": "2.5.1"}) is None
    assert _env.problem({"numba-cuda": "none", "numpy": "2.5.0"}) is None


def test_bad_environment_is_a_value_error_at_first_use_and_auto_drops_numba_cuda_once(monkeypatch, caplog):
    from suite.kernels import _env

    bad = _env.problem({"numba-cuda": "0.30.4", "numpy": "2.5.0"})
    monkeypatch.setattr(_env, "_problem_here", lambda: bad)
    x, bases, proj = torch.randn(1, 4, 5, 5), torch.randn(4, 2, 3, 3), torch.randn(3, 4, 2)
    with pytest.raises(ValueError, match=r"numba-cuda 0\.30\.4 and numpy 2\.5\.0"):
        ops.basis_conv2d(x, bases, proj, backend="numba-cuda")
    with pytest.raises(ValueError, match="Fix: pip install"):
        ops.cp_conv(*[a.float() if isinstance(a, torch.Tensor) else [t.float() for t in a] for a in _cp_args()],
                    backend="numba-cuda")
    _env.cuda_backend_usable.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="suite.autotune"):
            assert not _env.cuda_backend_usable() and not _env.cuda_backend_usable()
        assert sum("numba-cuda is not a candidate" in r.getMessage() for r in caplog.records) == 1
        assert "numba-cuda" not in registry.auto_candidates("cp_conv", torch.randn(1, 2, 3, 4))
    finally:
        _env.cuda_backend_usable.cache_clear()


def test_check_reports_each_backend_with_versions_and_first_error(monkeypatch):
    from suite.kernels import _check, _env

    row_stack = "AttributeError: module 'numpy' has no attribute 'row_stack'"
    results = {("numba", "cpu"): None, ("numba-cuda", "cpu"): row_stack}
    monkeypatch.setattr(_check, "_probe", lambda backend, device, env=None: results[(backend, device)])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(_env, "problem", lambda: None)
    lines, ok = _check.report()
    text = "\n".join(lines)
    assert ok and text.startswith("versions: torch ") and " numba-cuda " in lines[0]
    assert "numba (CPU kernels):       works" in text
    assert "not here" in text and "FAILS: AttributeError: module 'numpy' has no attribute 'row_stack'" in text
    results[("numba", "cpu")] = "ValueError: boom"
    assert not _check.report()[1]
